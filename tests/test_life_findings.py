"""Findings about organisational life, as of any date: meetings missing in a period (every default
frequency at its edges, DOMAIN §8), local rules from RuleOverride, members absent 3 and 6 months running
(党章 第九条), votes without quorum; a fixed number of queries whatever the number of organisations."""

from datetime import date

import pytest

from dangjian.accounts.models import AdminRole
from dangjian.compliance.engine import findings_for
from dangjian.compliance.rulebook import Severity
from dangjian.compliance.services import rule_override_set
from dangjian.life.models import Attendance, Meeting, Vote
from dangjian.members.models import Status
from dangjian.orgs.models import CommitteePost, Organisation, OrgKind
from tests.factories import make_org, make_person, make_user

pytestmark = pytest.mark.django_db

SOON, OVERDUE = Severity.SOON, Severity.OVERDUE


def meeting(org, kind, day, status=Meeting.Status.HELD, theme=""):
    return Meeting.objects.create(org=org, type=kind, status=status, theme=theme or f"{kind} {day}", date=day)


def life(on, *orgs):
    return findings_for([Organisation.objects.get(pk=o.pk) for o in orgs], on=on, only=["life"])


def found(rule_id, on, *orgs):
    """[(org_id, subject, severity, due_on)] of one rule."""
    return [(f.org_id, f.subject, f.severity, f.due_on) for f in life(on, *orgs) if f.rule_id == rule_id]


def with_committee(branch, seats=3):
    for i in range(seats):
        CommitteePost.objects.create(org=branch, person=make_person(branch), started_on=date(2015, 1, 1),
                                     post=CommitteePost.Post.SECRETARY if i == 0 else CommitteePost.Post.MEMBER)
    return branch


@pytest.fixture
def sysadmin():
    return make_user(admin_role=AdminRole.SYSTEM)


@pytest.fixture
def branch(tree):
    return with_committee(tree["branch_a1"])


def set_rule(sysadmin, org, rule_id, reason="本校党支部工作制度", enabled=True, **params):
    rule_override_set(actor=sysadmin, org=org, rule_id=rule_id, enabled=enabled, params=params, reason=reason)


# --- monthly: 支委会 (支条 第十二条) ------------------------------------------------------------------------

def test_monthly_meeting_on_the_last_day_of_the_month_meets_it(branch):
    meeting(branch, "committee", date(2024, 3, 31))
    assert found("life.committee", date(2024, 4, 1), branch) == [
        (branch.pk, "支委会（2024年1月）", OVERDUE, date(2024, 1, 31)),
        (branch.pk, "支委会（2024年2月）", OVERDUE, date(2024, 2, 29)),
    ]


def test_monthly_obligation_is_overdue_from_the_first_of_the_next_month(branch):
    meeting(branch, "committee", date(2024, 1, 10))
    meeting(branch, "committee", date(2024, 2, 10))
    assert found("life.committee", date(2024, 3, 31), branch) == [
        (branch.pk, "支委会（2024年3月）", SOON, date(2024, 3, 31))]
    assert found("life.committee", date(2024, 4, 1), branch) == [
        (branch.pk, "支委会（2024年3月）", OVERDUE, date(2024, 3, 31))]


def test_monthly_obligation_is_due_soon_in_the_last_seven_days_only(branch):
    meeting(branch, "committee", date(2024, 1, 10))
    meeting(branch, "committee", date(2024, 2, 10))
    assert found("life.committee", date(2024, 3, 24), branch) == []
    assert [s for _, _, s, _ in found("life.committee", date(2024, 3, 25), branch)] == [SOON]


def test_a_meeting_after_the_as_of_date_does_not_count(branch):
    meeting(branch, "committee", date(2024, 1, 10))
    meeting(branch, "committee", date(2024, 2, 29))
    assert found("life.committee", date(2024, 2, 28), branch) == [
        (branch.pk, "支委会（2024年2月）", SOON, date(2024, 2, 29))]
    assert found("life.committee", date(2024, 2, 29), branch) == []


