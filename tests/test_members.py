from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dangjian.core.models import AuditLog
from dangjian.members import services
from dangjian.members.models import OrgMembership, Person, PersonChange, Status, StatusEvent
from dangjian.orgs.models import Role
from tests.factories import make_id_number, make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary(tree):
    return make_user("branch_secretary", Role.SECRETARY, tree["school_a"])


def create(actor, org, **overrides):
    data = dict(name="张红", gender="F", birth_date=date(1988, 3, 8), status=Status.FULL,
                id_number=make_id_number(date(1988, 3, 8), 7, female=True), phone="13912345678",
                joined_on=date(2012, 6, 20), full_member_on=date(2013, 6, 20), education="bachelor")
    data.update(overrides)
    return services.person_create(actor=actor, org=org, **data)


def test_id_number_is_encrypted_at_rest_and_shown_masked(tree, secretary):
    id_number = make_id_number(date(1988, 3, 8), 7, female=True)
    person = create(secretary, tree["branch_a1"], id_number=id_number)
    assert person.id_number_masked == id_number[:6] + "********" + id_number[-4:]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number_cipher, phone_cipher FROM members_person WHERE id = %s", [person.pk])
        cipher, phone_cipher = cursor.fetchone()
    assert id_number not in cipher and "13912345678" not in phone_cipher
    assert Person.objects.get(pk=person.pk).get_id_number() == id_number


def test_creating_a_person_writes_membership_status_history_and_audit_without_the_full_id(tree, secretary):
    id_number = make_id_number(date(1988, 3, 8), 7, female=True)
    person = create(secretary, tree["branch_a1"], id_number=id_number)
    assert OrgMembership.objects.filter(person=person, org=tree["branch_a1"], ended_on=None).exists()
    assert StatusEvent.objects.filter(person=person, status=Status.FULL).exists()
    row = AuditLog.objects.get(event="create", object_type="members.person", object_id=str(person.pk))
    assert id_number not in str(row.changes)


@pytest.mark.parametrize("bad,reason", [
    ("11010119880308002", "18位"),
    ("110101198803080021", "校验位"),
    ("110101198802300024", "出生日期"),
])
def test_invalid_id_numbers_are_refused_and_nothing_is_saved(tree, secretary, bad, reason):
    with pytest.raises(ValidationError) as exc:
        create(secretary, tree["branch_a1"], id_number=bad)
    assert reason in str(exc.value)
    assert not Person.objects.exists()


def test_id_number_birth_date_must_match_the_birth_date(tree, secretary):
    with pytest.raises(ValidationError, match="不一致"):
        create(secretary, tree["branch_a1"], id_number=make_id_number(date(1990, 1, 1), 3))


def test_the_same_id_number_cannot_be_registered_twice(tree, secretary):
    id_number = make_id_number(date(1988, 3, 8), 7, female=True)
    create(secretary, tree["branch_a1"], id_number=id_number)
    with pytest.raises(ValidationError, match="已登记"):
        create(secretary, tree["branch_a2"], name="李四", id_number=id_number.lower())


@pytest.mark.parametrize("field,value,message", [
    ("birth_date", date.today() + timedelta(days=1), "不能晚于今天"),
    ("full_member_on", date(2011, 1, 1), "不能早于入党日期"),
    ("joined_on", None, "须填写入党日期"),
])
def test_impossible_dates_are_refused(tree, secretary, field, value, message):
    overrides = {field: value, "id_number": ""}
    with pytest.raises(ValidationError, match=message):
        create(secretary, tree["branch_a1"], **overrides)


def test_a_person_cannot_be_placed_in_a_party_group_directly(tree, secretary):
    with pytest.raises(ValidationError, match="党小组"):
        create(secretary, tree["group_a1"])


def test_a_group_must_belong_to_the_persons_branch(tree, secretary):
    with pytest.raises(ValidationError, match="党小组"):
        create(secretary, tree["branch_a2"], group=tree["group_a1"])
    person = create(secretary, tree["branch_a1"], group=tree["group_a1"])
    assert person.group == tree["group_a1"]


def test_writing_outside_scope_is_refused(tree, secretary):
    with pytest.raises(ValidationError):
        create(secretary, tree["school_b"])


