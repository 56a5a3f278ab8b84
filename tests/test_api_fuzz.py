"""Property test: random JSON bodies and query parameters, shaped by the OpenAPI document's schemas
(and random garbage), never make the API answer 500. Every answer is JSON in the one error shape or a
success; nothing escapes as an exception."""

import json
import string
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.members.models import Status
from dangjian.orgs.models import CommitteePost, OrgKind, Role
from tests.factories import make_org, make_person, make_user
from tests.test_api_permissions import call, operations, token_for

pytestmark = pytest.mark.django_db

SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)
NASTY_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", " ", "\x00", "a\x00b", "'; DROP TABLE x; --", "2024-02-30", "9999-12-31", "0001-01-01",
                     "1990-03-04", "110101199003041234", "11010119900304123X", "１２３", "🙂" * 60]),
)


def _schema():
    from dangjian.api.main import api

    return api.get_openapi_schema()


def _resolve(schema, doc):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def value_for(schema, doc, ids, wild=True):
    """A value that fits the schema (wild=False), or one near it, just outside it, or anything at all."""
    schema = _resolve(schema, doc)
    options = []
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    if "anyOf" in schema:
        options += [value_for(s, doc, ids, wild) for s in schema["anyOf"]]
    kind = schema.get("type")
    if kind == "string" and schema.get("format") == "date":
        options.append(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(date.isoformat))
    elif kind == "string":
        limit = schema.get("maxLength", 50)
        options.append(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
                                min_size=1, max_size=limit))
        if wild:
            # around the limit: one under, at, one over (fixed strings: a long text limit, e.g. 20 000 for a
            # report, is beyond what Hypothesis can draw character by character)
            options += [st.text(max_size=min(limit + 2, 1000)),
                        st.sampled_from([string.digits[n % 10] * n for n in (max(limit - 1, 0), limit, limit + 1)])]
    elif kind == "integer":
        options.append(st.sampled_from(ids))
        if wild:
            options += [st.integers(min_value=-5, max_value=10**6), st.integers(min_value=2**62)]
    elif kind == "boolean":
        options.append(st.booleans())
    elif kind == "null":
        options.append(st.none())
    elif kind == "object":
        options.append(object_for(schema, doc, ids, wild))
    if wild or not options:
        options += [NASTY_TEXT, JSON]
    return st.one_of(options)


def object_for(schema, doc, ids, wild=True):
    schema = _resolve(schema, doc)
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    optional = {k: value_for(v, doc, ids, wild) for k, v in props.items() if k not in required}
    if wild:
        optional["unexpected"] = JSON
    return st.fixed_dictionaries({k: value_for(v, doc, ids, wild) for k, v in props.items() if k in required},
                                 optional=optional)


def body_strategy(op, doc, ids):
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    bodies = [JSON.map(json.dumps), st.binary(max_size=40)]
    if content:
        bodies[:0] = [object_for(content["schema"], doc, ids, wild=False).map(json.dumps),
                      object_for(content["schema"], doc, ids).map(json.dumps)]
    return st.one_of(bodies)


def params_strategy(op, doc, ids):
    query = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}

    def params(wild):
        return st.fixed_dictionaries({}, optional={
            name: value_for(p["schema"], doc, ids, wild).map(lambda v: v if isinstance(v, str) else json.dumps(v))
            for name, p in query.items()})

    return st.one_of(params(False), params(True))


@pytest.fixture
def world(tree):
    people = [make_person(tree["branch_a1"]), make_person(tree["branch_a2"], status=Status.PROBATIONARY),
              make_person(tree["branch_a1"], status=Status.APPLICANT, joined_on=None), make_person(tree["school_b"])]
    make_org(tree["school_a"], kind=OrgKind.BRANCH)
    seat = CommitteePost.objects.create(org=tree["branch_a1"], person=people[0], post="member",
                                        started_on=date(2020, 1, 1))
    ids = sorted({o.pk for o in tree.values()} | {p.pk for p in people} | {seat.pk})
    return {"token": token_for(make_user("fuzz_sec", Role.SECRETARY, tree["school_a"])), "ids": ids}


def _operation_ids():
    return sorted(operations())


@pytest.mark.parametrize("operation_id", _operation_ids())
def test_random_requests_never_cause_a_server_error(client, world, operation_id):
    doc = _schema()
    method, template = operations()[operation_id]
    op = doc["paths"][template][method]
    path_names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
    path_values = st.fixed_dictionaries({n: st.one_of(st.sampled_from(world["ids"]), st.integers(-3, 2**70),
                                                      st.sampled_from(["abc", "1.5", "%00"]))
                                         for n in path_names})

    @SETTINGS
    @given(path_values, params_strategy(op, doc, world["ids"]),
           body_strategy(op, doc, world["ids"]) if method != "get" else st.just(None))
    def run(path_kwargs, params, body):
        path = template.format(**path_kwargs)
        raw = body.encode() if isinstance(body, str) else body
        response = call(client, method, path, world["token"], params=params or None,
                        raw=raw if method != "get" else None)
        assert response.status_code < 500, (path, params, body, response.content[:300])
        payload = response.json()
        if response.status_code >= 400:
            assert set(payload) == {"detail", "errors"}, payload

    run()

