"""Every URL × every role × (inside / outside the role's scope) → the expected status.

A route that is not in MATRIX fails the suite: a new screen must state who may use it.
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from dangjian.compliance.models import RuleOverride
from dangjian.orgs.models import CommitteePost, Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

ORG_ROLES = ["viewer", "discipline", "secretary", "org_admin"]
ADMINS = ["system", "security", "audit"]
ALL = ["anon", "member", *ORG_ROLES, *ADMINS]


@dataclass
class Route:
    """`expect` maps role → status, or role → (inside, outside) for routes that take an object."""

    kwargs: object = None  # callable(ctx, scope) -> dict of URL kwargs, or None
    expect: dict = field(default_factory=dict)
    method: str = "get"
    data: object = None


def read_list(writers_only=False):
    """A list page of party data: org roles 200 (writers only, if so), everyone else 403, anonymous to login."""
    allowed = ["secretary", "org_admin"] if writers_only else ORG_ROLES
    return {role: 200 if role in allowed else 403 for role in ALL} | {"anon": 302}


def read_object():
    """An object page: org roles see it inside their scope, 404 outside; others never see it."""
    return {role: (200, 404) if role in ORG_ROLES else (404, 404) for role in ALL} | {"anon": (302, 302)}


def write_object(ok=200):
    expect = read_object()
    for role in ("viewer", "discipline"):
        expect[role] = (403, 404)
    for role in ("secretary", "org_admin"):
        expect[role] = (ok, 404)
    return expect


def only(role_name, status=200):
    return {role: status if role == role_name else 403 for role in ALL} | {"anon": 302}


def org(ctx, scope):
    return {"pk": ctx["org_in" if scope == "in" else "org_out"].pk}


def person(ctx, scope):
    return {"pk": ctx["person_in" if scope == "in" else "person_out"].pk}


def seat(ctx, scope):
    return {"pk": ctx["seat_in" if scope == "in" else "seat_out"].pk}


def a_user(ctx, scope):
    return {"pk": ctx["users"]["viewer"].pk}


def an_assignment(ctx, scope):
    assignment = ctx["users"]["viewer"].role_assignments.first()
    return {"pk": ctx["users"]["viewer"].pk, "assignment_pk": assignment.pk if assignment else 999999}


def security(pair):
    """User administration: the security admin only; the pair is (first call, second call)."""
    return {role: (403, 403) for role in ALL} | {"anon": (302, 302), "security": pair}


def job(ctx, scope):
    """An import job: "in" is the secretary's own; "out" belongs to somebody else."""
    from dangjian.imports.models import ImportJob

    owner = ctx["users"]["secretary"] if scope == "in" else make_user(role=Role.SECRETARY,
                                                                      org=ctx["tree"]["school_b"])
    return {"pk": ImportJob.objects.create(created_by=owner, file_name="t.xlsx", status="failed",
                                           errors=[[2, "姓名", "必填项未填写"]]).pk}


def owner_only(role_name):
    return {role: (200, 404) if role == role_name else (404, 404) for role in ALL} | {"anon": (302, 302)}


MATRIX = {
    "core:home": Route(expect={role: 200 for role in ALL} | {"anon": 302}),
    "core:healthz": Route(expect={role: 200 for role in ALL}),
    "accounts:login": Route(expect={role: 302 for role in ALL} | {"anon": 200}),
    "accounts:logout": Route(expect={role: 405 for role in ALL}),
    "accounts:password_change": Route(expect={role: 200 for role in ALL} | {"anon": 302}),
    "orgs:tree": Route(expect=read_list()),
    "orgs:create": Route(expect=read_list(writers_only=True)),
    # The picker's search: every party role 200 (what it lists is scoped, see tests/test_org_picker.py).
    "orgs:pick": Route(expect=read_list(), data={"q": "实验"}),
    "orgs:detail": Route(org, read_object()),
    "orgs:edit": Route(org, write_object()),
    "orgs:move": Route(org, write_object()),
    "orgs:upgrade": Route(org, write_object()),
    "orgs:dissolve": Route(org, write_object()),
    "orgs:post_add": Route(org, write_object()),
    "orgs:post_end": Route(seat, write_object()),
    "members:roster": Route(expect=read_list()),
    "members:create": Route(expect=read_list(writers_only=True)),
    "members:detail": Route(person, read_object()),
    "members:edit": Route(person, write_object()),
    "members:status": Route(person, write_object()),
    "members:move": Route(person, write_object()),
    "members:unmask": Route(person, write_object(), method="post"),
    "members:export": Route(expect=read_list()),
    "members:export_national": Route(expect=read_list(writers_only=True)),
    "members:import": Route(expect=read_list(writers_only=True)),
    "members:import_template": Route(expect=read_list(writers_only=True)),
    "members:import_job": Route(job, owner_only("secretary")),
    "members:import_errors": Route(job, owner_only("secretary")),
    "core:audit": Route(expect=only("audit")),
    "accounts:users": Route(expect=only("security")),
    "accounts:user_create": Route(expect=only("security")),
    "accounts:user_detail": Route(a_user, security((200, 200))),
    "accounts:user_edit": Route(a_user, security((302, 302)), method="post"),
    "accounts:user_role_grant": Route(a_user, security((400, 400)), method="post"),  # empty form
    "accounts:user_role_revoke": Route(an_assignment, security((302, 400)), method="post"),  # then: already revoked
    "accounts:user_admin_role": Route(a_user, security((302, 302)), method="post"),
    "accounts:user_set_active": Route(a_user, security((400, 400)), method="post"),  # empty form
    "accounts:user_password_reset": Route(a_user, security((200, 200)), method="post"),
    "accounts:user_unlock": Route(a_user, security((302, 302)), method="post"),
    "accounts:user_link_person": Route(a_user, security((400, 400)), method="post"),
    "accounts:user_unlink_person": Route(a_user, security((400, 400)), method="post"),
    "accounts:unlock_ip": Route(expect=only("security", 302), method="post"),
    "compliance:rules": Route(expect=only("system")),
    "compliance:override_edit": Route(lambda c, s: {"rule_id": "org.branch_min_full", "org_id": c["org_in"].pk},
                                      only("system")),
    # The system admin's first POST removes the override, so the second answers 404.
    "compliance:override_remove": Route(lambda c, s: {"pk": c["override"].pk},
                                        {r: (403, 403) for r in ALL} | {"anon": (302, 302), "system": (302, 404)},
                                        method="post"),
}