def test_edit_keeps_field_history(tree, secretary):
    person = create(secretary, tree["branch_a1"])
    services.person_update(actor=secretary, person=person, name="张红梅", professional_title="高级教师")
    change = PersonChange.objects.get(person=person)
    assert change.before == {"name": "张红", "professional_title": ""}
    assert change.after == {"name": "张红梅", "professional_title": "高级教师"}


def test_status_change_follows_the_lifecycle_and_keeps_evidence(tree, secretary):
    person = create(secretary, tree["branch_a1"], status=Status.CANDIDATE, joined_on=None, full_member_on=None,
                    applied_on=date(2022, 3, 1), status_since=date(2023, 6, 1))
    services.person_change_status(actor=secretary, person=person, status=Status.PROBATIONARY,
                                  effective_on=date(2024, 7, 1), decided_by="第一党支部党员大会",
                                  decision_date=date(2024, 7, 1), approval_no="教工委〔2024〕12号")
    person.refresh_from_db()
    assert person.status == Status.PROBATIONARY and person.joined_on == date(2024, 7, 1)
    event = person.status_events.last()
    assert (event.previous_status, event.status, event.approval_no) == (Status.CANDIDATE, Status.PROBATIONARY,
                                                                        "教工委〔2024〕12号")
    services.person_change_status(actor=secretary, person=person, status=Status.FULL,
                                  effective_on=date(2025, 7, 1), decided_by="第一党支部党员大会",
                                  decision_date=date(2025, 7, 3))
    person.refresh_from_db()
    assert person.full_member_on == date(2025, 7, 1)
    assert person.party_years_on(date(2026, 6, 30)) == 0
    assert person.party_years_on(date(2026, 7, 1)) == 1


def test_impossible_status_jumps_are_refused(tree, secretary):
    person = create(secretary, tree["branch_a1"], status=Status.APPLICANT, joined_on=None, full_member_on=None)
    with pytest.raises(ValidationError, match="不能从"):
        services.person_change_status(actor=secretary, person=person, status=Status.FULL,
                                      effective_on=date(2025, 1, 1), decided_by="x", decision_date=date(2025, 1, 1))


def test_a_decision_without_evidence_is_refused(tree, secretary):
    person = create(secretary, tree["branch_a1"])
    with pytest.raises(ValidationError, match="决定机关"):
        services.person_change_status(actor=secretary, person=person, status=Status.SUSPENDED,
                                      effective_on=date(2025, 1, 1))
    assert Person.objects.get(pk=person.pk).status == Status.FULL


def test_leaving_the_party_closes_the_membership_but_keeps_the_record(tree, secretary):
    person = create(secretary, tree["branch_a1"])
    services.person_change_status(actor=secretary, person=person, status=Status.DECEASED,
                                  effective_on=date(2025, 2, 1))
    assert OrgMembership.objects.get(person=person).ended_on == date(2025, 2, 1)
    assert person not in Person.objects.on_roster()


def test_moving_between_schools_is_one_action_with_continuous_history(tree):
    district_admin = make_user("district_admin", Role.ORG_ADMIN, tree["district"])
    person = create(district_admin, tree["branch_a1"], group=tree["group_a1"])
    services.person_move(actor=district_admin, person=person, new_org=tree["school_b"],
                         effective_on=date(2025, 9, 1), note="县管校聘交流")
    person.refresh_from_db()
    assert person.org == tree["school_b"] and person.group is None
    rows = list(OrgMembership.objects.filter(person=person).order_by("started_on").values_list(
        "org_id", "ended_on"))
    assert rows == [(tree["branch_a1"].pk, date(2025, 9, 1)), (tree["school_b"].pk, None)]


def test_a_school_secretary_cannot_move_someone_to_another_school(tree, secretary):
    person = create(secretary, tree["branch_a1"])
    with pytest.raises(ValidationError):
        services.person_move(actor=secretary, person=person, new_org=tree["school_b"], effective_on=date(2025, 9, 1))


# --- pages ---------------------------------------------------------------

def test_person_page_shows_masked_id_and_unmasking_is_audited(client, tree, secretary):
    id_number = make_id_number(date(1988, 3, 8), 7, female=True)
    person = create(secretary, tree["branch_a1"], id_number=id_number)
    client.force_login(secretary)
    page = client.get(f"/members/{person.pk}/").content.decode()
    assert id_number not in page and person.id_number_masked in page
    response = client.post(f"/members/{person.pk}/unmask/")
    assert response.status_code == 200 and id_number in response.content.decode()
    row = AuditLog.objects.get(event="unmask")
    assert row.object_id == str(person.pk) and id_number not in str(row.changes)


