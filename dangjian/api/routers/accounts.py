"""The token's holder (/me) and role assignments (read-only: roles are granted by the security administrator)."""

from ninja import Query, Router

from dangjian.core import scoping
from dangjian.orgs.models import Organisation, RoleAssignment

from ..common import get_object, page, ref_dict, require_party_scope
from ..schemas import ErrorOut, MeOut, Page, Paging, RoleAssignmentOut, RoleFilters

router = Router(tags=["账户与角色"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("/me", response={200: MeOut, **ERRORS}, summary="当前令牌的账户")
def me(request):
    from dangjian.members.models import Person
    from dangjian.orgs.models import Role

    user = request.user
    token = user.api_token
    roles = [{"org": {"id": org_id, "name": name}, "role": role, "role_label": Role(role).label}
             for _, role, org_id, name in scoping._assignments(user)]
    return {"id": user.pk, "username": user.username, "display_name": user.display_name,
            "admin_role": user.admin_role, "admin_role_label": user.get_admin_role_display() if user.admin_role else "",
            "roles": roles, "person_id": Person.objects.filter(user_id=user.pk).values_list("pk", flat=True).first(),
            "token_name": token.name, "token_expires_at": token.expires_at}


@router.get("/role-assignments", response={200: Page[RoleAssignmentOut], **ERRORS}, summary="角色授权（只读）")
def role_assignments_list(request, filters: Query[RoleFilters], paging: Query[Paging]):
    """您范围内各组织上的角色授权。授予和撤销由安全管理员在“用户与角色”页面办理。"""
    require_party_scope(request)
    qs = RoleAssignment.objects.filter(scoping.scope_q(request.user, "org__path")).select_related("user", "org")
    if filters.org is not None:
        org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        qs = qs.filter(org__path__startswith=org.path)
    if filters.role:
        qs = qs.filter(role=filters.role)

    def rows(assignments):
        return [{"id": a.pk, "user_id": a.user_id, "username": a.user.username, "display_name": a.user.display_name,
                 "org": ref_dict(a.org), "role": a.role, "role_label": a.get_role_display(),
                 "granted_at": a.granted_at} for a in assignments]

    return page(qs.order_by("org__path", "user__username", "role", "id"), paging, rows)
