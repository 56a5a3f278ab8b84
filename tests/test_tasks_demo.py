"""The tasks demo: deterministic tasks from the district and the demo school, pledges, instructors."""

from dangjian.compliance.engine import findings_for
from dangjian.demo import plans
from dangjian.demo.builder import REFERENCE_DATE
from dangjian.orgs.models import Organisation
from dangjian.tasks import rules, selectors
from dangjian.tasks.models import Instructor, Pledge, Task
from tests.test_demo import demo  # noqa: F401 - the class-scoped demo fixture


class TestTasksDemo:
    def test_tasks_receipts_pledges_and_instructors(self, db, demo):  # noqa: F811
        titles = set(Task.objects.values_list("title", "org__code"))
        assert ("报送2026年上半年党建工作总结", plans.DEMO_ROOT_CODE) in titles
        assert ("报送主题党日活动计划", plans.DEMO_SEED000_SCHOOL) in titles
        summary = Task.objects.get(title="报送2026年上半年党建工作总结")
        rows, figures = selectors.issuer_table(summary, REFERENCE_DATE)
        assert figures["overdue"] == 1 and figures["done_late"] == 3 and figures["total"] >= 20
        school_task = Task.objects.get(title="报送主题党日活动计划")
        _, figures = selectors.issuer_table(school_task, REFERENCE_DATE)
        assert (figures["done"], figures["done_late"]) == (1, 1) and figures["overdue"] >= 1
        assert Pledge.objects.filter(year=REFERENCE_DATE.year).count() >= 20
        assert Instructor.objects.count() == 2 and all(i.phone_masked for i in Instructor.objects.all())

    def test_findings_on_the_reference_date(self, db, demo):  # noqa: F811
        found = findings_for(Organisation.objects.subtree_of(demo), on=REFERENCE_DATE, only=["tasks"])
        kinds = {f.rule_id for f in found}
        assert kinds == {rules.TASK_OVERDUE, rules.TASK_SOON}

    def test_summary_for_the_district(self, db, demo):  # noqa: F811
        figures = selectors.summary(demo, REFERENCE_DATE.replace(month=1, day=1), REFERENCE_DATE)
        assert figures["tasks_issued"] == 4 and figures["pledges_signed"] >= 20
        assert figures["completed_on_time"] > 0 and figures["overdue"] >= 2
