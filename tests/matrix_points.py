"""Permission-matrix entries for the points app (see tests/test_permission_matrix.py)."""

from tests.test_permission_matrix import ALL, ORG_ROLES, Route, org, person, read_list, write_object


def remove():
    """POST: writers inside are redirected back (with a message when there is nothing to remove)."""
    expect = write_object()
    for role in ("secretary", "org_admin"):
        expect[role] = (302, 404)
    return expect


ROUTES = {
    # Org roles see the ranking; a member is sent to 我的积分; administrators have none.
    "points:home": Route(expect=read_list() | {"member": 302}),
    # 我的积分: only a user linked to a member record has one.
    "points:mine": Route(expect={role: 403 for role in ALL} | {"anon": 302, "member": 302}),
    "points:person": Route(person, {role: (200, 404) if role in ORG_ROLES else (404, 404) for role in ALL}
                           | {"anon": (302, 302)}),
    "points:rules": Route(expect=read_list()),
    "points:rules_edit": Route(org, write_object()),
    "points:rules_remove": Route(org, remove(), method="post"),
}