@pytest.mark.parametrize("status", [Meeting.Status.PLANNED, Meeting.Status.CANCELLED])
def test_only_held_meetings_count(branch, status):
    meeting(branch, "committee", date(2024, 1, 10))
    meeting(branch, "committee", date(2024, 2, 10), status=status)
    assert [subject for _, subject, _, _ in found("life.committee", date(2024, 3, 1), branch)] == ["支委会（2024年2月）"]


def test_every_missed_period_of_the_year_is_listed_once_and_earlier_years_are_not(branch):
    meeting(branch, "committee", date(2024, 5, 10))
    subjects = [s for _, s, _, _ in found("life.committee", date(2024, 7, 1), branch)]
    assert subjects == ["支委会（2024年1月）", "支委会（2024年2月）", "支委会（2024年3月）", "支委会（2024年4月）",
                        "支委会（2024年6月）"]


def test_on_new_year_the_last_complete_period_of_the_old_year_is_still_listed(branch):
    for month in range(1, 12):
        meeting(branch, "committee", date(2024, month, 5))
    assert found("life.committee", date(2025, 1, 10), branch) == [
        (branch.pk, "支委会（2024年12月）", OVERDUE, date(2024, 12, 31))]


# --- which organisations are expected to meet -----------------------------------------------------------

def test_a_branch_without_committee_is_not_expected_to_hold_committee_meetings(tree):
    branch = tree["branch_a2"]
    CommitteePost.objects.create(org=branch, person=make_person(branch), post="secretary", started_on=date(2015, 1, 1))
    assert found("life.committee", date(2024, 4, 1), branch) == []
    assert found("life.assembly", date(2024, 4, 1), branch) != []


def test_a_branch_with_seven_full_members_is_expected_to_hold_committee_meetings_even_without_one(tree):
    branch = tree["branch_a2"]
    for _ in range(7):
        make_person(branch, status=Status.FULL)
    assert len(found("life.committee", date(2024, 4, 1), branch)) == 3


def test_groups_hold_group_meetings_and_higher_committees_have_no_obligation(tree):
    result = life(date(2024, 4, 1), tree["group_a1"], tree["school_a"], tree["area"], tree["district"])
    assert {(f.org_id, f.rule_id) for f in result} == {(tree["group_a1"].pk, "life.group")}


def test_an_organisation_founded_late_in_a_period_is_not_expected_to_meet_it(tree):
    branch = make_org(tree["school_a"], "新支部", OrgKind.BRANCH, founded_on=date(2024, 3, 2))
    subjects = [s for _, s, _, _ in found("life.theme_day", date(2024, 5, 1), branch)]
    assert subjects == ["主题党日（2024年4月）"]


def test_dissolved_organisations_are_not_checked(tree):
    branch = make_org(tree["school_a"], "旧支部", OrgKind.BRANCH)
    branch.dissolved_on = date(2024, 2, 1)
    branch.save()
    assert life(date(2024, 4, 1), branch) == []


# --- the other default frequencies at their edges ----------------------------------------------------

def test_quarterly_assembly_for_q2_is_due_soon_from_mid_june_and_overdue_from_first_july(branch):
    meeting(branch, "assembly", date(2024, 2, 1))
    assert found("life.assembly", date(2024, 6, 15), branch) == []
    assert found("life.assembly", date(2024, 6, 16), branch) == [
        (branch.pk, "支部党员大会（2024年第2季度）", SOON, date(2024, 6, 30))]
    assert found("life.assembly", date(2024, 6, 30), branch)[0][2] == SOON
    assert found("life.assembly", date(2024, 7, 1), branch) == [
        (branch.pk, "支部党员大会（2024年第2季度）", OVERDUE, date(2024, 6, 30))]


