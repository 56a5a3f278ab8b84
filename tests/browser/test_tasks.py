"""Browser: the school issues a task to two branches; a branch secretary answers it on a phone; the issuer's
table shows the receipt done. Screenshots at 1366 px and 375 px."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dangjian.orgs.models import Role
from dangjian.tasks.models import Receipt, Task
from tests.factories import PASSWORD, make_tree, make_user

from .conftest import login, shot

pytestmark = pytest.mark.django_db(transaction=True)


def test_issuer_issues_a_task_and_a_branch_secretary_answers_it(page, phone, tmp_path):
    tree = make_tree()
    make_user("ui_task_school", Role.SECRETARY, tree["school_a"])
    make_user("ui_task_branch", Role.SECRETARY, tree["branch_a2"])
    due = timezone.localdate() + timedelta(days=5)

    login(page, "ui_task_school", PASSWORD)
    page.goto(page.base + "/tasks/new/")
    page.select_option("#id_org", str(tree["school_a"].pk))
    page.fill("#id_title", "报送主题党日活动计划")
    page.fill("#id_body", "各支部报送本月主题党日活动计划。")
    page.fill("#id_due_on", due.isoformat())
    page.select_option("#id_receivers", "branches")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    task = Task.objects.get(title="报送主题党日活动计划")
    assert sorted(task.receipts.values_list("org__name", flat=True)) == ["实验中学第一党支部", "实验中学第二党支部"]
    assert page.inner_text("[data-figure=total]") == "2" and page.inner_text("[data-figure=rate]") == "0%"

    # The branch secretary answers on a phone, with a file.
    evidence = Path(tmp_path) / "计划.pdf"
    evidence.write_bytes(b"%PDF-1.4\n" + b"0" * 64)
    login(phone, "ui_task_branch", PASSWORD)
    phone.goto(phone.base + "/tasks/")
    assert "报送主题党日活动计划" in phone.inner_text("main")
    shot(phone, "tasks_received_375")
    with phone.expect_navigation():
        phone.click("main a.btn-party:has-text('反馈')")
    phone.fill("#id_answer", "已制定计划：9月20日参观红色教育基地。")
    phone.set_input_files("#id_files", str(evidence))
    shot(phone, "tasks_answer_375")
    with phone.expect_navigation():
        phone.click("#answer-form button[type=submit]")
    assert "已反馈" in phone.inner_text("main")
    receipt = Receipt.objects.get(task=task, org=tree["branch_a2"])
    assert receipt.done_on == timezone.localdate() and receipt.files.count() == 1

    page.reload()
    assert page.inner_text("[data-figure=done]") == "1" and page.inner_text("[data-figure=rate]") == "50%"
    assert "已完成" in page.inner_text("#receipts")
    shot(page, "tasks_issuer_table_1366")
