from django.urls import reverse

from . import scoping


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [("工作台", reverse("core:home"))]
    if scoping.has_party_scope(user):
        items += [("组织", reverse("orgs:tree")), ("党员名册", reverse("members:roster")),
                  ("发展党员", reverse("pipeline:board")),
                  ("组织生活", reverse("life:meetings")), ("党费", reverse("dues:home")),
                  ("合规检查", reverse("compliance:matrix"))]
    elif hasattr(user, "person"):
        items += [("我的档案", reverse("members:detail", args=[user.person.pk])),
                  ("组织生活", reverse("life:meetings")), ("党费", reverse("dues:home"))]
    if user.is_security_admin:
        items.append(("用户与角色", reverse("accounts:users")))
    if user.is_audit_admin:
        items.append(("审计日志", reverse("core:audit")))
    if user.is_system_admin:
        items.append(("规则设置", reverse("compliance:rules")))
    path = request.path
    nav = [
        {"label": label, "url": url, "active": (path == url if url == "/" else path.startswith(url))}
        for label, url in items
    ]
    return {"nav_items": nav, "nav_role": scoping.role_label(user)}
