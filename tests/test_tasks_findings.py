"""Task findings: an open receipt within 7 days of its due date is 即将到期, past it 逾期 — for the receiving
organisation; done or withdrawn tasks are no finding. Edges: the day before, the day of, the day after."""

from datetime import date, timedelta

import pytest

from dangjian.compliance.engine import findings_for
from dangjian.compliance.models import RuleOverride
from dangjian.orgs.models import Organisation
from dangjian.tasks import rules, services
from dangjian.tasks.models import Receipt

pytestmark = pytest.mark.django_db

DUE = date(2026, 6, 30)
ISSUED = date(2026, 6, 1)


@pytest.fixture
def task(tree):
    return services.task_issue(actor=None, org=tree["school_a"], title="报送半年总结", due_on=DUE,
                               receivers="explicit", explicit=[tree["branch_a2"].pk], today=ISSUED)


def task_findings(on):
    return [f for f in findings_for(Organisation.objects.all(), on, only=["tasks"])]


@pytest.mark.parametrize("on,rule_id,words", [
    (DUE - timedelta(days=8), None, None),
    (DUE - timedelta(days=7), rules.TASK_SOON, "还有7天"),
    (DUE - timedelta(days=1), rules.TASK_SOON, "还有1天"),
    (DUE, rules.TASK_SOON, "今天"),
    (DUE + timedelta(days=1), rules.TASK_OVERDUE, "已逾期1天"),
])
def test_open_receipt_edges(tree, task, on, rule_id, words):
    found = task_findings(on)
    if rule_id is None:
        assert found == []
        return
    [finding] = found
    assert (finding.rule_id, finding.org_id, finding.due_on) == (rule_id, tree["branch_a2"].pk, DUE)
    assert words in finding.message and "报送半年总结" in finding.message
    assert finding.severity == ("overdue" if rule_id == rules.TASK_OVERDUE else "soon")


def test_done_and_withdrawn_tasks_are_no_finding(tree, task):
    receipt = Receipt.objects.get(task=task)
    services.receipt_answer(actor=None, receipt=receipt, answer="已完成", today=DUE + timedelta(days=2))
    assert task_findings(DUE + timedelta(days=5)) == []
    other = services.task_issue(actor=None, org=tree["school_a"], title="撤回的任务", due_on=DUE,
                                receivers="branches", today=ISSUED)
    assert len(task_findings(DUE + timedelta(days=1))) == 2
    services.task_withdraw(actor=None, task=other)
    assert task_findings(DUE + timedelta(days=1)) == []


def test_the_soon_window_is_a_setting(tree, task):
    RuleOverride.objects.create(org=tree["school_a"], rule_id=rules.TASK_SOON, params={"days": 3}, reason="本校做法")
    assert task_findings(DUE - timedelta(days=4)) == []
    assert [f.rule_id for f in task_findings(DUE - timedelta(days=3))] == [rules.TASK_SOON]


def test_findings_use_one_query_for_many_organisations(tree, task, django_assert_max_num_queries):
    orgs = list(Organisation.objects.all())
    with django_assert_max_num_queries(3):
        list(findings_for(orgs, DUE + timedelta(days=1), only=["tasks"]))
