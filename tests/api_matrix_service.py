"""API permission-matrix rows for the service app (see tests/test_api_permissions.py).

"in": records of branch_a2 (inside school_a, where the org roles sit); "out": records of school_b (the records
are the page matrix's, tests/matrix_service.py). Deletes get a fresh record for each call; photo deletes a fresh
photo of the scope's activity."""

import itertools

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.matrix_service import DAY, fresh, key
from tests.matrix_service import extend_ctx as records_ctx
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_write


def _body(extra):
    return lambda c, s: {"org": c["org_in" if s == "in" else "org_out"].pk, **extra(c, s)}


def _fresh(name, param):
    make = fresh(name)
    return lambda c, s: {param: make(c, s)["pk"]}


def _key(name, param):
    get = key(name)
    return lambda c, s: {param: get(c, s)["pk"]}


_seq = itertools.count(1)
KINDS = {
    "service_activities": ("activity", "activity_id", lambda c, s: {
        "kind": "volunteer", "title": "接口登记", "date": DAY.isoformat(),
        "participants": [{"person": c[f"person_{s}"].pk, "hours": "1.5"}]}, {"title": "新名称"}),
    "service_partnerships": ("partnership", "partnership_id", lambda c, s: {
        "partner_name": f"城南社区{next(_seq)}", "partner_kind": "community", "since": DAY.isoformat()}, {"note": "说明"}),
    "service_pairs": ("pair", "pair_id", lambda c, s: {
        "member": c[f"person_{s}"].pk, "student_alias": f"P{next(_seq)}", "school_year": "2025-2026",
        "category": "struggling"}, {"note": "提高数学成绩"}),
    "service_home_visits": ("visit", "visit_id", lambda c, s: {
        "teacher": c[f"person_{s}"].pk, "date": DAY.isoformat(), "category": "hardship", "student_alias": "L.M."},
        {"outcome": "有进步"}),
    "service_care_visits": ("care", "care_id", lambda c, s: {
        "date": DAY.isoformat(), "recipient_kind": "sick_teacher", "recipients": 1, "money": "300"},
        {"matters_solved": 2}),
}

EXPECT = {}
for _op, (_name, _param, _create, _patch) in KINDS.items():
    EXPECT |= {
        f"{_op}_list": Case(api_list()),
        f"{_op}_create": Case(api_create(), body=_body(_create), scoped=True),
        f"{_op}_detail": Case(api_read(), _key(_name, _param)),
        f"{_op}_update": Case(api_write(), _key(_name, _param), body=_patch),
        f"{_op}_delete": Case(api_write(), _fresh(_name, _param)),
    }

from tests.test_permission_matrix import ALL


def restricted(ok=200):
    """困难职工档案: writers of the scope only; viewers, discipline and everyone else never see a file (404)."""
    return {role: (ok, 404) if role in ("secretary", "org_admin") else (404, 404) for role in ALL} | {
        "anon": (401, 401)}


EXPECT |= {
    "service_hardship_list": Case({role: 200 if role in ("secretary", "org_admin") else 403 for role in ALL}
                                  | {"anon": 401}),
    "service_hardship_create": Case(api_create(), body=_body(lambda c, s: {
        "name": "职工乙", "opened_on": DAY.isoformat(), "difficulty": "因病致困"}), scoped=True),
    "service_hardship_detail": Case(restricted(), _key("hardship", "file_id")),
    "service_hardship_update": Case(restricted(), _key("hardship", "file_id"), body={"assistance": "送温暖"}),
    "service_hardship_delete": Case(restricted(), _fresh("hardship", "file_id")),
}

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def png(name="活动.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def add_photo(c, s):
    from dangjian.service import services

    return services.photo_add(actor=c["service_writers"][s], activity=c["service"][s]["activity"], upload=png())


def extend_ctx(ctx):
    records_ctx(ctx)
    for scope in ("in", "out"):
        ctx[f"service_photo_{scope}"] = add_photo(ctx, scope)


EXPECT |= {
    "service_photos_list": Case(api_read(), _key("activity", "activity_id")),
    "service_photos_add": Case(api_write(201), _key("activity", "activity_id"), files=lambda c, s: {"file": png()}),
    "service_photos_download": Case(api_read(), lambda c, s: {"photo_id": c[f"service_photo_{s}"].pk}),
    "service_photos_delete": Case(api_write(), lambda c, s: {"photo_id": add_photo(c, s).pk}),
}
