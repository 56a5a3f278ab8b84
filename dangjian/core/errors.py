"""Generic error pages that leak nothing."""

from django.shortcuts import render


def _page(request, status, title, text):
    return render(request, "core/error.html", {"status": status, "title": title, "text": text}, status=status)


def bad_request(request, exception=None):
    return _page(request, 400, "请求有误", "请求的内容无法处理，请返回重试。")


def forbidden(request, exception=None):
    return _page(request, 403, "无权访问", "您没有执行此操作的权限。")


def not_found(request, exception=None):
    return _page(request, 404, "未找到", "页面不存在，或您无权访问。")


def server_error(request):
    return render(request, "core/error.html", {"status": 500, "title": "系统错误", "text": "系统暂时无法处理，请稍后再试。"},
                  status=500)