def _load_app_matrices():
    """Each app may add its routes in tests/matrix_<app>.py: ROUTES = {name: Route(...)} and an optional
    extend_ctx(ctx) that creates the objects those routes need (inside and outside the scope)."""
    import importlib
    import pathlib

    extenders = []
    for path in sorted(pathlib.Path(__file__).parent.glob("matrix_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        clash = set(module.ROUTES) & set(MATRIX)
        assert not clash, f"{path.name} redefines {clash}"
        MATRIX.update(module.ROUTES)
        if hasattr(module, "extend_ctx"):
            extenders.append(module.extend_ctx)
    return extenders


CTX_EXTENDERS = _load_app_matrices()


def all_route_names():
    names = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{prefix}{p.namespace}:" if p.namespace else prefix)
            elif isinstance(p, URLPattern) and p.name:
                names.append(prefix + p.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_route_is_in_the_permission_matrix():
    missing = sorted(set(all_route_names()) - set(MATRIX))
    assert not missing, f"routes without a permission-matrix entry: {missing}"


@pytest.fixture
def ctx(tree):
    c = {
        "org_in": tree["branch_a2"], "org_out": tree["school_b"],
        "person_in": make_person(tree["branch_a2"]), "person_out": make_person(tree["school_b"]),
    }
    c["seat_in"] = CommitteePost.objects.create(org=tree["branch_a2"], person=c["person_in"], post="secretary",
                                                started_on=date(2020, 1, 1))
    c["seat_out"] = CommitteePost.objects.create(org=tree["school_b"], person=c["person_out"], post="secretary",
                                                 started_on=date(2020, 1, 1))
    own = make_person(tree["branch_a1"])
    users = {"anon": None, "member": make_user("m_member", Role.MEMBER, tree["branch_a1"], person=own)}
    for role in ORG_ROLES:
        users[role] = make_user(f"m_{role}", role, tree["school_a"])
    for role in ADMINS:
        users[role] = make_user(f"m_{role}", admin_role=role)
    c["users"] = users
    c["tree"] = tree
    c["override"] = RuleOverride.objects.create(org=tree["school_a"], rule_id="org.branch_min_full",
                                                params={"min_full": 4}, reason="test")
    c["own_person"] = own
    for extend in CTX_EXTENDERS:
        extend(c)
    return c


def extra_routes():
    """Routes that other modules register with their own context (see their tests)."""
    return {}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_route_answers_each_role_as_the_matrix_says(client, ctx, name):
    from django.urls import reverse

    route = MATRIX[name]
    failures = []
    for role in ALL:
        expected = route.expect[role]
        scopes = ("in", "out") if route.kwargs else (None,)
        for i, scope in enumerate(scopes):
            want = expected[i] if isinstance(expected, tuple) else expected
            client.logout()
            if ctx["users"][role] is not None:
                client.force_login(ctx["users"][role])
            url = reverse(name, kwargs=route.kwargs(ctx, scope) if route.kwargs else None)
            response = getattr(client, route.method)(url, route.data or {})
            if response.status_code != want:
                failures.append(f"{role}/{scope}: {response.status_code} (expected {want})")
    assert not failures, f"{name}: " + "; ".join(failures)