def test_quarterly_assembly_held_on_the_last_day_of_the_quarter_meets_it(branch):
    meeting(branch, "assembly", date(2024, 3, 31))
    meeting(branch, "assembly", date(2024, 6, 30))
    assert found("life.assembly", date(2024, 7, 1), branch) == []


def test_yearly_obligation_for_2024_is_overdue_from_new_year(branch):
    meeting(branch, "life_meeting", date(2023, 12, 1))
    assert found("life.life_meeting", date(2024, 12, 31), branch) == [
        (branch.pk, "组织生活会（2024年）", SOON, date(2024, 12, 31))]
    assert found("life.life_meeting", date(2025, 1, 1), branch) == [
        (branch.pk, "组织生活会（2024年）", OVERDUE, date(2024, 12, 31))]
    meeting(branch, "life_meeting", date(2024, 12, 31))
    assert found("life.life_meeting", date(2025, 1, 1), branch) == []


def test_yearly_talks_and_evaluation_follow_the_same_edges(branch):
    meeting(branch, "talk", date(2024, 12, 31))
    assert found("life.talk", date(2025, 1, 1), branch) == []
    assert [s for _, s, _, _ in found("life.evaluation", date(2025, 1, 1), branch)] == ["民主评议党员（2024年）"]


def test_quarterly_lecture_for_q4_is_overdue_on_new_year(branch):
    for day in (date(2024, 2, 1), date(2024, 5, 1), date(2024, 8, 1)):
        meeting(branch, "lecture", day)
    assert found("life.lecture", date(2024, 12, 31), branch)[0][2] == SOON
    assert found("life.lecture", date(2025, 1, 1), branch) == [
        (branch.pk, "党课（2024年第4季度）", OVERDUE, date(2024, 12, 31))]


def test_monthly_theme_day_for_february_in_a_leap_year(branch):
    meeting(branch, "theme_day", date(2024, 1, 5))
    assert found("life.theme_day", date(2024, 2, 29), branch)[0][3] == date(2024, 2, 29)
    assert found("life.theme_day", date(2024, 3, 1), branch) == [
        (branch.pk, "主题党日（2024年2月）", OVERDUE, date(2024, 2, 29))]


def test_group_meeting_monthly_for_a_group(tree):
    group = tree["group_a1"]
    meeting(group, "group", date(2024, 1, 31))
    assert found("life.group", date(2024, 2, 1), group) == []
    assert found("life.group", date(2024, 3, 1), group) == [
        (group.pk, "党小组会（2024年2月）", OVERDUE, date(2024, 2, 29))]


# --- local rules (seed 001) ------------------------------------------------------------------------------

def test_a_school_can_tighten_the_assembly_to_monthly_and_the_finding_names_its_decision(branch, sysadmin, tree):
    set_rule(sysadmin, tree["school_a"], "life.assembly", frequency="monthly", reason="党总支会议决定")
    meeting(branch, "assembly", date(2024, 1, 5))
    result = [f for f in life(date(2024, 3, 1), branch) if f.rule_id == "life.assembly"]
    assert [f.subject for f in result] == ["支部党员大会（2024年2月）"]
    assert result[0].basis == "实验中学党总支规定：党总支会议决定"
    assert result[0].source_label == "支条 第十一条；实验中学党总支规定：党总支会议决定"
    assert "每月" in result[0].message


def test_lecture_each_semester_is_overdue_the_day_after_the_semester_ends(branch, sysadmin):
    set_rule(sysadmin, branch, "life.lecture", frequency="semester")
    meeting(branch, "lecture", date(2024, 5, 1))
    assert found("life.lecture", date(2025, 1, 17), branch) == [
        (branch.pk, "党课（2024—2025学年第一学期）", SOON, date(2025, 1, 31))]
    assert found("life.lecture", date(2025, 1, 31), branch)[0][2] == SOON
    assert found("life.lecture", date(2025, 2, 1), branch) == [
        (branch.pk, "党课（2024—2025学年第一学期）", OVERDUE, date(2025, 1, 31))]


