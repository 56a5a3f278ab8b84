"""The NinjaAPI instance: every router, token auth, one error shape, offline docs.

Adding an app's endpoints is one module in that app: `dangjian/<app>/api.py` defining
`router = ninja.Router(tags=[...])` whose operations carry their full paths ("/meetings",
"/meetings/{meeting_id}"). It is discovered by name (dangjian.core.registry.app_modules) and mounted
under /api/. Operation ids (= view function names) must be unique across the API, e.g. `meetings_list`.
"""

from django.core.exceptions import ImproperlyConfigured
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from dangjian.core.registry import app_modules

from . import errors
from .auth import TokenAuth, token_or_session
from .routers import ROUTERS

DESCRIPTION = """学校党建工作平台的 JSON 数据接口。

* 认证：个人接口令牌，请求头 `Authorization: Bearer <令牌>`（在“接口令牌”页面或用 `dangjian token create` 创建）。
  不接受登录会话。
* 权限与页面完全一致：只能看到您角色范围内的数据；范围外的对象一律 404。
* 列表分页：`limit`（最大 200）、`offset`，返回 `count` 总数。
* 错误：`{"detail": "说明", "errors": {"字段": ["信息"]}}`；400 请求格式错误，401 令牌无效，403 无权操作，
  404 不存在或无权访问，409 与已有记录冲突，422 内容不符合规则。
"""


class OfflineSwagger(Swagger):
    """Swagger UI from static/vendor/swagger-ui (no CDN), started by a static script (no inline JS)."""

    template = "api/docs.html"

    def render_page(self, request, api, **kwargs):
        from django.shortcuts import render

        return render(request, self.template, {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)})


class DangjianAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation):
        return operation.view_func.__name__

    def get_operation_url_name(self, operation, router):
        return operation.view_func.__name__


def app_routers():
    """Routers contributed by apps as `<app>/api.py` (module attribute `router`)."""
    return [module.router for module in app_modules("api")]


def build():
    api = DangjianAPI(
        title="学校党建工作平台 数据接口",
        version="1",
        description=DESCRIPTION,
        auth=TokenAuth(),
        urls_namespace="api",
        docs=OfflineSwagger(),
        docs_url="/docs",
        openapi_url="/openapi.json",
        docs_decorator=token_or_session,
    )
    errors.install(api)
    for router in [*ROUTERS, *app_routers()]:
        api.add_router("", router)
    seen = set()
    for router in [*ROUTERS, *app_routers()]:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                name = operation.view_func.__name__
                if name in seen:
                    raise ImproperlyConfigured(f"API operation name used twice: {name}")
                seen.add(name)
    return api


api = build()
