"""Every time rule of 发展党员 at its edges (day before / day of / day after), with the DOMAIN §8 worked examples."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dangjian.members.models import Person, Status
from dangjian.pipeline import logic, services
from dangjian.pipeline import rules as R
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from tests.factories import make_person
from tests.test_pipeline_helpers import World, advance

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree):
    return World(tree)


def blocked_rules(excinfo):
    return [v.rule.id for v in excinfo.value.violations]


# --- the worked examples as pure arithmetic ------------------------------------------------------------

def test_date_arithmetic_matches_the_worked_examples():
    assert R.add_months(date(2024, 3, 15), 1) == date(2024, 4, 15)
    assert R.add_months(date(2023, 6, 1), 12) == date(2024, 6, 1)
    assert R.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert R.probation_end(date(2024, 7, 1)) == date(2025, 7, 1)
    assert R.add_months(date(2024, 7, 1), 3) == date(2024, 10, 1)
    assert R.add_months(date(2024, 7, 1), 6) == date(2025, 1, 1)


# --- age ≥ 18 at the application ----------------------------------------------------------------------

@pytest.mark.parametrize("applied, ok", [(date(2024, 3, 14), False), (date(2024, 3, 15), True),
                                         (date(2024, 3, 16), True)])
def test_applicant_must_be_eighteen_on_the_application_date(world, applied, ok):
    person = world.candidate(birth=date(2006, 3, 15))
    if ok:
        assert world.open(applied, person=person).person == person
    else:
        with pytest.raises(services.RuleBlocked) as exc:
            world.open(applied, person=person)
        assert blocked_rules(exc) == ["pipeline.min_age"]
        assert "未满18周岁" in exc.value.messages[0] and "党章 第一条" in exc.value.messages[0]
        assert not DevelopmentFile.objects.exists()
        assert Person.objects.get(pk=person.pk).status == Status.NON_MEMBER


def test_applicant_born_on_29_february_is_eighteen_on_28_february(world):
    person = world.candidate(birth=date(2004, 2, 29))
    with pytest.raises(services.RuleBlocked):
        world.open(date(2022, 2, 27), person=person)
    assert world.open(date(2022, 2, 28), person=person)


# --- talk within one month --------------------------------------------------------------------------

@pytest.mark.parametrize("talk, ok", [(date(2024, 4, 14), True), (date(2024, 4, 15), True), (date(2024, 4, 16), False)])
def test_talk_is_due_within_one_month_of_the_application(world, talk, ok):
    file = world.open(date(2024, 3, 15))
    if ok:
        assert world.record(file, 2, talk).number == 2
    else:
        with pytest.raises(services.RuleBlocked) as exc:
            world.record(file, 2, talk)
        assert blocked_rules(exc) == ["pipeline.talk"]
        assert "2024-04-15" in exc.value.messages[0] and "细则 第七条" in exc.value.messages[0]


def test_talk_deadline_is_2024_04_15_for_an_application_of_2024_03_15(world):
    file = world.open(date(2024, 3, 15))
    d = logic.deadline(file, list(file.steps.all()), logic.Settings(None, file.org))
    assert d.due_on == date(2024, 4, 15) and d.rule is R.TALK
    assert d.days_left(date(2024, 4, 15)) == 0 and d.days_left(date(2024, 4, 16)) == -1


# --- reviews every six months -----------------------------------------------------------------------

@pytest.mark.parametrize("review, ok", [(date(2023, 11, 30), True), (date(2023, 12, 1), True),
                                        (date(2023, 12, 2), False)])
def test_activist_is_reviewed_within_six_months(world, review, ok):
    file = advance(world, world.open(date(2023, 5, 1)), 5, {3: date(2023, 6, 1)})
    if ok:
        assert world.record(file, 6, review).number == 6
    else:
        with pytest.raises(services.RuleBlocked) as exc:
            world.record(file, 6, review)
        assert blocked_rules(exc) == ["pipeline.review"]


# --- one full year as activist before 发展对象 -------------------------------------------------------

@pytest.mark.parametrize("activist, day, ok", [
    (date(2023, 6, 1), date(2024, 5, 31), False), (date(2023, 6, 1), date(2024, 6, 1), True),
    (date(2023, 6, 1), date(2024, 6, 2), True),
    (date(2024, 2, 29), date(2025, 2, 27), False), (date(2024, 2, 29), date(2025, 2, 28), True),
    (date(2024, 2, 29), date(2025, 3, 1), True),
])
def test_candidate_only_after_one_full_year_as_activist(world, activist, day, ok):
    file = world.open(activist - R.relativedelta(months=1))
    file = advance(world, file, 6, {3: activist, 6: activist + R.relativedelta(months=5),
                                    "6b": activist + R.relativedelta(months=10, days=25)})
    if ok:
        world.record(file, 7, day)
        assert Person.objects.get(pk=file.person_id).status == Status.CANDIDATE
    else:
        with pytest.raises(services.RuleBlocked) as exc:
            world.record(file, 7, day)
        assert blocked_rules(exc) == ["pipeline.activist_year"]
        assert "细则 第十三条" in exc.value.messages[0]
        assert Person.objects.get(pk=file.person_id).status == Status.ACTIVIST


# --- sponsors and contacts --------------------------------------------------------------------------

@pytest.fixture
def at_sponsors(world):
    return advance(world, world.open(date(2023, 1, 10)), 8)


def test_two_full_members_may_sponsor(world, at_sponsors):
    step = world.record(at_sponsors, 9, date(2024, 2, 20))
    assert (step.sponsor_1, step.sponsor_2) == (world.sponsor_1, world.sponsor_2)


def test_probationary_member_cannot_sponsor(world, at_sponsors):
    probationer = make_person(world.branch, status=Status.PROBATIONARY)
    with pytest.raises(services.RuleBlocked) as exc:
        world.record(at_sponsors, 9, date(2024, 2, 20), sponsor_2=probationer)
    assert blocked_rules(exc) == ["pipeline.sponsors"] and "预备党员" in exc.value.messages[0]


def test_member_under_party_probation_cannot_sponsor(world, at_sponsors):
    watched = make_person(world.branch, under_party_probation=True)
    with pytest.raises(services.RuleBlocked) as exc:
        world.record(at_sponsors, 9, date(2024, 2, 20), sponsor_1=watched)
    assert blocked_rules(exc) == ["pipeline.sponsors"] and "留党察看" in exc.value.messages[0]


def test_the_same_sponsor_twice_is_refused(world, at_sponsors):
    with pytest.raises(ValidationError) as exc:
        world.record(at_sponsors, 9, date(2024, 2, 20), sponsor_2=world.sponsor_1)
    assert exc.value.message_dict["sponsor_2"] == ["两名入党介绍人不能是同一人。"]


def test_contact_must_be_a_full_member(world):
    file = advance(world, world.open(date(2023, 1, 10)), 4)
    applicant = make_person(world.branch, status=Status.APPLICANT)
    with pytest.raises(services.RuleBlocked) as exc:
        world.record(file, 5, date(2023, 2, 20), contact_1=applicant, contact_2=None)
    assert blocked_rules(exc) == ["pipeline.contacts"]


# --- 政审, training, 公示 ----------------------------------------------------------------------------

def test_political_review_needs_a_written_conclusion(world):
    file = advance(world, world.open(date(2023, 1, 10)), 9)
    with pytest.raises(ValidationError) as exc:
        world.record(file, 10, date(2024, 3, 1), conclusion="  ")
    assert exc.value.message_dict["conclusion"] == ["政治审查须有书面结论。"]


def test_committee_review_is_blocked_without_a_political_conclusion(world):
    file = advance(world, world.open(date(2023, 1, 10)), 11)
    DevelopmentStep.objects.filter(file=file, number=10).update(conclusion="")
    with pytest.raises(services.RuleBlocked) as exc:
        world.record(file, 12, date(2024, 4, 10))
    assert blocked_rules(exc) == ["pipeline.political"]


@pytest.mark.parametrize("days, hours, ok", [(2, 23, False), (3, 0, True), (0, 24, True), (2, 24, True)])
def test_training_is_at_least_three_days_or_24_hours(world, days, hours, ok):
    file = advance(world, world.open(date(2023, 1, 10)), 10)
    if ok:
        world.record(file, 11, date(2024, 3, 20), training_days=days, training_hours=hours)
    else:
        with pytest.raises(services.RuleBlocked) as exc:
            world.record(file, 11, date(2024, 3, 20), training_days=days, training_hours=hours)
        assert blocked_rules(exc) == ["pipeline.training"]


@pytest.mark.parametrize("start, end, ok", [
    (date(2024, 4, 19), date(2024, 4, 24), False),   # Fri..Wed: 4 working days
    (date(2024, 4, 18), date(2024, 4, 24), True),    # Thu..Wed: 5
    (date(2024, 4, 20), date(2024, 4, 26), False),   # ends after the step date
])
def test_publicity_lasts_five_working_days_and_ends_before_the_step(world, start, end, ok):
    file = advance(world, world.open(date(2023, 1, 10)), 12)
    if ok:
        world.record(file, 13, date(2024, 4, 25), publicity_start=start, publicity_end=end)
    else:
        with pytest.raises(services.RuleBlocked) as exc:
            world.record(file, 13, date(2024, 4, 25), publicity_start=start, publicity_end=end)
        assert blocked_rules(exc) == ["pipeline.publicity"]


# --- the 支部大会 vote --------------------------------------------------------------------------------

@pytest.fixture
def at_assembly(world):
    return advance(world, world.open(date(2023, 1, 10)), 14)


def test_assembly_step_needs_a_passed_admission_vote(world, at_assembly):
    d = date(2024, 6, 1)
    meeting = world.meeting(d)
    with pytest.raises(ValidationError) as exc:
        world.record(at_assembly, 15, d, meeting=meeting, vote=world.vote(meeting, passed=False))
    assert "表决未通过" in exc.value.message_dict["vote"][0]
    with pytest.raises(ValidationError) as exc:
        world.record(at_assembly, 15, d, meeting=meeting, vote=world.vote(meeting, kind="decision"))
    assert exc.value.message_dict["vote"] == ["须为“接收预备党员”的表决。"]
    with pytest.raises(services.RuleBlocked) as exc:
        world.record(at_assembly, 15, d, meeting=meeting, vote=None)
    assert blocked_rules(exc) == ["pipeline.admission_vote"]
    assert world.record(at_assembly, 15, d, meeting=meeting, vote=world.vote(meeting)).vote.passed


def test_deciding_meeting_must_be_held_on_the_step_date_in_the_same_subtree(world, at_assembly):
    other = world.meeting(date(2024, 6, 1), org=world.tree["school_b"])
    with pytest.raises(ValidationError) as exc:
        world.record(at_assembly, 15, date(2024, 6, 1), meeting=other, vote=world.vote(other))
    assert "本组织" in exc.value.message_dict["meeting"][0]
    mine = world.meeting(date(2024, 5, 30))
    with pytest.raises(ValidationError) as exc:
        world.record(at_assembly, 15, date(2024, 6, 1), meeting=mine, vote=world.vote(mine))
    assert exc.value.message_dict["meeting"] == ["步骤日期应与会议日期（2024-05-30）一致。"]
    planned = world.meeting(date(2024, 6, 1))
    planned.status = planned.Status.PLANNED
    planned.save()
    with pytest.raises(ValidationError) as exc:
        world.record(at_assembly, 15, date(2024, 6, 1), meeting=planned, vote=None)
    assert exc.value.message_dict["meeting"] == ["决定会议须为已召开的会议。"]


# --- approval within 3 months, never beyond 6 -------------------------------------------------------

@pytest.fixture
def admitted_2024_07_01(world):
    file = world.open(date(2023, 1, 10))
    return advance(world, file, 16, {15: date(2024, 7, 1), 16: date(2024, 7, 5)})


@pytest.mark.parametrize("day, outcome", [
    (date(2024, 9, 30), "ok"), (date(2024, 10, 1), "ok"), (date(2024, 10, 2), "blocked"),
    (date(2024, 12, 31), "blocked"), (date(2025, 1, 1), "blocked"), (date(2025, 1, 2), "refused"),
])
def test_approval_within_three_months_never_beyond_six(world, admitted_2024_07_01, day, outcome):
    file = admitted_2024_07_01
    if outcome == "ok":
        world.record(file, 17, day)
        person = Person.objects.get(pk=file.person_id)
        assert person.status == Status.PROBATIONARY and person.joined_on == date(2024, 7, 1)
        return
    if outcome == "blocked":
        with pytest.raises(services.RuleBlocked) as exc:
            world.record(file, 17, day)
        assert blocked_rules(exc) == ["pipeline.approval"]
        step = world.record(file, 17, day, override=True, override_reason="上级党委会议延期，经请示同意")
        assert step.overridden and step.override_rules == ["pipeline.approval"]
        return
    with pytest.raises(ValidationError) as exc:
        world.record(file, 17, day, override=True, override_reason="任何理由")
    assert "不能审批" in exc.value.message_dict["date"][0]
    assert Person.objects.get(pk=file.person_id).status == Status.CANDIDATE


# --- 预备期, 转正, 党龄 -------------------------------------------------------------------------------

@pytest.fixture
def probationer(world):
    file = world.open(date(2023, 1, 10))
    return advance(world, file, 22, {15: date(2024, 7, 1), 16: date(2024, 7, 5), 17: date(2024, 8, 1),
                                     18: date(2024, 8, 10), 19: date(2024, 8, 11), 20: date(2024, 8, 12),
                                     21: date(2025, 1, 5), 22: date(2025, 6, 1)})


def test_probation_ends_one_year_after_the_assembly(world, probationer):
    steps = list(probationer.steps.all())
    assert logic.probation_end_of(probationer, steps) == date(2025, 7, 1)


@pytest.mark.parametrize("day, ok", [(date(2025, 6, 30), False), (date(2025, 7, 1), True), (date(2025, 7, 2), True)])
def test_confirmation_meeting_not_before_the_probation_ends(world, probationer, day, ok):
    if ok:
        world.record(probationer, 23, day)
    else:
        with pytest.raises(services.RuleBlocked) as exc:
            world.record(probationer, 23, day)
        assert blocked_rules(exc) == ["pipeline.confirmation_timing"]
        assert "2025-07-01" in exc.value.messages[0]


@pytest.mark.parametrize("day, ok", [(date(2025, 9, 30), True), (date(2025, 10, 1), True), (date(2025, 10, 2), False)])
def test_confirmation_approved_within_three_months_and_party_age_counts_from_the_probation_end(
        world, probationer, day, ok):
    world.record(probationer, 23, date(2025, 7, 1))
    if not ok:
        with pytest.raises(services.RuleBlocked) as exc:
            world.record(probationer, 24, day)
        assert blocked_rules(exc) == ["pipeline.confirmation_approval"]
        return
    world.record(probationer, 24, day)
    person = Person.objects.get(pk=probationer.person_id)
    assert person.status == Status.FULL and person.full_member_on == date(2025, 7, 1)
    assert person.party_years_on(date(2026, 6, 30)) == 0
    assert person.party_years_on(date(2026, 7, 1)) == 1


@pytest.mark.parametrize("months, ok", [(5, False), (6, True), (12, True), (13, False)])
def test_extension_is_six_to_twelve_months(world, probationer, months, ok):
    call = lambda: services.file_extend(actor=world.writer, file=probationer, decided_on=date(2025, 7, 1),
                                        months=months, approval_no="批字1号")
    if ok:
        call()
        steps = list(probationer.steps.all())
        probationer.refresh_from_db()
        assert logic.probation_end_of(probationer, steps) == date(2025, 7, 1) + R.relativedelta(months=months)
    else:
        with pytest.raises(ValidationError) as exc:
            call()
        assert "不少于6个月" in exc.value.message_dict["months"][0]


def test_extension_only_once_and_moves_the_confirmation_and_party_age(world, probationer):
    services.file_extend(actor=world.writer, file=probationer, decided_on=date(2025, 7, 1), months=6,
                         approval_no="批字1号")
    with pytest.raises(ValidationError) as exc:
        services.file_extend(actor=world.writer, file=probationer, decided_on=date(2025, 7, 2), months=6,
                             approval_no="批字2号")
    assert "只能延长一次" in exc.value.messages[0]
    with pytest.raises(services.RuleBlocked):
        world.record(probationer, 23, date(2025, 12, 31))
    world.record(probationer, 23, date(2026, 1, 1))
    world.record(probationer, 24, date(2026, 1, 20))
    assert Person.objects.get(pk=probationer.person_id).full_member_on == date(2026, 1, 1)


def test_cancellation_ends_the_probation_and_closes_the_file(world, probationer):
    services.file_cancel(actor=world.writer, file=probationer, decided_on=date(2025, 7, 1), reason="不履行党员义务",
                         approval_no="批字3号")
    probationer.refresh_from_db()
    assert probationer.state == DevelopmentFile.State.CANCELLED
    assert Person.objects.get(pk=probationer.person_id).status == Status.CANCELLED
    with pytest.raises(ValidationError):
        world.record(probationer, 23, date(2025, 7, 2))


def test_rules_carry_their_sources():
    for rule in R.RULES:
        assert rule.id.startswith("pipeline.") and rule.source and rule.tag in "VALDU"