def test_semester_lecture_held_on_the_last_day_of_august_meets_the_second_semester(branch, sysadmin):
    set_rule(sysadmin, branch, "life.lecture", frequency="semester")
    meeting(branch, "lecture", date(2024, 1, 31))
    meeting(branch, "lecture", date(2024, 8, 31))
    assert found("life.lecture", date(2024, 9, 1), branch) == []


def test_half_yearly_rule_edges(branch, sysadmin):
    set_rule(sysadmin, branch, "life.talk", frequency="half_year")
    meeting(branch, "talk", date(2023, 12, 31))
    assert found("life.talk", date(2024, 6, 30), branch) == [(branch.pk, "谈心谈话（2024年上半年）", SOON, date(2024, 6, 30))]
    assert found("life.talk", date(2024, 7, 1), branch) == [(branch.pk, "谈心谈话（2024年上半年）", OVERDUE, date(2024, 6, 30))]


def test_weekly_rule_needs_as_many_meetings_as_weeks_ending_in_the_month(branch, sysadmin):
    set_rule(sysadmin, branch, "life.theme_day", frequency="weekly")
    for day in (3, 10, 17):  # March 2024 has 5 Sundays
        meeting(branch, "theme_day", date(2024, 3, day))
    result = [f for f in life(date(2024, 4, 1), branch) if f.rule_id == "life.theme_day"]
    march = next(f for f in result if f.subject == "主题党日（2024年3月）")
    assert "应至少5次，实际3次" in march.message


def test_a_rule_switched_off_locally_yields_nothing(branch, sysadmin):
    set_rule(sysadmin, branch, "life.committee", enabled=False)
    assert found("life.committee", date(2024, 4, 1), branch) == []


def test_the_soon_window_is_a_parameter(branch, sysadmin):
    set_rule(sysadmin, branch, "life.life_meeting", soon_days_long=60)
    other = make_org(Organisation.objects.get_parent(branch))
    for org in (branch, other):
        meeting(org, "life_meeting", date(2023, 12, 1))
    assert found("life.life_meeting", date(2024, 11, 1), branch) == []     # 60 days left: not yet
    assert found("life.life_meeting", date(2024, 11, 2), branch)[0][2] == SOON
    assert found("life.life_meeting", date(2024, 11, 2), other) == []


def test_the_latest_complete_period_of_last_year_is_listed_all_year(branch):
    assert [(s, sev) for _, s, sev, _ in found("life.life_meeting", date(2024, 6, 1), branch)] == [
        ("组织生活会（2023年）", OVERDUE)]


# --- members absent (党章 第九条) --------------------------------------------------------------------------

def _attend(org, person, months, status=Attendance.Status.ABSENT, year=2024, **extra):
    for month in months:
        m = meeting(org, "theme_day", date(year, month, 10))
        Attendance.objects.create(meeting=m, person=person, status=status, **extra)


def test_member_absent_three_counted_months_in_a_row_gets_a_warning(tree):
    branch = tree["branch_a1"]
    person = make_person(branch, name="李缺席")
    _attend(branch, person, [1, 2], status=Attendance.Status.PRESENT)
    _attend(branch, person, [3, 4, 5])
    result = [f for f in life(date(2024, 6, 1), branch) if f.rule_id == "life.absence"]
    assert [(f.subject, f.severity) for f in result] == [("李缺席", SOON)]
    assert "连续3个月（2024年3月至2024年5月）" in result[0].message


def test_member_absent_six_months_is_flagged_with_the_risk_of_lapsing(tree):
    branch = tree["branch_a1"]
    person = make_person(branch, name="王脱党")
    _attend(branch, person, [1, 2, 3, 4, 5, 6])
    result = [f for f in life(date(2024, 7, 1), branch) if f.rule_id == "life.absence"]
    assert [(f.subject, f.severity) for f in result] == [("王脱党", OVERDUE)]
    assert "自行脱党" in result[0].message and "党章第九条" in result[0].message


