"""The ≤ ⅓ 优秀 rule at its edges, the 不合格 follow-up finding on the day before / of / after its due date,
the year-end summary, and the fixed query counts of the tally page."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.compliance.engine import findings_for
from dangjian.compliance.models import RuleOverride
from dangjian.orgs.models import Organisation, Role
from dangjian.review import rules, selectors, services
from dangjian.review.models import FollowUp, Grade, Round, Subject
from tests.factories import make_user
from tests.test_review_flow import branch_with_members, grades_for, open_round, vote_all

pytestmark = pytest.mark.django_db


def committee_round(tree, n, org=None):
    org = org or tree["branch_a1"]
    sec = make_user(role=Role.SECRETARY, org=tree["school_a"])
    members = branch_with_members(org, n)
    r = open_round(sec, org)
    services.round_to_committee(actor=sec, round=r)
    return sec, r, members


def finals(r, n_excellent, rest=Grade.QUALIFIED):
    subjects = list(r.subjects.filter(exempt=False).order_by("person__name"))
    return {s.pk: Grade.EXCELLENT if i < n_excellent else rest for i, s in enumerate(subjects)}


@pytest.mark.parametrize("reviewed,limit", [(2, 0), (3, 1), (9, 3), (10, 3), (11, 3), (12, 4)])
def test_limit_is_one_third_rounded_down(reviewed, limit):
    assert rules.excellent_limit(reviewed, {"numerator": 1, "denominator": 3}) == limit


@pytest.mark.parametrize("n,allowed", [(9, 3), (10, 3)])
def test_excellent_share_at_the_edge(tree, n, allowed):
    """9 members: 3 优秀 allowed, 4 refused. 10 members: ⌊10/3⌋ = 3 allowed, 4 refused (not rounded up)."""
    sec, r, _ = committee_round(tree, n)
    services.grades_set(actor=sec, round=r, proposed={}, final=finals(r, allowed))
    assert Subject.objects.filter(round=r, final_grade=Grade.EXCELLENT).count() == allowed
    before = list(Subject.objects.filter(round=r).order_by("pk").values_list("proposed_grade", "final_grade"))
    too_many = finals(r, allowed + 1)
    with pytest.raises(ValidationError) as exc:
        services.grades_set(actor=sec, round=r, proposed=too_many, final=too_many)
    message = str(exc.value)
    assert f"评定为优秀的有{allowed + 1}人" in message and f"最多{allowed}人" in message and "未保存" in message
    assert list(Subject.objects.filter(round=r).order_by("pk").values_list("proposed_grade", "final_grade")) == before


def test_exempt_members_do_not_count_towards_the_base(tree):
    sec, r, members = committee_round(tree, 10)
    services.subject_exempt(actor=sec, subject=r.subjects.get(person=members[-1][0]), exempt=True, reason="病假")
    with pytest.raises(ValidationError, match="最多3人"):
        services.grades_set(actor=sec, round=r, proposed={}, final=finals(r, 4))
    services.subject_exempt(actor=sec, subject=r.subjects.get(person=members[-2][0]), exempt=True, reason="外出学习")
    with pytest.raises(ValidationError, match="参评党员8人"):
        services.grades_set(actor=sec, round=r, proposed={}, final=finals(r, 3))


def test_the_share_is_a_setting(tree):
    sec, r, _ = committee_round(tree, 9)
    RuleOverride.objects.create(org=tree["school_a"], rule_id=rules.EXCELLENT_SHARE,
                                params={"numerator": 1, "denominator": 4}, reason="本校规定优秀不超过四分之一")
    with pytest.raises(ValidationError, match="1/4"):
        services.grades_set(actor=sec, round=r, proposed={}, final=finals(r, 3))
    services.grades_set(actor=sec, round=r, proposed={}, final=finals(r, 2))


def test_tally_page_refuses_a_grade_breaking_the_rule_and_keeps_what_was_typed(tree, client):
    sec, r, _ = committee_round(tree, 3)
    client.force_login(sec)
    data = {f"final_{pk}": g for pk, g in finals(r, 2).items()}
    response = client.post(reverse("review:tally", args=[r.pk]), data)
    assert response.status_code == 400 and "超过参评党员3人的三分之一" in response.content.decode()
    assert not Subject.objects.filter(round=r).exclude(final_grade="").exists()


def test_grades_only_during_committee_and_only_valid_ones(tree):
    sec = make_user(role=Role.SECRETARY, org=tree["school_a"])
    branch_with_members(tree["branch_a1"], 3)
    r = open_round(sec, tree["branch_a1"])
    with pytest.raises(ValidationError, match="支委评定阶段"):
        services.grades_set(actor=sec, round=r, proposed={}, final=finals(r, 0))
    services.round_to_committee(actor=sec, round=r)
    with pytest.raises(ValidationError, match="评定等次须为"):
        services.grades_set(actor=sec, round=r, proposed={}, final={pk: "top" for pk in finals(r, 0)})
    with pytest.raises(ValidationError, match="尚未评定等次"):
        services.round_close(actor=sec, round=r)


# --- the follow-up finding ---------------------------------------------------------------------------


@pytest.fixture
def overdue_case(tree):
    sec, r, members = committee_round(tree, 3)
    weak = r.subjects.get(person=members[0][0])
    services.grades_set(actor=sec, round=r, proposed={}, final={weak.pk: Grade.UNQUALIFIED})
    due = date(2025, 3, 31)
    follow = services.follow_up_set(actor=sec, subject=Subject.objects.get(pk=weak.pk),
                                    measure=FollowUp.Measure.CORRECTION, due_on=due, detail="谈话提醒")
    return {"sec": sec, "org": tree["branch_a1"], "due": due, "follow": follow, "tree": tree}


def review_findings(org, on):
    return [f for f in findings_for([Organisation.objects.get(pk=org.pk)], on=on, only=["review"])]


def test_follow_up_finding_day_before_of_and_after(overdue_case):
    org, due = overdue_case["org"], overdue_case["due"]
    assert review_findings(org, due - timedelta(days=8)) == []
    before = review_findings(org, due - timedelta(days=1))
    day_of = review_findings(org, due)
    after = review_findings(org, due + timedelta(days=1))
    assert [f.severity for f in before] == ["soon"] and [f.severity for f in day_of] == ["soon"]
    assert [f.severity for f in after] == ["overdue"]
    assert "2025-03-31已过" in after[0].message and after[0].rule_id == rules.FOLLOW_UP_DUE
    assert after[0].due_on == due


def test_closed_follow_up_is_no_finding(overdue_case):
    follow = overdue_case["follow"]
    services.follow_up_set(actor=overdue_case["sec"], subject=follow.subject, measure=follow.measure,
                           due_on=follow.due_on, closed_on=date(2025, 3, 30), outcome="已改正")
    assert review_findings(overdue_case["org"], overdue_case["due"] + timedelta(days=1)) == []


def test_follow_up_needs_an_unqualified_grade_and_valid_fields(overdue_case, tree):
    sec, follow = overdue_case["sec"], overdue_case["follow"]
    other = follow.subject.round.subjects.exclude(pk=follow.subject_id).first()
    with pytest.raises(ValidationError, match="只有评定为不合格"):
        services.follow_up_set(actor=sec, subject=other, measure="correction", due_on=date(2025, 1, 1))
    with pytest.raises(ValidationError, match="其他处置须填写处置说明"):
        services.follow_up_set(actor=sec, subject=follow.subject, measure="other", detail="")
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.follow_up_set(actor=sec, subject=follow.subject, measure="correction", due_on=date(2025, 1, 1),
                               closed_on=tomorrow, outcome="x")
    follow.refresh_from_db()
    assert follow.measure == "correction" and follow.closed_on is None
    with pytest.raises(ValidationError, match="先删除处置记录"):
        services.grades_set(actor=sec, round=follow.subject.round, proposed={},
                            final={follow.subject_id: Grade.QUALIFIED})
    services.follow_up_delete(actor=sec, follow_up=follow)
    assert not FollowUp.objects.exists()
    from dangjian.core.models import AuditLog

    assert AuditLog.objects.filter(object_type="review.followup", event="delete").exists()


# --- the year-end summary ---------------------------------------------------------------------------


def test_summary_figures_in_a_fixed_number_of_queries(tree, django_assert_max_num_queries):
    sec, r, members = committee_round(tree, 6)
    final = finals(r, 2)
    weak = r.subjects.get(person=members[-1][0])
    final[weak.pk] = Grade.UNQUALIFIED
    services.grades_set(actor=sec, round=r, proposed={}, final=final)
    services.follow_up_set(actor=sec, subject=Subject.objects.get(pk=weak.pk), measure="correction",
                           due_on=date(2030, 1, 1))
    Round.objects.filter(pk=r.pk).update(staff_satisfied=8, staff_basic=1, staff_unsatisfied=1)
    services.round_close(actor=sec, round=r)
    today = timezone.localdate()
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    with django_assert_max_num_queries(4):
        figures = selectors.summary(tree["district"], start, end)
    assert figures["rounds_held"] == 1 and figures["rounds_closed"] == 1 and figures["members_reviewed"] == 6
    assert figures["grades"] == {"优秀": 2, "合格": 3, "基本合格": 0, "不合格": 1}
    assert figures["unqualified_follow_ups"]["total"] == 1 and figures["unqualified_follow_ups"]["限期改正"] == 1
    assert figures["staff_satisfaction"] == {"满意": 8, "基本满意": 1, "不满意": 1}
    assert figures["staff_satisfaction_rate"] == 90 and figures["branches_evaluated_by_staff"] == 1
    # More rounds, the same number of queries; another subtree counts nothing.
    sec_b = make_user(role=Role.SECRETARY, org=tree["school_b"])
    branch_with_members(tree["school_b"], 5, prefix="城南")
    open_round(sec_b, tree["school_b"])
    with django_assert_max_num_queries(4):
        figures = selectors.summary(tree["district"], start, end)
    assert figures["rounds_held"] == 2 and figures["members_reviewed"] == 11
    assert selectors.summary(tree["school_b"], start, end)["grades"]["优秀"] == 0
    assert selectors.summary(tree["district"], date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))[
        "rounds_held"] == 0


# Session, user, roles and the page's own reads; the same for 4 members and for 12.
QUERY_LIMITS = {"review:tally": 15, "review:results": 14, "review:round_detail": 12}


@pytest.mark.parametrize("n", [4, 12])
def test_tally_page_queries_do_not_grow(tree, client, django_assert_max_num_queries, n):
    sec, r, members = committee_round(tree, n)
    Round.objects.filter(pk=r.pk).update(status=Round.Status.EVALUATING)
    r.refresh_from_db()
    vote_all(r, members)
    Round.objects.filter(pk=r.pk).update(status=Round.Status.COMMITTEE)
    client.force_login(sec)
    for name in ("review:tally", "review:results", "review:round_detail"):
        client.get(reverse(name, args=[r.pk]))  # warm the session and caches
        with django_assert_max_num_queries(QUERY_LIMITS[name]):
            assert client.get(reverse(name, args=[r.pk])).status_code == 200
    assert grades_for(r)  # sanity: there are members to grade
