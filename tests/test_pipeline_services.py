"""Order of the steps, overrides with reasons in the audit trail, status changes through the members service,
bad input changing nothing, and who may write."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.members.models import Person, Status, StatusEvent
from dangjian.orgs.models import Role
from dangjian.pipeline import services
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from tests.factories import make_person, make_user
from tests.test_pipeline_helpers import World, advance, default_dates

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree):
    return World(tree)


def snapshot(file):
    return (DevelopmentStep.objects.filter(file=file).count(), AuditLog.objects.count(),
            Person.objects.get(pk=file.person_id).status)


def test_opening_a_file_makes_a_non_member_an_applicant_and_records_step_one(world):
    file = world.open(date(2024, 3, 15))
    person = Person.objects.get(pk=file.person_id)
    assert person.status == Status.APPLICANT and person.applied_on == date(2024, 3, 15)
    assert list(file.steps.values_list("number", "date")) == [(1, date(2024, 3, 15))]
    assert AuditLog.objects.filter(object_type="pipeline.developmentfile", object_id=str(file.pk)).exists()


def test_only_non_members_and_applicants_get_a_file_and_only_one_open(world):
    member = make_person(world.branch)
    with pytest.raises(ValidationError) as exc:
        world.open(date(2024, 3, 15), person=member)
    assert "只能为群众或入党申请人建立" in exc.value.message_dict["person"][0]
    file = world.open(date(2024, 3, 15))
    with pytest.raises(ValidationError) as exc:
        world.open(date(2024, 3, 16), person=file.person)
    assert "已有进行中的发展党员档案" in exc.value.message_dict["person"][0]


def test_steps_are_recorded_in_order(world):
    file = world.open(date(2024, 3, 15))
    before = snapshot(file)
    with pytest.raises(ValidationError) as exc:
        world.record(file, 3, date(2024, 4, 1))
    assert exc.value.message_dict["number"] == ["须按顺序登记：下一步是第2步“党组织派人谈话”，不能登记第3步“推荐和确定入党积极分子”。"]
    with pytest.raises(ValidationError) as exc:
        world.record(file, 1, date(2024, 4, 1))
    assert exc.value.message_dict["number"] == ["第1步“递交入党申请书”已登记。"]
    assert snapshot(file) == before


def test_a_step_cannot_be_dated_before_the_previous_one_or_in_the_future(world):
    file = world.open(date(2024, 3, 15))
    with pytest.raises(ValidationError) as exc:
        world.record(file, 2, date(2024, 3, 14))
    assert exc.value.message_dict["date"] == ["日期不能早于上一步骤（第1步“递交入党申请书”，2024-03-15）。"]
    with pytest.raises(ValidationError) as exc:
        world.record(file, 2, timezone.localdate() + timedelta(days=1))
    assert exc.value.message_dict["date"] == ["日期不能晚于今天。"]


def test_reviews_repeat_while_an_activist_but_not_after(world):
    file = advance(world, world.open(date(2023, 1, 10)), 6)
    assert file.steps.filter(number=6).count() == 2
    world.record(file, 6, date(2024, 1, 5))
    advance(world, file, 7)
    with pytest.raises(ValidationError):
        world.record(file, 6, date(2024, 3, 1))


def test_required_evidence_per_step(world):
    file = world.open(date(2024, 3, 15))
    with pytest.raises(ValidationError) as exc:
        world.record(file, 2, date(2024, 3, 20), talker=None)
    assert exc.value.message_dict["talker"] == ["请选择谈话人或填写系统外谈话人姓名。"]
    with pytest.raises(ValidationError) as exc:
        world.record(file, 2, date(2024, 3, 20), talker=file.person)
    assert "本人不能" in exc.value.messages[0]
    world.record(file, 2, date(2024, 3, 20))
    world.record(file, 3, date(2024, 4, 20))
    with pytest.raises(ValidationError) as exc:
        world.record(file, 4, date(2024, 4, 21), approval_no=" ")
    assert exc.value.message_dict["approval_no"] == ["请填写备案或批复文号。"]


def test_override_needs_a_reason_and_is_audited(world):
    file = world.open(date(2024, 3, 15))
    before = snapshot(file)
    with pytest.raises(services.RuleBlocked):
        world.record(file, 2, date(2024, 4, 16))
    with pytest.raises(services.RuleBlocked) as exc:
        world.record(file, 2, date(2024, 4, 16), override=True, override_reason="  ")
    assert "须填写原因" in exc.value.messages[-1]
    assert snapshot(file) == before
    step = world.record(file, 2, date(2024, 4, 16), override=True, override_reason="申请人外出培训，返校后谈话")
    assert step.overridden and step.override_rules == ["pipeline.talk"]
    entry = AuditLog.objects.filter(object_type="pipeline.developmentstep", object_id=str(step.pk)).get()
    assert entry.changes["override"] == {"reason": "申请人外出培训，返校后谈话", "rules": ["pipeline.talk"]}
    assert entry.username == world.writer.username


def test_override_is_ignored_when_no_rule_is_broken(world):
    file = world.open(date(2024, 3, 15))
    step = world.record(file, 2, date(2024, 4, 1), override=True, override_reason="无")
    assert not step.overridden and step.override_reason == ""


def test_status_changes_go_through_the_members_service_with_evidence(world):
    file = world.open(date(2023, 1, 10))
    dates = default_dates(file.applied_on)
    advance(world, file, 3)
    assert Person.objects.get(pk=file.person_id).status == Status.ACTIVIST
    advance(world, file, 7)
    assert Person.objects.get(pk=file.person_id).status == Status.CANDIDATE
    advance(world, file, 17)
    person = Person.objects.get(pk=file.person_id)
    assert person.status == Status.PROBATIONARY and person.joined_on == dates[15]
    event = StatusEvent.objects.filter(person=person, status=Status.PROBATIONARY).get()
    assert event.decided_by == "支部大会" and event.approval_no == f"备字〔{dates[17].year}〕17号"
    advance(world, file, 25)
    person.refresh_from_db()
    assert person.status == Status.FULL and person.full_member_on == dates[23]
    assert list(StatusEvent.objects.filter(person=person).values_list("status", flat=True)) == [
        Status.APPLICANT, Status.ACTIVIST, Status.CANDIDATE, Status.PROBATIONARY, Status.FULL]
    file.refresh_from_db()
    assert file.state == DevelopmentFile.State.DONE
    with pytest.raises(ValidationError):
        world.record(file, 6, dates[25])


def test_writer_outside_the_scope_cannot_record(world, tree):
    file = world.open(date(2024, 3, 15))
    outsider = make_user(role=Role.SECRETARY, org=tree["school_b"])
    viewer = make_user(role=Role.VIEWER, org=tree["school_a"])
    for actor in (outsider, viewer):
        with pytest.raises(ValidationError) as exc:
            services.step_record(actor=actor, file=file, number=2, date=date(2024, 3, 20), talker=world.sponsor_1)
        assert exc.value.messages == ["您无权维护该组织的发展党员工作。"]
    with pytest.raises(ValidationError):
        services.file_open(actor=outsider, person=world.candidate(), applied_on=date(2024, 3, 15))


def test_extension_and_cancel_only_for_probationers(world):
    file = world.open(date(2024, 3, 15))
    with pytest.raises(ValidationError) as exc:
        services.file_extend(actor=world.writer, file=file, decided_on=date(2024, 4, 1), months=6, approval_no="1")
    assert exc.value.messages == ["只有预备党员才能延长预备期或取消预备党员资格。"]
