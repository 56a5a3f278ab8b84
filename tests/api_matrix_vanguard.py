"""API permission-matrix rows for the vanguard app (see tests/test_api_permissions.py).

"in": records of branch_a2 (inside school_a, where the org roles sit); "out": records of school_b, made by
tests/matrix_vanguard.py's factories. The member holds no organisation role: lists 403, objects 404.
"""

from django.utils import timezone

from dangjian.orgs.models import Role
from tests.factories import make_person, make_user
from tests.test_vanguard_factories import KINDS, sample
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_scoped_list, api_write


def extend_ctx(ctx):
    tree = ctx["tree"]
    writers = {"in": make_user("api_vg_w_in", Role.SECRETARY, tree["school_a"]),
               "out": make_user("api_vg_w_out", Role.SECRETARY, tree["school_b"])}
    ctx["vanguard_writers"] = writers
    for scope in ("in", "out"):
        org = ctx[f"org_{scope}"]
        for kind in KINDS:
            ctx[f"vg_{kind}_{scope}"] = sample(kind, writers[scope], org, ctx[f"person_{scope}"])


def key(kind):
    return lambda c, s: {"record_id": c[f"vg_{kind}_{s}"].pk}


def fresh(kind):
    def make(c, s):
        return {"record_id": sample(kind, c["vanguard_writers"][s], c[f"org_{s}"]).pk}

    return make


def _person(c, s):
    """A person of the body's organisation (outside: school_b's, which the caller cannot see either)."""
    return make_person(c[f"org_{s}"]).pk


TODAY = lambda: timezone.localdate().isoformat()  # noqa: E731
BODIES = {
    "pairs": lambda c, s: {"mentor": _person(c, s), "apprentice_name": "新教师", "school_year":
                           c["vg_pairs_in"].school_year},
    "posts": lambda c, s: {"kind": "vanguard", "name": "党员先锋岗", "member": _person(c, s), "starts_on": TODAY()},
    "lessons": lambda c, s: {"teacher": _person(c, s), "date": TODAY(), "title": "圆的认识", "kind": "open",
                             "level": "school"},
    "reviews": lambda c, s: {"person": _person(c, s), "date": TODAY(), "role": "evaluate", "lesson_title": "圆的认识"},
    "articles": lambda c, s: {"title": "学校开展主题党日", "date": TODAY(), "platform": "website", "level": "school",
                              "author_names": "宣传组"},
    "honours": lambda c, s: {"title": "先进基层党组织", "kind": "advanced_org", "level": "district", "date": TODAY(),
                             "issuer": "区教育工委", "recipient_org": c[f"org_{s}"].pk},
}
PATCHES = {"pairs": {"outcome": "徒弟获区优质课二等奖"}, "posts": {"time_slot": "周三 12:00-12:30"},
           "lessons": {"result": "一等奖"}, "reviews": {"role": "attend"}, "articles": {"url": "https://example.cn/a"},
           "honours": {"issuer": "市教育局", "level": "city"}}


def _create_body(kind):
    body = BODIES[kind]
    return lambda c, s: {"org": c[f"org_{s}"].pk, **body(c, s)}


EXPECT = {"vanguard_summary": Case(api_scoped_list(), scoped=True, params=lambda c, s: {
    "org": c[f"org_{s}"].pk, "start": "2020-01-01", "end": TODAY()})}
for _kind in KINDS:
    _op = f"vanguard_{_kind}"
    EXPECT[f"{_op}_list"] = Case(api_list())
    EXPECT[f"{_op}_create"] = Case(api_create(), body=_create_body(_kind), scoped=True)
    EXPECT[f"{_op}_detail"] = Case(api_read(), key(_kind))
    EXPECT[f"{_op}_update"] = Case(api_write(), key(_kind), body=PATCHES[_kind])
    EXPECT[f"{_op}_delete"] = Case(api_write(), fresh(_kind))
