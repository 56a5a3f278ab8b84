"""党员积分: each source counted independently, deductions, caps, rule-set inheritance, recompute on change,
fixed query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.models import AuditLog
from dangjian.dues import services as dues_services
from dangjian.dues.models import Category, DuesBill, DuesPayment
from dangjian.life.models import Attendance, Meeting, StudyLog, StudyTask
from dangjian.points import rulebook, selectors, services
from dangjian.points.models import RuleSet
from dangjian.points.sources import all_sources
from dangjian.orgs.models import Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
YEAR = 2025
START, END = selectors.year_period(YEAR)
A = Attendance.Status


def meeting(org, day, status=Meeting.Status.HELD):
    return Meeting.objects.create(org=org, type="assembly", theme="学习党章", date=day, status=status)


def attend(person, day, status=A.PRESENT, approved=False, held=True, org=None):
    m = meeting(org or person.org, day, Meeting.Status.HELD if held else Meeting.Status.PLANNED)
    return Attendance.objects.create(meeting=m, person=person, status=status, leave_approved=approved,
                                     leave_reason="出差" if status == A.LEAVE else "")


def study(person, day, task=True):
    t = StudyTask.objects.create(org=person.org, title=f"学习任务{day}", starts_on=date(YEAR, 1, 1),
                                 due_on=date(YEAR, 12, 31)) if task else None
    return StudyLog.objects.create(person=person, task=t, date=day, hours=Decimal("2"))


def bill(person, month, paid_on=None, waived=False):
    payment = None
    if paid_on is not None:
        payment = DuesPayment.objects.create(person=person, org=person.org, paid_on=paid_on, amount=Decimal("20"))
    return DuesBill.objects.create(person=person, month=month, org=person.org, category=Category.EMPLOYED,
                                   standard_amount=Decimal("20"), amount=Decimal("20"), payment=payment,
                                   waived=waived)


def quantity(person, key, start=START, end=END):
    return all_sources()[key].count([person.pk], start, end).get(person.pk, Decimal(0))


def test_each_source_counts_only_its_own_records(tree):
    p = make_person(tree["branch_a1"])
    other = make_person(tree["branch_a1"])
    for day in (date(YEAR, 3, 1), date(YEAR, 6, 1), date(YEAR, 12, 31)):
        attend(p, day)
    attend(p, date(YEAR - 1, 12, 31))                     # before the period
    attend(p, date(YEAR, 7, 1), held=False)               # a planned meeting is not attendance
    attend(p, date(YEAR, 4, 1), A.ABSENT)
    attend(p, date(YEAR, 5, 1), A.LEAVE, approved=False)  # leave not approved counts as an absence
    attend(p, date(YEAR, 5, 2), A.LEAVE, approved=True)   # approved leave is neither
    study(p, date(YEAR, 2, 1))
    study(p, date(YEAR, 2, 2), task=False)                # self-directed study is not a completed task
    attend(other, date(YEAR, 3, 1))
    assert quantity(p, "life.attendance") == 3
    assert quantity(p, "life.absence") == 2
    assert quantity(p, "life.study") == 1
    assert quantity(p, "dues.arrears") == 0
    assert quantity(other, "life.attendance") == 1


def test_arrears_are_months_unpaid_as_of_the_period_end(tree):
    p = make_person(tree["branch_a1"])
    bill(p, date(YEAR, 1, 1), paid_on=date(YEAR, 1, 20))   # paid on time
    bill(p, date(YEAR, 2, 1))                             # never paid
    bill(p, date(YEAR, 3, 1), paid_on=date(YEAR + 1, 1, 5))  # paid after the period: unpaid as of its end
    bill(p, date(YEAR, 4, 1), waived=True)                # waived: not owed
    bill(p, date(YEAR, 12, 1))                            # December's dues are overdue only from 1 January
    assert quantity(p, "dues.arrears") == 2
    # As of 31 March, February's dues are overdue and March's are not yet.
    assert quantity(p, "dues.arrears", end=date(YEAR, 3, 31)) == 1
    # The day before / the day of: on 1 March February is overdue; on 28 February it is not.
    assert quantity(p, "dues.arrears", end=date(YEAR, 2, 28)) == 0
    assert quantity(p, "dues.arrears", end=date(YEAR, 3, 1)) == 1
    texts = [text for _, text, _ in all_sources()["dues.arrears"].explain(p, START, END)]
    assert texts == ["2025年2月党费20.00元未按期交纳", "2025年3月党费20.00元未按期交纳，2026-01-05补缴"]


def test_score_is_base_plus_capped_subtotals_with_deductions(tree):
    p = make_person(tree["branch_a1"])
    for month in range(1, 13):
        attend(p, date(YEAR, month, 10))
        attend(p, date(YEAR, month, 20))                  # 24 present × 2 = 48, capped at 40
    attend(p, date(YEAR, 6, 5), A.ABSENT)                 # 1 × -5
    study(p, date(YEAR, 3, 3))                            # 1 × 2
    bill(p, date(YEAR, 5, 1))                             # 1 × -3
    score = selectors.person_score(p, START, END)
    assert score.base == rulebook.DEFAULT_BASE == Decimal("60")
    att = score.line("life.attendance")
    assert (att.quantity, att.raw, att.subtotal, att.capped) == (24, 48, 40, True)
    assert score.line("life.absence").subtotal == -5
    assert score.line("dues.arrears").subtotal == -3
    assert score.total == Decimal("60") + 40 - 5 + 2 - 3
    assert len(att.records) == 24 and att.records[0][0] == date(YEAR, 1, 10)


def test_deduction_cap_limits_what_is_deducted(tree):
    p = make_person(tree["branch_a1"])
    for month in range(1, 9):
        attend(p, date(YEAR, month, 1), A.ABSENT)         # 8 × -5 = -40, capped at -30
    score = selectors.person_score(p, START, END)
    line = score.line("life.absence")
    assert (line.raw, line.subtotal, line.capped) == (-40, -30, True)
    assert score.total == Decimal("30")


def rules_for(attendance="3", cap=""):
    rules = {key: (str(s.default_points), str(s.default_cap or "")) for key, s in all_sources().items()}
    rules["life.attendance"] = (attendance, cap)
    return rules


def test_rule_sets_inherit_from_the_nearest_ancestor_and_are_audited(tree):
    district_writer = make_user(role=Role.ORG_ADMIN, org=tree["district"])
    p = make_person(tree["branch_a1"])
    attend(p, date(YEAR, 3, 1))
    assert rulebook.effective(tree["branch_a1"]).is_default
    services.rule_set_save(actor=district_writer, org=tree["district"], base="80", basis="区委教育工委积分办法",
                           rules=rules_for("3"))
    branch = rulebook.effective(tree["branch_a1"])
    assert (branch.base, branch.rule("life.attendance").points, branch.origin_label) == (80, 3, "沿用测试区委教育工委的办法")
    assert selectors.person_score(p, START, END).total == 83
    school_writer = make_user(role=Role.SECRETARY, org=tree["school_a"])
    services.rule_set_save(actor=school_writer, org=tree["school_a"], base="70", basis="总支会议决定",
                           rules=rules_for("5", "4"))
    assert rulebook.effective(tree["school_a"]).origin_label == "本组织制定"
    assert selectors.person_score(p, START, END).total == 74      # 70 + min(5, 4)
    assert rulebook.effective(tree["school_b"]).base == 80        # the sibling keeps the district's
    services.rule_set_remove(actor=school_writer, org=tree["school_a"])
    assert selectors.person_score(p, START, END).total == 83
    events = list(AuditLog.objects.filter(object_type="points.ruleset").order_by("id").values_list("event", flat=True))
    assert events == ["create", "create", "delete"]
    deleted = AuditLog.objects.filter(object_type="points.ruleset", event="delete").get()
    assert deleted.changes["before"]["base"] == "70.0"
    services.rule_set_save(actor=district_writer, org=tree["district"], base="75", basis="修订",
                           rules=rules_for("3"))
    update = AuditLog.objects.filter(object_type="points.ruleset", event="update").get()
    assert (update.changes["before"]["base"], update.changes["after"]["base"]) == ("80.0", "75.0")


@pytest.mark.parametrize("base,rules,field", [
    ("-1", rules_for(), "base"),
    ("abc", rules_for(), "base"),
    ("60", rules_for("1.25"), "p__life.attendance"),
    ("60", rules_for("101"), "p__life.attendance"),
    ("60", rules_for("2", "0"), "c__life.attendance"),
    ("60", {"nope.source": ("1", "")}, "rules"),
])
def test_bad_rule_sets_are_refused_and_change_nothing(tree, base, rules, field):
    writer = make_user(role=Role.SECRETARY, org=tree["school_a"])
    with pytest.raises(ValidationError) as exc:
        services.rule_set_save(actor=writer, org=tree["school_a"], base=base, basis="依据", rules=rules)
    assert field in exc.value.message_dict
    assert not RuleSet.objects.exists() and not AuditLog.objects.filter(object_type="points.ruleset").exists()


def test_only_writers_of_the_organisation_set_its_rules(tree):
    viewer = make_user(role=Role.VIEWER, org=tree["school_a"])
    outsider = make_user(role=Role.SECRETARY, org=tree["school_b"])
    for actor in (viewer, outsider):
        with pytest.raises(PermissionDenied):
            services.rule_set_save(actor=actor, org=tree["school_a"], base="60", basis="x", rules={})
    with pytest.raises(ValidationError, match="请填写制定依据"):
        services.rule_set_save(actor=make_user(role=Role.SECRETARY, org=tree["school_a"]), org=tree["school_a"],
                               base="60", basis=" ", rules={})
    assert not RuleSet.objects.exists()


def test_points_are_recomputed_when_a_record_changes(tree):
    writer = make_user(role=Role.SECRETARY, org=tree["school_a"])
    p = make_person(tree["branch_a1"], joined_on=date(2010, 1, 1))
    before = selectors.person_score(p, START, END).total
    attend(p, date(YEAR, 3, 1))
    assert selectors.person_score(p, START, END).total == before + 2
    # Dues through the services: three months billed and unpaid, then paid within the year.
    dues_services.base_set(actor=writer, person=p, category=Category.EMPLOYED, base="4000",
                           effective_month=date(YEAR, 1, 1))
    for month in (1, 2, 3):
        dues_services.bills_generate(actor=writer, month=date(YEAR, month, 1), org=tree["branch_a1"])
    owing = selectors.person_score(p, START, END).total
    assert owing == before + 2 - 9
    dues_services.payment_record(actor=writer, person=p, months=[date(YEAR, m, 1) for m in (1, 2, 3)],
                                 paid_on=date(YEAR, 6, 1))
    assert selectors.person_score(p, START, END).total == before + 2


def test_subtree_scores_rank_with_ties_and_use_each_members_rule_set(tree):
    writer = make_user(role=Role.SECRETARY, org=tree["branch_a2"])
    a, b, c = (make_person(tree["branch_a1"], name=n) for n in ("王A", "王B", "王C"))
    d = make_person(tree["branch_a2"], name="丁")
    make_person(tree["school_b"], name="外校")
    for person in (a, b):
        attend(person, date(YEAR, 3, 1))
    services.rule_set_save(actor=writer, org=tree["branch_a2"], base="100", basis="支部决定", rules=rules_for())
    scores = selectors.subtree_scores(tree["school_a"], START, END)
    assert [(s.name, s.total, s.rank) for s in scores] == [("丁", 100, 1), ("王A", 62, 2), ("王B", 62, 2),
                                                          ("王C", 60, 4)]
    assert [s.name for s in selectors.subtree_scores(tree["school_a"], START, END, q="王C")] == ["王C"]
    assert selectors.subtree_scores(tree["school_a"], START, END, q="王C")[0].rank == 4


def _populate(org, n):
    for i in range(n):
        p = make_person(org)
        attend(p, date(YEAR, 1 + i % 12, 1))
        attend(p, date(YEAR, 2, 2), A.ABSENT)
        study(p, date(YEAR, 3, 1 + i))
        bill(p, date(YEAR, 2, 1))


def test_subtree_scores_take_a_fixed_number_of_queries(tree, django_assert_max_num_queries):
    limit = 3 + len(all_sources())          # members, rule sets, their rules, one per source
    _populate(tree["branch_a1"], 2)
    with django_assert_max_num_queries(limit):
        assert len(selectors.subtree_scores(tree["district"], START, END)) == 2
    _populate(tree["branch_a2"], 12)
    with django_assert_max_num_queries(limit):
        scores = selectors.subtree_scores(tree["district"], START, END)
    assert len(scores) == 14 and all(s.line("life.study").quantity == 1 for s in scores)
