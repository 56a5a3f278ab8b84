"""Findings and to-dos for unpaid dues: 3 consecutive months → warning, 6 → 自行脱党 risk (edge dates)."""

from datetime import date

import pytest

from dangjian.compliance.engine import Rulebook, findings_for
from dangjian.compliance.models import RuleOverride
from dangjian.compliance.rulebook import Severity
from dangjian.dues import checks, rules, services, todos
from dangjian.dues.models import Category
from dangjian.orgs.models import Organisation, Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary(tree):
    return make_user("f_sec", Role.SECRETARY, tree["school_a"])


def owing(org, actor, months, name=None, paid=()):
    person = make_person(org, name=name)
    services.base_set(actor=actor, person=person, category=Category.EMPLOYED, base="4000",
                      effective_month=date(2026, 1, 1))
    for m in months:
        services.bills_generate(actor=actor, month=date(2026, m, 1), org=org)
    if paid:
        services.payment_record(actor=actor, person=person, months=[date(2026, m, 1) for m in paid],
                                paid_on=date(2026, max(paid), 28))
    return person


def dues_findings(orgs, on):
    orgs = [Organisation.objects.get(pk=o.pk) for o in orgs]
    return [f for f in checks.check_arrears(orgs, Rulebook(orgs), on)]


def test_no_finding_the_day_before_the_third_unpaid_month_becomes_overdue(tree, secretary):
    owing(tree["branch_a1"], secretary, [1, 2, 3])
    assert dues_findings([tree["branch_a1"]], date(2026, 3, 31)) == []


def test_a_warning_on_the_day_the_third_unpaid_month_becomes_overdue(tree, secretary):
    owing(tree["branch_a1"], secretary, [1, 2, 3], name="欠三月")
    [finding] = dues_findings([tree["branch_a1"]], date(2026, 4, 1))
    assert (finding.rule_id, finding.severity, finding.subject) == (rules.ARREARS_WARNING, Severity.SOON, "欠三月")
    assert "连续3个月" in finding.message and finding.due_on == date(2026, 7, 1)
    assert "章 第九条" in finding.source


def test_six_unpaid_months_are_a_lapse_risk_from_the_first_of_the_seventh(tree, secretary):
    owing(tree["branch_a1"], secretary, range(1, 7), name="欠六月")
    [before] = dues_findings([tree["branch_a1"]], date(2026, 6, 30))
    assert before.rule_id == rules.ARREARS_WARNING
    [finding] = dues_findings([tree["branch_a1"]], date(2026, 7, 1))
    assert (finding.rule_id, finding.severity) == (rules.ARREARS_LAPSE, Severity.OVERDUE)
    assert "自行脱党" in finding.message and finding.due_on == date(2026, 7, 1)


def test_a_paid_month_breaks_the_run(tree, secretary):
    owing(tree["branch_a1"], secretary, [1, 2, 3, 4], paid=[2])
    assert dues_findings([tree["branch_a1"]], date(2026, 5, 1)) == []


def test_waived_months_do_not_count(tree, secretary):
    from dangjian.dues.models import DuesBill

    person = owing(tree["branch_a1"], secretary, [1, 2, 3])
    services.bill_adjust(actor=secretary, bill=DuesBill.objects.get(person=person, month=date(2026, 2, 1)), waive=True,
                         approved_by="工委", approved_on=date(2026, 2, 5), approval_no="1号", reason="困难")
    assert dues_findings([tree["branch_a1"]], date(2026, 4, 1)) == []


def test_thresholds_follow_the_rulebook(tree, secretary):
    owing(tree["branch_a1"], secretary, [1, 2])
    RuleOverride.objects.create(org=tree["school_a"], rule_id=rules.ARREARS_WARNING, params={"months": 2}, reason="本校")
    [finding] = dues_findings([tree["branch_a1"]], date(2026, 3, 1))
    assert finding.rule_id == rules.ARREARS_WARNING


def test_the_check_costs_one_query_whatever_the_number_of_members(tree, secretary, django_assert_num_queries):
    for _ in range(4):
        owing(tree["branch_a1"], secretary, [1, 2, 3])
    orgs = [Organisation.objects.get(pk=o.pk) for o in (tree["branch_a1"], tree["branch_a2"], tree["school_a"])]
    rulebook = Rulebook(orgs)
    with django_assert_num_queries(1):
        assert len(list(checks.check_arrears(orgs, rulebook, date(2026, 4, 1)))) == 4


def test_findings_appear_in_the_engine(tree, secretary):
    owing(tree["branch_a1"], secretary, [1, 2, 3])
    orgs = list(Organisation.objects.filter(pk=tree["branch_a1"].pk))
    assert rules.ARREARS_WARNING in {f.rule_id for f in findings_for(orgs, on=date(2026, 4, 1))}


def test_a_member_sees_each_unpaid_bill_as_a_todo(tree, secretary):
    person = owing(tree["branch_a1"], secretary, [1, 2])
    user = make_user("todo_member", Role.MEMBER, tree["branch_a1"], person=person)
    items = todos.todos_for(user, date(2026, 2, 10))
    assert [(t.title, t.overdue) for t in items] == [("交纳2026年1月党费 40.00 元", True),
                                                     ("交纳2026年2月党费 40.00 元", False)]
    assert items[1].due_on == date(2026, 2, 28) and items[0].url == f"/dues/person/{person.pk}/"


def test_writers_see_how_many_members_owe(tree, secretary, django_assert_num_queries):
    owing(tree["branch_a1"], secretary, [1, 2])
    owing(tree["branch_a2"], secretary, [1])
    make_user("other_sec", Role.SECRETARY, tree["school_b"])
    from dangjian.core import scoping
    scoping.forget(secretary)
    with django_assert_num_queries(3):  # own bills, the roles, the count
        items = todos.todos_for(secretary, date(2026, 3, 1))
    assert [t.title for t in items] == ["2 名党员有逾期未交的党费"]
    viewer = make_user("f_view", Role.VIEWER, tree["school_a"])
    assert todos.todos_for(viewer, date(2026, 3, 1)) == []
