"""Permission-matrix entries for the integrity app (see tests/test_permission_matrix.py).

廉政 records are restricted: only 纪检 (the `discipline` user, on school_a) and district-level users see them.
Every org role of the matrix sits on school_a, so inside the scope only `discipline` gets the pages; the
others answer 403 on list pages and 404 for objects (they must not learn that a record exists).
"""

from datetime import date

from dangjian.integrity.models import Talk
from tests.test_permission_matrix import ALL, Route


def extend_ctx(ctx):
    for scope in ("in", "out"):
        ctx[f"talk_{scope}"] = Talk.objects.create(
            org=ctx[f"person_{scope}"].org, person=ctx[f"person_{scope}"], talked_on=date(2026, 1, 5),
            kind=Talk.Kind.REMINDER, talked_by="纪检委员", summary="提醒")


def talk(ctx, scope):
    return {"kind": "talks", "pk": ctx[f"talk_{scope}"].pk}


def discipline_only(status=200):
    return {role: status if role == "discipline" else 403 for role in ALL} | {"anon": 302}


def discipline_object(status=200):
    return {role: (status, 404) if role == "discipline" else (404, 404) for role in ALL} | {"anon": (302, 302)}


ROUTES = {
    "integrity:home": Route(expect=discipline_only()),
    "integrity:create": Route(lambda c, s: {"kind": "talks"}, {
        role: (200, 200) if role == "discipline" else (403, 403) for role in ALL} | {"anon": (302, 302)}),
    "integrity:detail": Route(talk, discipline_object()),
    "integrity:edit": Route(talk, discipline_object()),
    # The first POST deletes the record inside the scope; nothing else may.
    "integrity:delete": Route(talk, discipline_object(302), method="post"),
}
