"""Permission-matrix entries for the service app (see tests/test_permission_matrix.py).

"in": records of branch_a2 (inside school_a, where the org roles sit); "out": records of school_b. Objects a
request consumes (deletes) are made afresh for each call. 困难职工档案 are restricted: only 书记 and 组织管理员
of the scope (and read roles held on the district, not present here) see them; a viewer gets 403 on the list
and 404 on a file, as if it did not exist.
"""

import itertools
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.test_permission_matrix import ALL, Route, read_list, read_object, write_object

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
DAY = date(2025, 5, 10)
_seq = itertools.count(1)


def _org(ctx, scope):
    return ctx["org_in" if scope == "in" else "org_out"]


def _writer(ctx, scope):
    return ctx["service_writers"][scope]


def make_records(ctx, scope):
    """One record of each kind in the scope's organisation, recorded by a writer of that scope."""
    from dangjian.service import services

    org, user, person, n = _org(ctx, scope), _writer(ctx, scope), ctx[f"person_{scope}"], next(_seq)
    activity = services.activity_create(actor=user, org=org, kind="volunteer", title="志愿服务", date=DAY,
                                        participants=[{"person": person, "hours": "2"}])
    pair = services.pair_create(actor=user, org=org, member=person, student_alias=f"S{n}", school_year="2024-2025",
                                category="struggling")
    return {
        "activity": activity,
        "photo": services.photo_add(actor=user, activity=activity, upload=SimpleUploadedFile("p.png", PNG)),
        "partnership": services.partnership_create(actor=user, org=org, partner_name=f"东坪村{n}",
                                                   partner_kind="village", since=DAY),
        "pair": pair,
        "visit": services.home_visit_create(actor=user, org=org, pair=pair, date=DAY, category="struggling"),
        "care": services.care_visit_create(actor=user, org=org, date=DAY, recipient_kind="veteran", recipients=2),
        "hardship": services.hardship_create(actor=user, org=org, name="职工甲", opened_on=DAY, difficulty="因病致困"),
    }


def extend_ctx(ctx):
    from dangjian.orgs.models import Role
    from tests.factories import make_user

    tree = ctx["tree"]
    ctx["service_writers"] = {"in": make_user("svc_w_in", Role.SECRETARY, tree["school_a"]),
                              "out": make_user("svc_w_out", Role.SECRETARY, tree["school_b"])}
    ctx["service"] = {scope: make_records(ctx, scope) for scope in ("in", "out")}


def key(name):
    return lambda c, s: {"pk": c["service"][s][name].pk}


def fresh(name):
    return lambda c, s: {"pk": make_records(c, s)[name].pk}


def restricted(ok=200):
    """困难职工档案: writers of the scope only; viewers and discipline never see a file (404)."""
    return {role: (ok, 404) if role in ("secretary", "org_admin") else (404, 404) for role in ALL} | {
        "anon": (302, 302)}


def restricted_list():
    return {role: 200 if role in ("secretary", "org_admin") else 403 for role in ALL} | {"anon": 302}


ROUTES = {
    "service:summary": Route(expect=read_list()),
    "service:photo_add": Route(key("activity"), write_object(302), method="post"),  # empty form: back with a message
    "service:photo_download": Route(key("photo"), read_object()),
    "service:photo_delete": Route(fresh("photo"), write_object(302), method="post"),
}
for _key, _list in (("activity", "home"), ("partnership", "partnerships"), ("visit", "visits"), ("pair", "pairs"),
                    ("care", "care"), ("hardship", "hardship")):
    _restricted = _key == "hardship"
    ROUTES |= {
        f"service:{_list}": Route(expect=restricted_list() if _restricted else read_list()),
        f"service:{_key}_new": Route(expect=read_list(writers_only=True)),
        f"service:{_key}_detail": Route(key(_key), restricted() if _restricted else read_object()),
        f"service:{_key}_edit": Route(key(_key), restricted() if _restricted else write_object()),
        f"service:{_key}_delete": Route(fresh(_key), restricted(302) if _restricted else write_object(302),
                                        method="post"),
    }
