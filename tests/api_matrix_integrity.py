"""API permission-matrix rows for the integrity app (see tests/test_api_permissions.py).

廉政 records are restricted: of the matrix's roles (all on school_a) only `discipline` reads them, inside its
scope; every other role answers 403 on the lists and 404 on records, as the pages do. Creating names a person
(or, for 警示教育, an organisation): inside the scope `discipline` creates (201); outside, the reference is not in its
write scope (422); everyone else is refused (403). Changing and deleting: `discipline` inside its scope, 404 for
everyone else (they do not see the records); deletions take a fresh record each call."""

from datetime import date

from dangjian.integrity.models import IntegrityFile, Sanction, Talk, WarningEducation
from tests.factories import make_person
from tests.test_api_permissions import Case
from tests.test_permission_matrix import ALL

KINDS = ("files", "talks", "education", "sanctions")


def _make(slug, person):
    org = person.org
    if slug == "files":
        return IntegrityFile.objects.create(org=org, person=person, post="副校长", relatives_count=3,
                                            updated_on=date(2026, 1, 5))
    if slug == "talks":
        return Talk.objects.create(org=org, person=person, talked_on=date(2026, 1, 5), kind=Talk.Kind.REMINDER,
                                   talked_by="纪检委员")
    if slug == "education":
        return WarningEducation.objects.create(org=org, held_on=date(2026, 1, 5), title="警示教育大会", form="案例通报",
                                               participants=20, person_times=20)
    return Sanction.objects.create(org=org, person=person, kind=Sanction.Kind.WARNING, decided_on=date(2026, 1, 5),
                                   decided_by="党委", document_no="纪〔2026〕1号")


def extend_ctx(ctx):
    for scope in ("in", "out"):
        for slug in KINDS:
            ctx[f"integrity_{slug}_{scope}"] = _make(slug, ctx[f"person_{scope}"])


def discipline_list():
    return {role: 200 if role == "discipline" else 403 for role in ALL} | {"anon": 401}


def discipline_read():
    return {role: (200, 404) if role == "discipline" else (404, 404) for role in ALL} | {"anon": (401, 401)}


def discipline_create():
    return {role: (201, 422) if role == "discipline" else (403, 403) for role in ALL} | {"anon": (401, 401)}


def _person(c, s):
    # A fresh person each call: one 廉政档案 per person.
    return make_person(c[f"org_{s}"]).pk


BODIES = {
    "files": lambda c, s: {"person": _person(c, s), "post": "教导主任", "updated_on": "2026-01-05"},
    "talks": lambda c, s: {"person": _person(c, s), "talked_on": "2026-01-05", "kind": "reminder",
                           "talked_by": "纪检委员"},
    "education": lambda c, s: {"org": c[f"org_{s}"].pk, "held_on": "2026-01-05", "title": "观看警示教育片",
                               "form": "观看警示教育片", "participants": 10, "person_times": 12},
    "sanctions": lambda c, s: {"person": _person(c, s), "kind": "probation", "decided_on": "2026-01-05",
                               "decided_by": "学校党委", "document_no": "纪〔2026〕2号",
                               "probation_until": "2027-01-05"},
}


def _record(slug):
    return lambda c, s: {"record_id": c[f"integrity_{slug}_{s}"].pk}


def _fresh(slug):
    return lambda c, s: {"record_id": _make(slug, make_person(c[f"org_{s}"])).pk}


def discipline_write():
    return {role: (200, 404) if role == "discipline" else (404, 404) for role in ALL} | {"anon": (401, 401)}


PATCHES = {"files": {"relatives_count": 4}, "talks": {"summary": "提醒谈话要点"}, "education": {"person_times": 25},
           "sanctions": {"decided_by": "学校党委"}}


EXPECT = {}
for _slug in KINDS:
    EXPECT[f"integrity_{_slug}_list"] = Case(discipline_list())
    EXPECT[f"integrity_{_slug}_detail"] = Case(discipline_read(), _record(_slug))
    EXPECT[f"integrity_{_slug}_create"] = Case(discipline_create(), body=BODIES[_slug], scoped=True)
    EXPECT[f"integrity_{_slug}_update"] = Case(discipline_write(), _record(_slug), body=PATCHES[_slug])
    EXPECT[f"integrity_{_slug}_delete"] = Case(discipline_write(), _fresh(_slug))