def test_two_months_absent_is_not_flagged(tree):
    branch = tree["branch_a1"]
    person = make_person(branch)
    _attend(branch, person, [1], status=Attendance.Status.PRESENT)
    _attend(branch, person, [2, 3])
    assert found("life.absence", date(2024, 6, 1), branch) == []


def test_months_without_meetings_neither_count_nor_break_the_run(tree):
    branch = tree["branch_a1"]
    person = make_person(branch)
    _attend(branch, person, [1, 4, 7])  # February, March, May, June: no meeting expected this person
    assert [s for _, _, s, _ in found("life.absence", date(2024, 8, 1), branch)] == [SOON]


def test_approved_leave_is_not_absence_and_breaks_the_run(tree):
    branch = tree["branch_a1"]
    person = make_person(branch)
    _attend(branch, person, [1, 2])
    _attend(branch, person, [3], status=Attendance.Status.LEAVE, leave_approved=True, leave_reason="病假")
    _attend(branch, person, [4, 5])
    assert found("life.absence", date(2024, 6, 1), branch) == []


def test_leave_without_approval_counts_as_absence(tree):
    branch = tree["branch_a1"]
    person = make_person(branch)
    _attend(branch, person, [1, 2])
    _attend(branch, person, [3], status=Attendance.Status.LEAVE, leave_approved=False)
    assert [s for _, _, s, _ in found("life.absence", date(2024, 4, 1), branch)] == [SOON]


def test_attending_one_of_two_meetings_in_a_month_breaks_the_run(tree):
    branch = tree["branch_a1"]
    person = make_person(branch)
    _attend(branch, person, [1, 2, 3])
    m = meeting(branch, "assembly", date(2024, 3, 20))
    Attendance.objects.create(meeting=m, person=person, status=Attendance.Status.PRESENT)
    assert found("life.absence", date(2024, 4, 1), branch) == []


def test_absence_runs_agree_with_counting_every_month_by_hand(tree):
    """absence_runs groups only the months of people whose last expected attendance is an absence; for varied
    patterns (attended early or late in the month of the last absence, leave with and without approval, months
    without meetings) it must give what grouping every person's months gives."""
    import random

    from dangjian.life.checks import absence_runs

    branch = tree["branch_a1"]
    rng = random.Random(5)
    meetings = {(month, day): meeting(branch, "theme_day", date(2024, month, day)) for month in range(1, 10)
                for day in (5, 25)}
    statuses = [("present", False), ("absent", False), ("leave", True), ("leave", False)]
    people = [make_person(branch, name=f"成员{i}") for i in range(40)]
    for person in people:
        for (month, day), m in meetings.items():
            if rng.random() < 0.75:
                status, approved = rng.choice(statuses) if rng.random() < 0.5 else statuses[1]
                Attendance.objects.create(meeting=m, person=person, status=status, leave_approved=approved)

    on = date(2024, 9, 30)
    by_month = {}
    for a in Attendance.objects.filter(person__in=people).select_related("meeting"):
        absent = a.status == "absent" or (a.status == "leave" and not a.leave_approved)
        by_month.setdefault(a.person_id, {}).setdefault(a.meeting.date.month, []).append(absent)
    expected = {}
    for person_id, months in by_month.items():
        run = 0
        for month in sorted(months, reverse=True):
            if not all(months[month]):
                break
            run += 1
        if run:
            last = max(months)
            expected[person_id] = (run, ((2024, sorted(months, reverse=True)[run - 1]), (2024, last)))
    got = {pid: (run, span) for pid, (_, _, run, span) in absence_runs([branch.pk], on).items()}
    assert got == expected and 3 <= len(expected) < len(people)
    assert {pid for pid, (run, _) in expected.items() if run >= 3}


