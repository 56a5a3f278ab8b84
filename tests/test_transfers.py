"""组织关系转接: out (platform and outside), in, within the district; letter validity at its edges; bad input
changes nothing; the within-district move carries everything; scoping and audit."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dangjian.compliance.engine import findings_for
from dangjian.compliance.models import RuleOverride
from dangjian.core.models import AuditLog
from dangjian.dues.models import DuesBill, DuesPayment
from dangjian.life.models import StudyLog, StudyTask
from dangjian.members import services as member_services
from dangjian.members.models import OrgMembership, Person, Status, StatusEvent
from dangjian.orgs.models import CommitteePost, Role
from dangjian.transfers import rules, selectors, services, todos
from dangjian.transfers.models import Kind, State, Transfer
from tests.factories import make_id_number, make_person, make_user

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 6, 1)          # valid through 2026-09-01 (3 calendar months, inclusive)


@pytest.fixture
def people(tree):
    person = make_person(tree["branch_a2"], name="王老师")
    OrgMembership.objects.create(person=person, org=tree["branch_a2"], started_on=date(2011, 7, 1))
    return {"person": person,
            "school_admin": make_user("t_school", Role.ORG_ADMIN, tree["school_a"]),
            "branch_b": make_user("t_branch_b", Role.SECRETARY, tree["school_b"]),
            "branch_a1": make_user("t_branch_a1", Role.SECRETARY, tree["branch_a1"]),
            "area": make_user("t_area", Role.ORG_ADMIN, tree["area"])}


def _out(tree, people, **kw):
    kw = {"to_org": tree["school_b"], "letter_no": "实验〔2026〕1号", "issued_on": ISSUED} | kw
    return services.transfer_out(actor=people["school_admin"], person=people["person"], **kw)


def _state(person):
    """Everything a bad input must leave untouched."""
    person.refresh_from_db()
    return (person.org_id, person.status, Transfer.objects.count(), OrgMembership.objects.count(),
            StatusEvent.objects.count())


# --- letter validity --------------------------------------------------------------------------------------------

def test_letter_validity_is_three_calendar_months_inclusive_and_configurable(tree, people):
    t = _out(tree, people)
    assert t.valid_until == date(2026, 9, 1) and t.state == State.PENDING
    RuleOverride.objects.create(org=tree["area"], rule_id=rules.LETTER_VALIDITY, params={"months": 1}, reason="本区规定")
    assert services.valid_until(tree["school_a"], date(2024, 1, 31)) == date(2024, 2, 29)


@pytest.mark.parametrize("accepted_on, ok", [(date(2026, 8, 31), True), (date(2026, 9, 1), True),
                                             (date(2026, 9, 2), False)])
def test_accepting_at_the_letter_expiry_edges(tree, people, accepted_on, ok):
    t = _out(tree, people)
    if ok:
        services.transfer_accept(actor=people["branch_b"], transfer=t, accepted_on=accepted_on)
        person = Person.objects.get(pk=people["person"].pk)
        assert person.org_id == tree["school_b"].pk
        rows = list(OrgMembership.objects.filter(person=person).order_by("started_on").values_list(
            "org_id", "started_on", "ended_on"))
        assert rows == [(tree["branch_a2"].pk, date(2011, 7, 1), accepted_on), (tree["school_b"].pk, accepted_on, None)]
    else:
        before = _state(people["person"])
        with pytest.raises(ValidationError, match="介绍信已于2026年09月01日到期，请先续开介绍信再接收.*教管 第二十五条"):
            services.transfer_accept(actor=people["branch_b"], transfer=t, accepted_on=accepted_on)
        assert _state(people["person"]) == before
        # Renewing counts the validity afresh; then the same date is accepted.
        services.transfer_renew(actor=people["school_admin"], transfer=t, letter_no="实验〔2026〕9号",
                                issued_on=date(2026, 9, 2))
        services.transfer_accept(actor=people["branch_b"], transfer=t, accepted_on=accepted_on)
        t.refresh_from_db()
        assert t.state == State.ACCEPTED and t.renewals == 1 and t.valid_until == date(2026, 12, 2)


@pytest.mark.parametrize("on, flagged", [(date(2026, 8, 31), False), (date(2026, 9, 1), False),
                                         (date(2026, 9, 2), True)])
def test_an_expired_letter_is_a_finding_for_the_sender_and_a_todo(tree, people, on, flagged):
    _out(tree, people)
    found = [f for f in findings_for([tree["branch_a2"], tree["school_b"]], on, only=["transfers"])
             if f.rule_id == rules.LETTER_EXPIRED]
    assert bool(found) == flagged
    if flagged:
        assert found[0].org_id == tree["branch_a2"].pk and "王老师" in found[0].message
        assert found[0].source.startswith("教管 第二十五条")
    sender_items = todos.todos_for(make_user(role=Role.SECRETARY, org=tree["branch_a2"]), on)
    assert [i.overdue for i in sender_items] == ([True] if flagged else [])
    receiver_items = todos.todos_for(people["branch_b"], on)
    assert len(receiver_items) == 1 and receiver_items[0].title.startswith(
        "转接介绍信已过期" if flagged else "接收组织关系")


# --- the sender stays responsible ------------------------------------------------------------------------------

def test_the_person_stays_on_the_senders_roster_until_accepted(tree, people, client):
    t = _out(tree, people)
    person = Person.objects.get(pk=people["person"].pk)
    assert person.org_id == tree["branch_a2"].pk and person in Person.objects.on_roster()
    client.force_login(people["school_admin"])
    page = client.get(reverse("members:detail", args=[person.pk])).content.decode()
    assert "转出中" in page and reverse("transfers:detail", args=[t.pk]) in page
    roster = client.get(reverse("members:roster"), {"q": person.name}).content.decode()
    assert "转出中</span>" in roster
    t.state = State.RETURNED
    t.save(update_fields=["state"])
    assert "转出中</span>" not in client.get(reverse("members:roster"), {"q": person.name}).content.decode()
    # The receiver sees the transfer but not the person's record until acceptance.
    assert not Person.objects.visible_to(people["branch_b"]).filter(pk=person.pk).exists()
    assert Transfer.objects.visible_to(people["branch_b"]).filter(pk=t.pk).exists()


def test_out_to_an_organisation_outside_the_platform_ends_the_roster_on_the_receipt(tree, people):
    t = _out(tree, people, to_org=None, to_name="外区某中学党支部")
    assert services.acting_org(t) == tree["branch_a2"]
    with pytest.raises(ValidationError):
        services.transfer_accept(actor=people["branch_b"], transfer=t, accepted_on=date(2026, 7, 1))
    services.transfer_accept(actor=people["school_admin"], transfer=t, accepted_on=date(2026, 7, 1))
    person = Person.objects.get(pk=people["person"].pk)
    assert person.status == Status.TRANSFERRED_OUT and person not in Person.objects.on_roster()
    event = person.status_events.latest("id")
    assert (event.status, event.approval_no, event.decided_by) == (Status.TRANSFERRED_OUT, "实验〔2026〕1号",
                                                                   "外区某中学党支部")
    assert OrgMembership.objects.get(person=person).ended_on == date(2026, 7, 1)


def test_return_and_cancel_leave_the_person_where_they_are(tree, people):
    t = _out(tree, people)
    with pytest.raises(ValidationError, match="请填写理由"):
        services.transfer_return(actor=people["branch_b"], transfer=t, note=" ")
    services.transfer_return(actor=people["branch_b"], transfer=t, note="材料不全：缺党费交纳证明")
    t.refresh_from_db()
    assert t.state == State.RETURNED and Person.objects.get(pk=people["person"].pk).org_id == tree["branch_a2"].pk
    t2 = _out(tree, people, letter_no="实验〔2026〕2号")   # a returned transfer no longer blocks a new one
    services.transfer_cancel(actor=people["school_admin"], transfer=t2, note="本人暂不调动")
    with pytest.raises(ValidationError, match="已撤销"):
        services.transfer_accept(actor=people["branch_b"], transfer=t2, accepted_on=date(2026, 7, 1))


# --- in --------------------------------------------------------------------------------------------------------

def _incoming(tree, actor, **kw):
    data = dict(to_org=tree["school_b"], from_name="外省某小学党支部", letter_no="外〔2026〕5号", issued_on=ISSUED,
                name="李转入", gender="F", birth_date=date(1990, 3, 4), party_status=Status.FULL,
                joined_on=date(2015, 6, 1), full_member_on=date(2016, 6, 1),
                id_number=make_id_number(date(1990, 3, 4), 77, female=True), materials="介绍信\n党员档案")
    return services.transfer_in(actor=actor, **(data | kw))


def test_incoming_record_is_reviewed_then_accepted_into_the_receiving_organisation(tree, people):
    t = _incoming(tree, people["branch_b"])
    assert t.person is None and t.id_number_masked and "19900304" not in t.id_number_masked
    assert not Person.objects.filter(name="李转入").exists()
    services.transfer_accept(actor=people["branch_b"], transfer=t, accepted_on=date(2026, 7, 1))
    person = Person.objects.get(name="李转入")
    assert (person.org_id, person.status, person.joined_on, person.full_member_on) == (
        tree["school_b"].pk, Status.FULL, date(2015, 6, 1), date(2016, 6, 1))
    assert person.memberships.get().started_on == date(2026, 7, 1)
    t.refresh_from_db()
    assert t.person_id == person.pk and t.state == State.ACCEPTED


def test_incoming_record_with_an_id_number_already_on_the_platform_is_refused_and_nothing_changes(tree, people):
    existing = make_person(tree["branch_a1"], birth=date(1990, 3, 4), gender="F")
    t = _incoming(tree, people["branch_b"], id_number=existing.get_id_number())
    before = Person.objects.count()
    with pytest.raises(ValidationError, match="不能接收：该身份证号已登记在其他人员名下"):
        services.transfer_accept(actor=people["branch_b"], transfer=t, accepted_on=date(2026, 7, 1))
    t.refresh_from_db()
    assert Person.objects.count() == before and t.state == State.PENDING


def test_incoming_record_validation(tree, people):
    with pytest.raises(ValidationError) as exc:
        _incoming(tree, people["branch_b"], from_name="", party_status=Status.FULL, full_member_on=None)
    assert set(exc.value.message_dict) == {"from_name", "full_member_on"}
    with pytest.raises(ValidationError, match="无权"):
        _incoming(tree, people["branch_a1"])
    assert not Transfer.objects.exists()


# --- bad input -------------------------------------------------------------------------------------------------

def test_a_transfer_to_the_organisation_the_member_is_already_in_is_refused(tree, people):
    before = _state(people["person"])
    with pytest.raises(ValidationError, match="接收组织就是该党员现在所在的组织.*教管 第二十五条"):
        _out(tree, people, to_org=tree["branch_a2"])
    with pytest.raises(ValidationError, match="接收组织就是该党员现在所在的组织"):
        services.transfer_within(actor=people["area"], person=people["person"], to_org=tree["branch_a2"],
                                 effective_on=date(2026, 7, 1))
    assert _state(people["person"]) == before


def test_a_second_open_transfer_for_the_same_person_is_refused(tree, people):
    _out(tree, people)
    before = _state(people["person"])
    with pytest.raises(ValidationError, match="已有正在办理的组织关系转接.*每名党员同一时间只能办理一项"):
        _out(tree, people, to_org=tree["branch_a1"], letter_no="实验〔2026〕3号")
    with pytest.raises(ValidationError, match="已有正在办理的组织关系转接"):
        services.transfer_within(actor=people["area"], person=people["person"], to_org=tree["school_b"],
                                 effective_on=date(2026, 7, 1))
    assert _state(people["person"]) == before


def test_the_database_also_refuses_a_second_open_transfer(tree, people):
    from django.db import IntegrityError, transaction

    t = _out(tree, people)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(kind=Kind.OUT, person=t.person, from_org=t.from_org, to_name="x", issued_on=ISSUED,
                                valid_until=ISSUED)


def test_a_date_before_the_last_status_event_is_refused(tree, people):
    person = people["person"]
    StatusEvent.objects.create(person=person, status=Status.FULL, previous_status=Status.PROBATIONARY,
                               effective_on=date(2026, 5, 10))
    before = _state(person)
    with pytest.raises(ValidationError, match=r"不能早于该党员最近一次党籍变更的生效日期（2026-05-10"):
        _out(tree, people, issued_on=date(2026, 5, 9))
    with pytest.raises(ValidationError, match="不能早于该党员最近一次党籍变更"):
        services.transfer_within(actor=people["area"], person=person, to_org=tree["school_b"],
                                 effective_on=date(2026, 5, 9))
    assert _state(person) == before
    _out(tree, people, issued_on=date(2026, 5, 10))   # the same day is fine


def test_only_members_may_be_transferred_and_posts_must_end_first(tree, people):
    applicant = make_person(tree["branch_a2"], status=Status.APPLICANT)
    with pytest.raises(ValidationError, match="只有预备党员、正式党员可以转接"):
        services.transfer_out(actor=people["school_admin"], person=applicant, to_org=tree["school_b"],
                              letter_no="1", issued_on=ISSUED)
    CommitteePost.objects.create(org=tree["branch_a2"], person=people["person"], post="secretary",
                                 started_on=date(2020, 1, 1))
    with pytest.raises(ValidationError, match="仍在原组织任职（实验中学第二党支部书记），请先办理离任"):
        _out(tree, people)


# --- scoping ---------------------------------------------------------------------------------------------------

def test_a_branch_secretary_cannot_transfer_someone_of_another_branch(tree, people, client):
    client.force_login(people["branch_a1"])
    person = people["person"]     # in branch_a2
    for name in ("transfers:transfer_out", "transfers:transfer_within", "transfers:decide", "transfers:contact_loss"):
        assert client.get(reverse(name, args=[person.pk])).status_code == 404
    response = client.post(reverse("transfers:transfer_out", args=[person.pk]),
                           {"to_org": tree["school_b"].pk, "letter_no": "x", "issued_on": "2026-07-01"})
    assert response.status_code == 404 and not Transfer.objects.exists()
    with pytest.raises(ValidationError, match="无权"):
        services.transfer_out(actor=people["branch_a1"], person=person, to_org=tree["school_b"], letter_no="x",
                              issued_on=ISSUED)
    assert AuditLog.objects.filter(event="denied").count() >= 5


def test_only_the_receiver_accepts_and_only_the_sender_cancels(tree, people, client):
    t = _out(tree, people)
    with pytest.raises(ValidationError, match="无权"):
        services.transfer_accept(actor=people["school_admin"], transfer=t, accepted_on=date(2026, 7, 1))
    with pytest.raises(ValidationError, match="无权"):
        services.transfer_cancel(actor=people["branch_b"], transfer=t, note="x")
    client.force_login(people["branch_a1"])         # neither side: 404
    assert client.get(reverse("transfers:detail", args=[t.pk])).status_code == 404
    assert client.post(reverse("transfers:accept", args=[t.pk]), {"accepted_on": "2026-07-01"}).status_code == 404
    client.force_login(people["school_admin"])     # the sender may not accept: 403
    assert client.post(reverse("transfers:accept", args=[t.pk]), {"accepted_on": "2026-07-01"}).status_code == 403
    t.refresh_from_db()
    assert t.state == State.PENDING


# --- within the district: nothing lost, nothing duplicated -----------------------------------------------------

def _counts(person):
    return {"status_events": person.status_events.count(), "bills": DuesBill.objects.filter(person=person).count(),
            "unpaid": DuesBill.objects.filter(person=person).unpaid().count(),
            "payments": DuesPayment.objects.filter(person=person).count(),
            "study": StudyLog.objects.filter(person=person).count(), "people": Person.objects.count()}


def test_within_district_move_carries_history_dues_and_study_and_duplicates_nothing(tree, people):
    from dangjian.dues import services as dues

    person = people["person"]
    dues.base_set(actor=None, person=person, category="employed", base=Decimal("4000"), effective_month=date(2026, 1, 1))
    dues.bills_generate(actor=None, org=tree["branch_a2"], month=date(2026, 6, 1))
    dues.bills_generate(actor=None, org=tree["branch_a2"], month=date(2026, 7, 1))
    bill = DuesBill.objects.get(person=person, month=date(2026, 6, 1))
    dues.payment_record(actor=None, person=person, months=[bill.month], paid_on=date(2026, 6, 20))
    school_task = StudyTask.objects.create(org=tree["school_a"], title="校本学习", starts_on=date(2026, 1, 1),
                                           due_on=date(2027, 12, 31))
    area_task = StudyTask.objects.create(org=tree["area"], title="片区学习", starts_on=date(2026, 1, 1),
                                         due_on=date(2027, 12, 31))
    b_task = StudyTask.objects.create(org=tree["school_b"], title="城南学习", starts_on=date(2026, 1, 1),
                                      due_on=date(2027, 12, 31))
    StudyLog.objects.create(person=person, task=school_task, date=date(2026, 3, 1), hours=Decimal("2"))
    CommitteePost.objects.create(org=tree["branch_a2"], person=person, post="organisation", started_on=date(2020, 1, 1))
    before = _counts(person)
    preview = selectors.carried(person, tree["school_b"], date(2026, 8, 1))
    assert (preview.dues_bills, preview.dues_unpaid, preview.study_logs) == (2, 1, 1)
    assert preview.posts_ended == ["实验中学第二党支部组织委员"]
    assert (preview.study_tasks_dropped, preview.study_tasks_added) == (0, 1)   # the school task is done

    t = services.transfer_within(actor=people["area"], person=person, to_org=tree["school_b"],
                                 effective_on=date(2026, 8, 1), reason="县管校聘交流轮岗")
    assert t.kind == Kind.WITHIN and t.state == State.ACCEPTED
    person.refresh_from_db()
    assert person.org_id == tree["school_b"].pk
    assert _counts(person) == before                                    # nothing lost, nothing added
    assert list(person.memberships.order_by("started_on").values_list("org_id", "ended_on")) == [
        (tree["branch_a2"].pk, date(2026, 8, 1)), (tree["school_b"].pk, None)]
    assert CommitteePost.objects.get(person=person).ended_on == date(2026, 8, 1)
    # Dues: generating July again under the new organisation duplicates nothing; the old bill keeps its origin.
    dues.bills_generate(actor=None, org=tree["school_b"], month=date(2026, 7, 1))
    assert DuesBill.objects.filter(person=person).count() == 2
    assert DuesBill.objects.get(person=person, month=date(2026, 7, 1)).org_id == tree["branch_a2"].pk
    # The unpaid bill is now the new organisation's to collect.
    assert DuesBill.objects.visible_to(people["branch_b"]).filter(person=person).unpaid().count() == 1
    # Study tasks follow the line: the area's and the new school's apply, the old school's no longer does.
    from dangjian.life.selectors import open_tasks_for_person

    open_ids = {task.pk for task in open_tasks_for_person(person, date(2026, 8, 2))}
    assert {area_task.pk, b_task.pk} <= open_ids and school_task.pk not in open_ids
    # Audit: the transfer, the person's move and the post's end.
    assert AuditLog.objects.filter(object_type="transfers.transfer", object_id=str(t.pk), event="create").exists()
    assert AuditLog.objects.filter(object_type="members.person", object_id=str(person.pk), event="update").exists()


def test_within_district_move_needs_write_rights_on_both_sides(tree, people):
    with pytest.raises(ValidationError, match="无权"):
        services.transfer_within(actor=people["school_admin"], person=people["person"], to_org=tree["school_b"],
                                 effective_on=date(2026, 8, 1))
    assert not Transfer.objects.exists()


def test_audit_rows_for_out_accept_return(tree, people):
    t = _out(tree, people)
    services.transfer_accept(actor=people["branch_b"], transfer=t, accepted_on=date(2026, 7, 1))
    rows = AuditLog.objects.filter(object_type="transfers.transfer", object_id=str(t.pk))
    assert sorted(rows.values_list("event", flat=True)) == ["create", "update"]
    assert rows.get(event="update").user_id == people["branch_b"].pk


def test_person_move_keeps_its_behaviour(tree, people):
    """members.person_move (unchanged signature) still needs write rights on both sides."""
    with pytest.raises(ValidationError):
        member_services.person_move(actor=people["school_admin"], person=people["person"], new_org=tree["school_b"],
                                    effective_on=date(2026, 7, 1))
    member_services.person_move(actor=people["area"], person=people["person"], new_org=tree["school_b"],
                                effective_on=date(2026, 7, 1))
    assert Person.objects.get(pk=people["person"].pk).org_id == tree["school_b"].pk
