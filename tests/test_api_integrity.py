"""The 廉政 API: exactly the pages' visibility (纪检 in scope and district-level roles; everyone else 403 on lists,
404 on records), the pages' audit row for every read (list: ids shown and filters; record: the record), and
creation through the same service (validation in Chinese, conflicts 409, people outside the write scope 422)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.integrity.models import IntegrityFile, Sanction, Talk, WarningEducation
from tests.factories import make_person
from tests.test_api_permissions import call, token_for
from tests.test_integrity_records import VISIBILITY, people, reads, talk, users  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(users):
    return {who: token_for(user) for who, user in users.items()}


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize("who", sorted(VISIBILITY))
def test_each_role_sees_exactly_what_the_pages_show(client, people, tokens, who):
    inside, outside = talk(people["a2"]), talk(people["b"])
    sees_in, sees_out, _ = VISIBILITY[who]
    token = tokens[who]
    listing = call(client, "get", "/integrity/talks", token)
    if sees_in or sees_out:
        assert set(ids(listing)) == {r.pk for r, seen in ((inside, sees_in), (outside, sees_out)) if seen}
    else:
        assert listing.status_code == 403
    for record, seen in ((inside, sees_in), (outside, sees_out)):
        assert call(client, "get", f"/integrity/talks/{record.pk}", token).status_code == (200 if seen else 404)


def test_a_list_read_writes_the_pages_audit_row(client, people, users, tokens):
    shown = talk(people["a2"])
    talk(people["b"])  # outside the 纪检's scope: neither shown nor logged
    response = call(client, "get", "/integrity/talks", tokens["discipline"], params={"q": "张", "limit": 10})
    assert ids(response) == [shown.pk]
    entry = reads(users["discipline"]).get()
    assert entry.object_type == "integrity.talk" and entry.changes["ids"] == [shown.pk]
    assert entry.changes["filters"] == {"tab": "talks", "q": "张", "limit": 10, "offset": 0}


def test_an_empty_list_is_still_an_audited_read(client, users, tokens):
    assert call(client, "get", "/integrity/sanctions", tokens["discipline"]).json()["count"] == 0
    entry = reads(users["discipline"]).get()
    assert entry.object_type == "integrity.sanction" and entry.changes["ids"] == []


def test_a_record_read_is_audited_and_a_refused_one_is_not_a_read(client, people, users, tokens):
    record = talk(people["a2"])
    assert call(client, "get", f"/integrity/talks/{record.pk}", tokens["district_viewer"]).status_code == 200
    entry = reads(users["district_viewer"]).get()
    assert (entry.object_type, entry.object_id) == ("integrity.talk", str(record.pk))
    assert call(client, "get", f"/integrity/talks/{record.pk}", tokens["school_secretary"]).status_code == 404
    assert call(client, "get", "/integrity/talks", tokens["school_secretary"]).status_code == 403
    assert not reads(users["school_secretary"]).exists()
    assert AuditLog.objects.filter(user=users["school_secretary"], event=Event.DENIED).count() == 2


def test_every_kind_is_listed_and_read_with_its_fields(client, people, tokens):
    person = people["a2"]
    records = {
        "files": IntegrityFile.objects.create(org=person.org, person=person, post="副校长", relatives_count=4,
                                              updated_on=date(2026, 1, 5)),
        "talks": talk(person, kind=Talk.Kind.ADMONITION),
        "education": WarningEducation.objects.create(org=person.org, held_on=date(2026, 2, 1), title="警示教育",
                                                     form="案例通报", participants=12, person_times=15),
        "sanctions": Sanction.objects.create(org=person.org, person=person, kind=Sanction.Kind.PROBATION,
                                             decided_on=date(2026, 1, 5), decided_by="学校党委",
                                             document_no="纪〔2026〕3号", probation_until=date(2027, 1, 5)),
    }
    token = tokens["district_admin"]
    for slug, record in records.items():
        assert ids(call(client, "get", f"/integrity/{slug}", token)) == [record.pk]
        body = call(client, "get", f"/integrity/{slug}/{record.pk}", token).json()
        assert body["id"] == record.pk and body["org"]["id"] == person.org_id
    talk_body = call(client, "get", f"/integrity/talks/{records['talks'].pk}", token).json()
    assert talk_body["kind"] == "admonition" and talk_body["kind_label"] == "诫勉谈话"
    assert talk_body["person"] == {"id": person.pk, "name": "张干部"}
    sanction = call(client, "get", f"/integrity/sanctions/{records['sanctions'].pk}", token).json()
    assert sanction["kind_label"] == "留党察看" and sanction["probation_until"] == "2027-01-05"
    education = call(client, "get", f"/integrity/education/{records['education'].pk}", token).json()
    assert (education["participants"], education["person_times"]) == (12, 15)


def test_list_filters_by_organisation_year_and_text(client, tree, people, tokens):
    a2 = talk(people["a2"], talked_on=date(2025, 6, 1))
    b = talk(people["b"], talked_on=date(2026, 3, 1))
    token = tokens["district_viewer"]
    assert ids(call(client, "get", "/integrity/talks", token, params={"org": tree["school_b"].pk})) == [b.pk]
    assert ids(call(client, "get", "/integrity/talks", token, params={"year": 2025})) == [a2.pk]
    assert ids(call(client, "get", "/integrity/talks", token, params={"q": "李干部"})) == [b.pk]
    # The 纪检 of school_a does not see school_b: naming it is 404.
    assert call(client, "get", "/integrity/talks", tokens["discipline"],
                params={"org": tree["school_b"].pk}).status_code == 404


def test_list_queries_do_not_grow_with_the_records(client, people, tokens):
    def count():
        call(client, "get", "/integrity/talks", tokens["discipline"])
        with CaptureQueriesContext(connection) as queries:
            assert call(client, "get", "/integrity/talks", tokens["discipline"]).status_code == 200
        return len(queries)

    talk(people["a2"])
    small = count()
    for _ in range(8):
        talk(make_person(people["a2"].org))
    assert count() == small


# --- creating --------------------------------------------------------------------------------------


def test_the_discipline_creates_through_the_service_and_is_audited(client, people, users, tokens):
    response = call(client, "post", "/integrity/talks", tokens["discipline"],
                    body={"person": people["a2"].pk, "talked_on": "2026-03-02", "kind": "reminder",
                          "talked_by": "纪检委员", "summary": "提醒按时申报个人有关事项"})
    assert response.status_code == 201, response.content
    record = Talk.objects.get(pk=response.json()["id"])
    assert record.org == people["a2"].org and record.created_by == users["discipline"]
    log = AuditLog.objects.get(event=Event.CREATE, object_type="integrity.talk", object_id=str(record.pk))
    assert log.changes["after"]["kind"] == "提醒谈话"


def test_the_district_records_warning_education_for_an_organisation(client, tree, tokens):
    body = {"org": tree["school_b"].pk, "held_on": "2026-03-02", "title": "观看警示教育片", "form": "观看",
            "participants": 30, "person_times": 30}
    response = call(client, "post", "/integrity/education", tokens["district_admin"], body=body)
    assert response.status_code == 201 and response.json()["org"]["id"] == tree["school_b"].pk
    assert call(client, "post", "/integrity/education", tokens["district_viewer"], body=body).status_code == 403


@pytest.mark.parametrize("who", ["school_secretary", "school_admin", "school_viewer", "district_viewer", "member"])
def test_roles_without_the_write_right_cannot_create(client, people, tokens, who):
    response = call(client, "post", "/integrity/talks", tokens[who],
                    body={"person": people["a2"].pk, "talked_on": "2026-03-02", "kind": "reminder",
                          "talked_by": "纪检委员"})
    assert response.status_code == 403 and not Talk.objects.exists()


def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(client, people, tokens):
    token = tokens["discipline"]
    before = AuditLog.objects.filter(event=Event.CREATE).count()
    sanction = {"person": people["a2"].pk, "kind": "probation", "decided_on": "2026-01-05", "decided_by": "学校党委",
                "document_no": "纪〔2026〕9号", "probation_until": "2028-03-01"}
    response = call(client, "post", "/integrity/sanctions", token, body=sanction)
    assert response.status_code == 422
    assert response.json()["errors"] == {"probation_until": ["留党察看最长不超过二年（章程第四十一条）。"]}
    outside = call(client, "post", "/integrity/sanctions", token,
                   body={**sanction, "person": people["b"].pk, "probation_until": "2027-01-05"})
    assert outside.status_code == 422 and list(outside.json()["errors"]) == ["person"]
    education = call(client, "post", "/integrity/education", token,
                     body={"org": people["a2"].org_id, "held_on": "2026-03-02", "title": "警示教育", "form": "通报",
                           "participants": 20, "person_times": 10})
    assert education.json()["errors"] == {"person_times": ["参加人次不能少于参加人数。"]}
    assert not Sanction.objects.exists() and not WarningEducation.objects.exists()
    assert AuditLog.objects.filter(event=Event.CREATE).count() == before


def test_a_second_file_for_the_same_person_is_a_conflict(client, people, tokens):
    body = {"person": people["a2"].pk, "post": "副校长", "updated_on": "2026-01-05"}
    assert call(client, "post", "/integrity/files", tokens["discipline"], body=body).status_code == 201
    response = call(client, "post", "/integrity/files", tokens["discipline"], body=body)
    assert response.status_code == 409 and IntegrityFile.objects.count() == 1


# --- changing and deleting (the edit page's service and checks) ------------------------------------------------


def test_update_changes_only_the_fields_sent_and_is_audited(client, people, tokens):
    record = talk(people["a2"])
    response = call(client, "patch", f"/integrity/talks/{record.pk}", tokens["discipline"],
                    body={"summary": "提醒要点（补充）"})
    assert response.status_code == 200 and response.json()["summary"] == "提醒要点（补充）"
    record.refresh_from_db()
    assert (record.summary, record.talked_by) == ("提醒要点（补充）", "纪委书记")
    entry = AuditLog.objects.get(event=Event.UPDATE, object_type="integrity.talk", object_id=str(record.pk))
    assert entry.changes["after"]["summary"] == "提醒要点（补充）"


def test_bad_update_changes_nothing(client, people, tokens):
    record = Sanction.objects.create(org=people["a2"].org, person=people["a2"], kind=Sanction.Kind.PROBATION,
                                     decided_on=date(2026, 1, 5), decided_by="党委", document_no="纪〔2026〕1号",
                                     probation_until=date(2027, 1, 5))
    token = tokens["discipline"]
    response = call(client, "patch", f"/integrity/sanctions/{record.pk}", token, body={"probation_until": "2028-03-01"})
    assert response.status_code == 422 and "probation_until" in response.json()["errors"]
    response = call(client, "patch", f"/integrity/sanctions/{record.pk}", token, body={"person": people["b"].pk})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["person"]
    assert call(client, "patch", f"/integrity/sanctions/{record.pk}", token,
                body={"decided_by": None}).status_code == 422
    record.refresh_from_db()
    assert (record.probation_until, record.person_id, record.decided_by) == (date(2027, 1, 5), people["a2"].pk, "党委")
    assert not AuditLog.objects.filter(event=Event.UPDATE, object_type="integrity.sanction").exists()


@pytest.mark.parametrize("who", sorted(VISIBILITY))
def test_update_and_delete_follow_the_pages_rights(client, people, tokens, who):
    record = talk(people["a2"])
    sees, _, writes = VISIBILITY[who]
    want = 200 if writes else 403 if sees else 404
    patch = call(client, "patch", f"/integrity/talks/{record.pk}", tokens[who], body={"summary": "改"})
    assert patch.status_code == want
    delete = call(client, "delete", f"/integrity/talks/{record.pk}", tokens[who])
    assert delete.status_code == want
    assert Talk.objects.filter(pk=record.pk).exists() == (not writes)
    outside = talk(people["b"])
    _, sees_out, _ = VISIBILITY[who]
    if not sees_out:
        assert call(client, "delete", f"/integrity/talks/{outside.pk}", tokens[who]).status_code == 404
        assert Talk.objects.filter(pk=outside.pk).exists()
