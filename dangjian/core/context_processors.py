from django.urls import reverse

from . import scoping


def _party_menu(user):
    """The menu of users with an organisation role: the areas of work, grouped."""
    from dangjian.integrity.selectors import has_access

    return [
        ("工作台", "core:home"),
        ("组织", "orgs:tree"),
        ("党员", [("党员名册", "members:roster"), ("发展党员", "pipeline:board"), ("组织关系转接", "transfers:home"),
                  ("党籍处置建议", "transfers:proposals"), ("换届选举", "terms:home")]),
        ("组织生活", [("会议与学习", "life:meetings"), ("民主评议", "review:home"), ("任务清单", "tasks:home")]),
        ("党费", "dues:home"),
        ("服务与先锋", [("服务工作", "service:home"), ("先锋作用与荣誉宣传", "vanguard:home")]),
        ("考评", [("党员积分", "points:home"), ("述职评议", "appraisal:home")]
         + ([("廉政建设", "integrity:home")] if has_access(user) else [])),
        ("合规检查", "compliance:matrix"),
        ("统计报告", [("党建驾驶舱", "reports:dashboard"), ("工作总结", "reports:summary"), ("党内统计", "reports:stats_index"),
                  ("我的报告任务", "reports:job_list")]),
    ]


def _member_menu(user):
    return [
        ("工作台", "core:home"),
        ("我的档案", reverse("members:detail", args=[user.person.pk])),
        ("组织生活", "life:meetings"), ("民主评议", "review:home"), ("党费", "dues:home"), ("我的积分", "points:mine"),
    ]


def _entry(label, target, path):
    if isinstance(target, list):
        children = [_entry(child_label, child, path) for child_label, child in target]
        return {"label": label, "children": children, "active": any(c["active"] for c in children)}
    url = target if target.startswith("/") else reverse(target)
    return {"label": label, "url": url, "active": path == url if url == "/" else path.startswith(url)}


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if scoping.has_party_scope(user):
        items = _party_menu(user)
    elif hasattr(user, "person"):
        items = _member_menu(user)
    else:
        items = [("工作台", "core:home")]
    if user.is_security_admin:
        items.append(("用户与角色", "accounts:users"))
    if user.is_audit_admin:
        items.append(("审计日志", "core:audit"))
    if user.is_system_admin:
        items.append(("系统设置", [("规则设置", "compliance:rules"), ("工作日历", "workdays:home"),
                                  ("文书模板", "pipeline:templates")]))
    return {"nav_items": [_entry(label, target, request.path) for label, target in items],
            "nav_role": scoping.role_label(user)}