def test_absence_is_judged_as_of_the_date(tree):
    branch = tree["branch_a1"]
    person = make_person(branch)
    _attend(branch, person, [1, 2, 3, 4, 5, 6])
    assert found("life.absence", date(2024, 3, 31), branch)[0][2] == SOON
    assert found("life.absence", date(2024, 2, 29), branch) == []


def test_absence_thresholds_are_parameters(tree, sysadmin):
    branch = tree["branch_a1"]
    person = make_person(branch)
    _attend(branch, person, [1, 2])
    set_rule(sysadmin, branch, "life.absence", warn_months=2, risk_months=4)
    assert [s for _, _, s, _ in found("life.absence", date(2024, 3, 1), branch)] == [SOON]


def test_people_who_left_the_party_are_not_flagged(tree):
    branch = tree["branch_a1"]
    person = make_person(branch, status=Status.TRANSFERRED_OUT)
    _attend(branch, person, [1, 2, 3, 4, 5, 6])
    assert found("life.absence", date(2024, 7, 1), branch) == []


# --- votes without quorum ------------------------------------------------------------------------------

def _vote(m, due, present, quorum_met):
    return Vote.objects.create(meeting=m, kind=Vote.Kind.ADMISSION, subject="接收张三为预备党员", voters_due=due,
                               voters_present=present, yes=present, no=0, abstain=0, quorum_met=quorum_met,
                               passed=quorum_met)


def test_a_vote_without_quorum_is_flagged_with_the_meeting_named(tree):
    branch = tree["branch_a1"]
    _vote(meeting(branch, "assembly", date(2024, 3, 5), theme="接收预备党员"), 10, 5, False)
    _vote(meeting(branch, "assembly", date(2024, 4, 5), theme="转正"), 10, 8, True)
    result = [f for f in life(date(2024, 6, 1), branch) if f.rule_id == "life.vote_quorum"]
    assert [(f.subject, f.severity, f.due_on) for f in result] == [
        ("2024-03-05 支部党员大会“接收预备党员”", OVERDUE, date(2024, 3, 5))]
    assert "应到有表决权的党员10人，实到5人" in result[0].message


def test_votes_of_planned_meetings_or_after_the_date_are_ignored(tree):
    branch = tree["branch_a1"]
    _vote(meeting(branch, "assembly", date(2024, 3, 5), status=Meeting.Status.PLANNED), 10, 5, False)
    _vote(meeting(branch, "assembly", date(2024, 7, 5)), 10, 5, False)
    assert found("life.vote_quorum", date(2024, 6, 1), branch) == []


# --- a fixed number of queries ------------------------------------------------------------------------

def _branches(parent, n):
    out = []
    for i in range(n):
        b = make_org(parent, f"支部{i}", OrgKind.BRANCH)
        if i % 2:
            with_committee(b)
        group = make_org(b, f"党小组{i}", OrgKind.GROUP)
        p = make_person(b)
        _attend(b, p, [1, 2, 3])
        meeting(group, "group", date(2024, 2, 2))
        _vote(meeting(b, "assembly", date(2024, 3, 5)), 10, 4, False)
        out += [b, group]
    return out


@pytest.mark.parametrize("n", [1, 10])
def test_life_checks_issue_a_fixed_number_of_queries(tree, sysadmin, django_assert_num_queries, n):
    orgs = _branches(tree["school_a"], n)
    set_rule(sysadmin, tree["school_a"], "life.assembly", frequency="monthly")
    orgs = list(Organisation.objects.filter(pk__in=[o.pk for o in orgs]))
    assert len(orgs) == 2 * n
    # overrides, committee applicability, meeting counts, attendance months, unquorate votes
    with django_assert_num_queries(5):
        result = findings_for(orgs, on=date(2024, 4, 1), only=["life"])
    assert sum(1 for f in result if f.rule_id == "life.absence") == n
    assert sum(1 for f in result if f.rule_id == "life.vote_quorum") == n