def test_a_viewer_may_read_but_not_unmask(client, tree, secretary):
    person = create(secretary, tree["branch_a1"])
    viewer = make_user("inspector", Role.VIEWER, tree["district"])
    client.force_login(viewer)
    assert client.get(f"/members/{person.pk}/").status_code == 200
    assert client.post(f"/members/{person.pk}/unmask/").status_code == 403
    assert AuditLog.objects.filter(event="denied", username="inspector").exists()


def test_a_member_sees_only_their_own_record(client, tree, secretary):
    me = make_person(tree["branch_a1"])
    other = make_person(tree["branch_a1"])
    user = make_user("member", Role.MEMBER, tree["branch_a1"], person=me)
    client.force_login(user)
    assert client.get(f"/members/{me.pk}/").status_code == 200
    assert client.get(f"/members/{other.pk}/").status_code == 404
    assert client.get(f"/members/{me.pk}/edit/").status_code == 403
    assert client.get("/members/").status_code == 403


def test_create_page_shows_inline_chinese_errors_and_saves_nothing(client, tree, secretary):
    client.force_login(secretary)
    response = client.post("/members/new/", {
        "org": tree["branch_a1"].pk, "name": "王五", "gender": "M", "ethnicity": "汉族", "birth_date": "1990-01-01",
        "id_number": "110101199001010000", "occupation": "professional", "status": "full", "joined_on": "2015-07-01"})
    assert response.status_code == 400
    assert "校验位" in response.content.decode()
    assert not Person.objects.exists()


def test_create_page_saves_a_valid_person(client, tree, secretary):
    client.force_login(secretary)
    id_number = make_id_number(date(1990, 1, 1), 11)
    response = client.post("/members/new/", {
        "org": tree["branch_a1"].pk, "name": "王五", "gender": "M", "ethnicity": "汉族", "birth_date": "1990-01-01",
        "id_number": id_number, "phone": "13800001111", "occupation": "professional", "status": "full",
        "joined_on": "2015-07-01", "full_member_on": "2016-07-01", "is_backbone": "on"})
    person = Person.objects.get(name="王五")
    assert response.status_code == 302 and response["Location"] == f"/members/{person.pk}/"
    assert person.is_backbone and person.get_id_number() == id_number


def test_edit_page_keeps_the_stored_id_number_when_left_blank(client, tree, secretary):
    id_number = make_id_number(date(1988, 3, 8), 7, female=True)
    person = create(secretary, tree["branch_a1"], id_number=id_number)
    client.force_login(secretary)
    response = client.post(f"/members/{person.pk}/edit/", {
        "name": "张红", "gender": "F", "ethnicity": "回族", "birth_date": "1988-03-08", "id_number": "",
        "phone": "13912345678", "occupation": "professional", "education": "bachelor",
        "joined_on": "2012-06-20", "full_member_on": "2013-06-20"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.ethnicity == "回族" and person.get_id_number() == id_number


def test_person_page_query_count_is_fixed(client, tree, secretary):
    from django.test.utils import CaptureQueriesContext

    person = create(secretary, tree["branch_a1"])
    client.force_login(secretary)
    url = f"/members/{person.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(5):
        services.person_update(actor=secretary, person=person, professional_title=f"职称{i}")
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)


def test_person_page_links_to_the_development_file_or_offers_to_open_one(client, tree, secretary):
    from dangjian.pipeline.services import file_open

    applicant = make_person(tree["branch_a1"], status=Status.APPLICANT, birth=date(1995, 1, 1),
                            applied_on=date(2026, 9, 1), status_since=date(2026, 9, 1))
    client.force_login(secretary)
    page = client.get(f"/members/{applicant.pk}/").content.decode()
    assert f"/pipeline/open/{applicant.pk}/" in page
    development_file = file_open(actor=secretary, person=applicant, applied_on=date(2026, 9, 1))
    page = client.get(f"/members/{applicant.pk}/").content.decode()
    assert f"/pipeline/{development_file.pk}/" in page and "/pipeline/open/" not in page
