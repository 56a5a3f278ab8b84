"""Scoped access: the one place that decides what a user may read and write.

A user holds roles on organisations; a role covers the organisation's whole
subtree (a materialised-path prefix). Lists go through `Model.objects.visible_to(user)`
(built on `scope_q`); detail views fetch through `get_for_user`, which answers
404 outside the scope and records the denied access.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

from . import audit


def _assignments(user):
    """[(path, role)] for the user's org roles, cached on the user object per request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_dangjian_scopes", None)
    if cached is None:
        from dangjian.orgs.models import RoleAssignment

        rows = list(
            RoleAssignment.objects.filter(user_id=user.pk, org__dissolved_on__isnull=True)
            .values_list("org__path", "role", "org_id", "org__name", "org__kind")
        )
        cached = [row[:4] for row in rows]
        user._dangjian_scopes = cached
        user._dangjian_role_org_kinds = {row[2]: row[4] for row in rows}
    return cached


def role_org_kinds(user):
    """{org id: organisation kind} of the organisations the user holds a role on (from the same cached query)."""
    _assignments(user)
    return getattr(user, "_dangjian_role_org_kinds", {})


def assignments(user):
    """The user's organisation roles for display: [{"org_id", "name", "role"}] with Chinese role labels."""
    from dangjian.orgs.models import Role

    return [{"org_id": org_id, "name": name, "role": Role(role).label}
            for _, role, org_id, name in _assignments(user)]


def forget(user):
    for name in ("_dangjian_scopes", "_dangjian_role_org_kinds"):
        if hasattr(user, name):
            delattr(user, name)


def role_org_ids(user, roles_allowed):
    """Ids of the organisations on which the user holds one of these roles themselves (not their subtrees)."""
    return {org_id for _, role, org_id, _ in _assignments(user) if role in roles_allowed}


def roles(user):
    return {role for _, role, _, _ in _assignments(user)}


def scope_paths(user, roles_allowed=None):
    from dangjian.orgs.models import READ_ROLES

    roles_allowed = READ_ROLES if roles_allowed is None else roles_allowed
    paths = sorted({path for path, role, _, _ in _assignments(user) if role in roles_allowed})
    # Drop paths already covered by an ancestor path.
    kept = []
    for path in paths:
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def scope_q(user, field="path", roles_allowed=None):
    """A Q matching rows whose organisation path lies in the user's scope (nothing if none)."""
    q = Q(pk__in=[])
    for path in scope_paths(user, roles_allowed):
        q |= Q(**{f"{field}__startswith": path})
    return q


class OrgScopedQuerySet(models.QuerySet):
    """Records that belong to an organisation (`org`): visible where the organisation is in the user's scope."""

    def visible_to(self, user):
        return self.filter(scope_q(user, "org__path"))


def covers(user, org, roles_allowed=None):
    return any(org.path.startswith(p) for p in scope_paths(user, roles_allowed))


def can_read(user, org):
    return covers(user, org)


def can_write(user, org):
    from dangjian.orgs.models import WRITE_ROLES

    return covers(user, org, WRITE_ROLES)


def can_unmask(user, org):
    """Full ID numbers: only the people who keep the records (组织管理员, 书记) of that subtree."""
    return can_write(user, org)


def has_party_scope(user):
    return bool(scope_paths(user))


def require_party_scope(request, what, *, write=False):
    """A screen of party work: any organisation role (or, with `write`, a writing role) somewhere, else 403 (audited)."""
    from dangjian.orgs.models import WRITE_ROLES

    if not (scope_paths(request.user, WRITE_ROLES) if write else has_party_scope(request.user)):
        deny(request, what, forbidden=True)


def role_label(user):
    if getattr(user, "admin_role", ""):
        return user.get_admin_role_display()
    from dangjian.orgs.models import Role

    labels = [f"{Role(role).label}@{name}" for _, role, _, name in _assignments(user)]
    return "；".join(labels[:3]) + ("…" if len(labels) > 3 else "")


def deny(request, what="", object_id="", *, forbidden=False):
    """Record a denied access. Outside the scope: 404 (never reveal that the object exists);
    inside the scope but without the right role: 403."""
    audit.record(actor=request.user, event=audit.Event.DENIED, object_type=what, object_id=str(object_id),
                 outcome="denied", changes={"path": request.path})
    if forbidden:
        raise PermissionDenied("您没有执行此操作的权限")
    raise Http404("未找到或无权访问")


def get_for_user(request, queryset, pk, *, write=False, org_attr="org"):
    """Fetch one object in the user's scope, else 404 (audited)."""
    model = queryset.model
    try:
        obj = queryset.visible_to(request.user).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        deny(request, model._meta.label_lower, pk)
    if write:
        org = obj if org_attr is None else getattr(obj, org_attr)
        if not can_write(request.user, org):
            deny(request, model._meta.label_lower, pk, forbidden=True)
    return obj
