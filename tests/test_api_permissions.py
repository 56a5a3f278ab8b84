"""Every API operation × every role × (inside / outside the role's scope), with a personal token.

Operations are read from the OpenAPI document: one missing from EXPECT (or left in EXPECT after it was
removed) fails the suite. Apps add their operations in tests/api_matrix_<app>.py (EXPECT = {operation
id: Case(...)}, optional extend_ctx(ctx)), the way tests/matrix_<app>.py extends the page matrix.
Objects that an operation changes are created afresh for each call, so the order of roles never matters.
"""

import importlib
import json
import pathlib
from dataclasses import dataclass
from datetime import date

import pytest
from django.utils import timezone

from dangjian.members.models import Status
from dangjian.orgs.models import CommitteePost, Organisation, OrgKind, Role
from tests.factories import make_id_number, make_org, make_person, make_user
from tests.test_permission_matrix import ADMINS, ALL, ORG_ROLES

pytestmark = pytest.mark.django_db

# --- helpers shared by tests/test_api_*.py ----------------------------------------------


def token_for(user, name="测试令牌", expires_days=None):
    from dangjian.api.services import token_create

    return token_create(actor=None, user=user, name=name, expires_days=expires_days)[1]


def call(client, method, path, token=None, body=None, params=None, raw=None, files=None):
    """One API request with a bearer token; `body` is sent as JSON (or `raw` bytes as they are); `files`
    ({field: SimpleUploadedFile}, with `body` as the other form fields) as multipart/form-data."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    url = path if path.startswith("/api/") else f"/api{path}"
    if files is not None:
        return client.post(url, {**(body or {}), **files}, **headers)
    if method == "get":
        return client.get(url, params or {}, **headers)
    data = raw if raw is not None else (json.dumps(body) if body is not None else "")
    if params:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(params)}"
    return getattr(client, method)(url, data, content_type="application/json", **headers)


@dataclass
class Case:
    """`expect`: role → status, or role → (inside, outside). Callables get (ctx, scope)."""

    expect: dict
    kwargs: object = None   # path parameters
    body: object = None
    params: object = None
    scoped: bool = False    # expect holds (inside, outside) pairs even without path parameters
    files: object = None    # multipart uploads: {field: SimpleUploadedFile} (or a callable giving it)


def api_list():
    return {role: 200 if role in ORG_ROLES else 403 for role in ALL} | {"anon": 401}


def api_read():
    return {role: (200, 404) if role in ORG_ROLES else (404, 404) for role in ALL} | {"anon": (401, 401)}


def api_write(ok=200):
    expect = api_read()
    for role in ("viewer", "discipline"):
        expect[role] = (403, 404)
    for role in ("secretary", "org_admin"):
        expect[role] = (ok, 404)
    return expect


def api_create():
    """A body names the organisation: outside the scope it is an unknown reference (422 on that field)."""
    return {role: (403, 403) for role in ALL} | {"anon": (401, 401), "secretary": (201, 422),
                                                  "org_admin": (201, 422)}


def api_scoped_list():
    return {role: (200, 404) if role in ORG_ROLES else (403, 403) for role in ALL} | {"anon": (401, 401)}


def _org(ctx, scope):
    return {"org_id": ctx["org_in" if scope == "in" else "org_out"].pk}


def _person(ctx, scope):
    return {"person_id": ctx["person_in" if scope == "in" else "person_out"].pk}


def _seat(ctx, scope):
    return {"post_id": ctx["seat_in" if scope == "in" else "seat_out"].pk}


def _fresh_branch(ctx, scope):
    parent = ctx["tree"]["school_a"] if scope == "in" else ctx["tree"]["area"]
    return {"org_id": make_org(parent, kind=OrgKind.BRANCH).pk}


def _fresh_group(ctx, scope):
    parent = ctx["tree"]["branch_a1"] if scope == "in" else ctx["tree"]["school_b"]
    return {"org_id": make_org(parent, kind=OrgKind.GROUP).pk}


def _school_a_again(ctx, scope):
    """Upgrading needs a node whose parent allows the next kind: school_a (总支 → 党委), reset each call."""
    if scope == "in":
        Organisation.objects.filter(pk=ctx["tree"]["school_a"].pk).update(kind=OrgKind.GENERAL_BRANCH)
        return {"org_id": ctx["tree"]["school_a"].pk}
    return {"org_id": ctx["tree"]["school_b"].pk}


def _fresh_person(status=Status.FULL):
    def make(ctx, scope):
        org = ctx["org_in"] if scope == "in" else ctx["org_out"]
        return {"person_id": make_person(org, status=status).pk}

    return make


def _fresh_seat(ctx, scope):
    org = ctx["org_in"] if scope == "in" else ctx["org_out"]
    seat = CommitteePost.objects.create(org=org, person=make_person(org), post="member", started_on=date(2020, 1, 1))
    return {"post_id": seat.pk}


def _post_add_body(ctx, scope):
    return {"person": make_person(ctx["org_in"]).pk, "post": "member", "started_on": "2021-01-01"}


def _person_body(ctx, scope):
    org = ctx["org_in"] if scope == "in" else ctx["org_out"]
    return {"org": org.pk, "name": "测试新增", "gender": "F", "birth_date": "1990-03-04",
            "id_number": make_id_number(date(1990, 3, 4), female=True), "status": "full",
            "joined_on": "2015-06-01", "full_member_on": "2016-06-01"}


def _org_body(ctx, scope):
    if scope == "in":
        return {"parent": ctx["tree"]["school_a"].pk, "kind": "branch", "name": "新设党支部", "founded_on": "2020-01-01"}
    return {"parent": ctx["tree"]["school_b"].pk, "kind": "group", "name": "新设党小组", "founded_on": "2020-01-01"}


TODAY = lambda ctx, scope: {"effective_on": timezone.localdate().isoformat()}  # noqa: E731

EXPECT = {
    "me": Case({role: 200 for role in ALL} | {"anon": 401}),
    "role_assignments_list": Case(api_list()),
    "orgs_list": Case(api_list()),
    "orgs_create": Case(api_create(), body=_org_body, scoped=True),
    "orgs_detail": Case(api_read(), _org),
    "orgs_update": Case(api_write(), _org, body={"unit_name": "实验中学（新校区）"}),
    "orgs_move": Case(api_write(), _fresh_group,
                      body=lambda c, s: {"parent": c["tree"]["branch_a2"].pk, **TODAY(c, s)}),
    "orgs_upgrade": Case(api_write(), _school_a_again, body=TODAY),
    "orgs_dissolve": Case(api_write(), _fresh_branch,
                          body=lambda c, s: {"dissolved_on": timezone.localdate().isoformat()}),
    "orgs_events": Case(api_read(), _org),
    "orgs_posts": Case(api_read(), _org),
    "orgs_post_add": Case(api_write(201), _org, body=_post_add_body),
    "posts_detail": Case(api_read(), _seat),
    "posts_end": Case(api_write(), _fresh_seat, body={"ended_on": "2024-01-01"}),
    "people_list": Case(api_list()),
    "people_create": Case(api_create(), body=_person_body, scoped=True),
    "people_detail": Case(api_read(), _person),
    "people_update": Case(api_write(), _person, body={"professional_title": "一级教师"}),
    "people_status": Case(api_write(), _fresh_person(Status.NON_MEMBER),
                          body=lambda c, s: {"status": "applicant", **TODAY(c, s)}),
    "people_move": Case(api_write(), _fresh_person(),
                        body=lambda c, s: {"org": c["tree"]["branch_a1"].pk, **TODAY(c, s)}),
    "people_unmask": Case(api_write(), _person),
    "people_status_events": Case(api_read(), _person),
    "people_memberships": Case(api_read(), _person),
    "findings_list": Case(api_scoped_list(), params=lambda c, s: {
        "org": c["tree"]["school_a" if s == "in" else "school_b"].pk}, scoped=True),
}


def _load_app_expectations():
    extenders = []
    for path in sorted(pathlib.Path(__file__).parent.glob("api_matrix_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        clash = set(module.EXPECT) & set(EXPECT)
        assert not clash, f"{path.name} redefines {clash}"
        EXPECT.update(module.EXPECT)
        if hasattr(module, "extend_ctx"):
            extenders.append(module.extend_ctx)
    return extenders


CTX_EXTENDERS = _load_app_expectations()


def operations():
    """{operation id: (method, path template)} from the OpenAPI document."""
    from dangjian.api.main import api

    return {op["operationId"]: (method, path) for path, ops in api.get_openapi_schema()["paths"].items()
            for method, op in ops.items()}


def test_every_api_operation_has_an_expectation():
    documented = set(operations())
    missing, stale = sorted(documented - set(EXPECT)), sorted(set(EXPECT) - documented)
    assert not missing, f"API operations without an entry in EXPECT: {missing}"
    assert not stale, f"EXPECT entries for operations that no longer exist: {stale}"


@pytest.fixture
def actx(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"   # uploads made by the matrix stay out of var/
    own = make_person(tree["branch_a1"])
    c = {"tree": tree, "org_in": tree["branch_a2"], "org_out": tree["school_b"],
         "person_in": make_person(tree["branch_a2"]), "person_out": make_person(tree["school_b"]), "own_person": own}
    c["seat_in"] = CommitteePost.objects.create(org=tree["branch_a2"], person=c["person_in"], post="secretary",
                                                started_on=date(2020, 1, 1))
    c["seat_out"] = CommitteePost.objects.create(org=tree["school_b"], person=c["person_out"], post="secretary",
                                                 started_on=date(2020, 1, 1))
    users = {"anon": None, "member": make_user("a_member", Role.MEMBER, tree["branch_a1"], person=own)}
    for role in ORG_ROLES:
        users[role] = make_user(f"a_{role}", role, tree["school_a"])
    for role in ADMINS:
        users[role] = make_user(f"a_{role}", admin_role=role)
    c["users"] = users
    c["tokens"] = {role: token_for(user) if user else None for role, user in users.items()}
    for extend in CTX_EXTENDERS:
        extend(c)
    return c


def _value(spec, ctx, scope):
    return spec(ctx, scope) if callable(spec) else spec


@pytest.mark.parametrize("operation_id", sorted(EXPECT))
def test_api_operation_answers_each_role_as_expected(client, actx, operation_id):
    method, template = operations()[operation_id]
    case = EXPECT[operation_id]
    failures = []
    for role in ALL:
        expected = case.expect[role]
        scopes = ("in", "out") if (case.kwargs or case.scoped) else (None,)
        for i, scope in enumerate(scopes):
            want = expected[i] if isinstance(expected, tuple) else expected
            path = template.format(**(_value(case.kwargs, actx, scope) or {}))
            body = _value(case.body, actx, scope)
            if body is None and method in ("post", "patch"):
                body = {}
            response = call(client, method, path, actx["tokens"][role], body=body,
                            params=_value(case.params, actx, scope), files=_value(case.files, actx, scope))
            if response.status_code != want:
                failures.append(f"{role}/{scope}: {response.status_code} (expected {want}) {response.content[:200]!r}")
            elif response.status_code >= 400:
                payload = response.json()
                if set(payload) != {"detail", "errors"}:
                    failures.append(f"{role}/{scope}: error body {payload!r}")
    assert not failures, f"{operation_id}: " + "; ".join(failures)


def test_member_reads_only_his_own_record(client, actx):
    token = actx["tokens"]["member"]
    own = actx["own_person"]
    assert call(client, "get", f"/people/{own.pk}", token).status_code == 200
    assert call(client, "get", f"/people/{own.pk}/status-events", token).status_code == 200
    assert call(client, "patch", f"/people/{own.pk}", token, body={"ethnicity": "回族"}).status_code == 403
    assert call(client, "post", f"/people/{own.pk}/unmask", token).status_code == 403
    assert call(client, "get", f"/people/{actx['person_in'].pk}", token).status_code == 404
