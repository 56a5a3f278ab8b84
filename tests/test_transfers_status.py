"""Status changes with evidence and the proposals at their edges: 6 months lost contact → 停止党籍; 2 more years →
除名; 6 months without 组织生活 or dues → 自行脱党除名 (the engine proposes, people decide)."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError

from dangjian.compliance.engine import findings_for
from dangjian.core.models import AuditLog
from dangjian.dues.models import DuesBill
from dangjian.life.models import Attendance, Meeting
from dangjian.members import services as member_services
from dangjian.members.models import Person, Status
from dangjian.transfers import rules, selectors, services
from dangjian.transfers.api import DecideIn
from dangjian.transfers.models import ContactLoss
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def _kinds(tree, on):
    return {(p.name, p.status, p.rule_id) for p in selectors.proposals([tree["branch_a2"]], on)}


@pytest.mark.parametrize("on, proposed", [(date(2026, 8, 31), False), (date(2026, 9, 1), True),
                                          (date(2026, 9, 2), True)])
def test_six_months_lost_contact_proposes_suspension(tree, on, proposed):
    person = make_person(tree["branch_a2"], name="失联者")
    ContactLoss.objects.create(person=person, since=date(2026, 3, 1), note="电话停机")
    assert (("失联者", Status.SUSPENDED, rules.LOST_CONTACT) in _kinds(tree, on)) == proposed
    found = [f for f in findings_for([tree["branch_a2"]], on, only=["transfers"]) if f.rule_id == rules.LOST_CONTACT]
    assert bool(found) == proposed


@pytest.mark.parametrize("on, proposed", [(date(2026, 8, 31), False), (date(2026, 9, 1), True),
                                          (date(2026, 9, 2), True)])
def test_two_more_years_suspended_proposes_removal(tree, on, proposed):
    make_person(tree["branch_a2"], name="停籍者", status=Status.SUSPENDED, status_since=date(2024, 9, 1))
    assert (("停籍者", Status.REMOVED, rules.SUSPENDED_REMOVE) in _kinds(tree, on)) == proposed


@pytest.mark.parametrize("on, proposed", [(date(2026, 6, 30), False), (date(2026, 7, 1), True),
                                          (date(2026, 7, 2), True)])
def test_six_months_unpaid_dues_proposes_lapse(tree, on, proposed):
    person = make_person(tree["branch_a2"], name="欠费者")
    for m in range(1, 7):
        DuesBill.objects.create(person=person, month=date(2026, m, 1), org=tree["branch_a2"], category="employed",
                                standard_amount=10, amount=10)
    assert (("欠费者", Status.LAPSED, "dues.arrears_lapse") in _kinds(tree, on)) == proposed


def test_a_paid_month_breaks_the_dues_run(tree):
    from dangjian.dues.models import DuesPayment

    person = make_person(tree["branch_a2"], name="补交者")
    for m in range(1, 8):
        DuesBill.objects.create(person=person, month=date(2026, m, 1), org=tree["branch_a2"], category="employed",
                                standard_amount=10, amount=10)
    payment = DuesPayment.objects.create(person=person, org=tree["branch_a2"], paid_on=date(2026, 7, 20), amount=10)
    DuesBill.objects.filter(person=person, month=date(2026, 7, 1)).update(payment=payment)
    assert not any(p.name == "补交者" for p in selectors.proposals([tree["branch_a2"]], date(2026, 8, 5)))


@pytest.mark.parametrize("on, proposed", [(date(2026, 6, 14), False), (date(2026, 6, 15), True),
                                          (date(2026, 6, 16), True)])
def test_six_months_absent_from_organisational_life_proposes_lapse(tree, on, proposed):
    person = make_person(tree["branch_a2"], name="缺席者")
    for m in range(1, 7):
        meeting = Meeting.objects.create(org=tree["branch_a2"], type="assembly", theme=f"{m}月党员大会",
                                         date=date(2026, m, 15), start_time=time(15), status=Meeting.Status.HELD)
        Attendance.objects.create(meeting=meeting, person=person, status=Attendance.Status.ABSENT)
    assert (("缺席者", Status.LAPSED, "life.absence") in _kinds(tree, on)) == proposed


def test_the_decision_is_a_service_call_with_reason_and_evidence(tree):
    person = make_person(tree["branch_a2"], name="处置对象")
    ContactLoss.objects.create(person=person, since=date(2025, 1, 1), note="多方查找无果")
    with pytest.raises(ValidationError) as exc:
        services.status_decide(actor=None, person=person, status=Status.SUSPENDED, effective_on=date(2026, 7, 1),
                               reason="", decided_by="", decision_date=None)
    assert "reason" in exc.value.message_dict
    services.status_decide(actor=None, person=person, status=Status.SUSPENDED, effective_on=date(2026, 7, 1),
                           reason="失联满6个月", decided_by="第二党支部党员大会", decision_date=date(2026, 7, 1),
                           approval_no="实验党委〔2026〕3号", basis="自2025年01月01日失去联系")
    person.refresh_from_db()
    assert person.status == Status.SUSPENDED
    event = person.status_events.latest("id")
    assert event.decided_by == "第二党支部党员大会" and "教管 第二十四条" in event.note and "2025年01月01日" in event.note
    assert AuditLog.objects.filter(object_type="members.person", object_id=str(person.pk), event="update").exists()
    # A date before the last status event is refused, nothing changes.
    with pytest.raises(ValidationError, match="不能早于该党员最近一次党籍变更"):
        services.status_decide(actor=None, person=person, status=Status.REMOVED, effective_on=date(2026, 6, 30),
                               reason="x", decided_by="党员大会", decision_date=date(2026, 6, 30))
    assert Person.objects.get(pk=person.pk).status == Status.SUSPENDED


def test_lapse_death_expulsion_and_abroad_and_back(tree):
    lapsed = make_person(tree["branch_a2"])
    services.status_decide(actor=None, person=lapsed, status=Status.LAPSED, effective_on=date(2026, 7, 1),
                           reason="连续6个月不参加组织生活", decided_by="党员大会", decision_date=date(2026, 7, 1))
    assert lapsed.__class__.objects.get(pk=lapsed.pk) not in Person.objects.on_roster()
    away = make_person(tree["branch_a2"], status=Status.PROBATIONARY, joined_on=date(2026, 1, 10),
                       status_since=date(2026, 1, 10))
    services.status_decide(actor=None, person=away, status=Status.ABROAD, effective_on=date(2026, 3, 1),
                           reason="出国留学", decided_by="党支部", decision_date=date(2026, 3, 1))
    away.refresh_from_db()
    assert away.status == Status.ABROAD and away in Person.objects.on_roster()
    member_services.person_return_from_abroad(actor=None, person=away, effective_on=date(2026, 8, 1))
    away.refresh_from_db()
    assert away.status == Status.PROBATIONARY and away.joined_on == date(2026, 1, 10)   # dates kept
    dead = make_person(tree["branch_a2"])
    services.status_decide(actor=None, person=dead, status=Status.DECEASED, effective_on=date(2026, 7, 1),
                           reason="病故", decided_by="党支部", decision_date=date(2026, 7, 1))
    assert Person.objects.get(pk=dead.pk).memberships.filter(ended_on__isnull=True).count() == 0


def test_api_decision_choices_match_the_services():
    assert set(DecideIn.model_fields["status"].annotation.__args__) == {s.value for s in services.DECISIONS}
