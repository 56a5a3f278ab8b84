"""Browser: a secretary records the talk of a 发展党员 file late — the rule blocks it with an inline error and
the override box appears; with a reason it is saved. Board and file page at 1366 px and 375 px."""

from datetime import date

import pytest

from dangjian.pipeline.models import DevelopmentStep
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_tree
from tests.test_pipeline_helpers import World, advance

pytestmark = pytest.mark.django_db(transaction=True)


def test_secretary_records_a_step_with_an_inline_error_then_an_override(page, phone):
    world = World(make_tree())
    file = world.open(date(2024, 3, 15), person=world.candidate(name="林晓"))
    advance(world, world.open(date(2023, 1, 10), person=world.candidate(name="周敏")), 17)
    advance(world, world.open(date(2023, 1, 10), person=world.candidate(name="陈刚")), 4)

    login(page, world.writer.username, PASSWORD)
    page.goto(page.base + "/pipeline/")
    assert page.locator("[data-stage=applicant]").inner_text().count("林晓") == 1
    assert "周敏" in page.locator("[data-stage=probationary]").inner_text()
    shot(page, "pipeline_board_1366")

    page.click("text=林晓")
    page.wait_for_url(f"**/pipeline/{file.pk}/")
    assert page.locator("#override-box").count() == 0
    page.fill("#id_date", "2024-04-16")
    page.select_option("#id_talker", str(world.sponsor_1.pk))
    with page.expect_navigation():
        page.click("main #record button[type=submit]")
    error = page.locator("#record .alert-danger").inner_text()
    assert "谈话日期晚于期限 2024-04-15" in error and "细则 第七条" in error
    assert page.locator("#override-box").is_visible()
    assert not DevelopmentStep.objects.filter(file=file, number=2).exists()
    shot(page, "pipeline_file_blocked_1366")

    page.check("#id_override")
    page.fill("#id_override_reason", "申请人外出支教，返校后谈话")
    with page.expect_navigation():
        page.click("main #record button[type=submit]")
    assert page.locator(".alert-success").count() == 1
    step = DevelopmentStep.objects.get(file=file, number=2)
    assert step.overridden and step.override_reason == "申请人外出支教，返校后谈话"
    assert "违反规则仍保存：申请人外出支教" in page.inner_text("[data-step='2']")
    shot(page, "pipeline_file_saved_1366")

    login(phone, world.writer.username, PASSWORD)
    phone.goto(phone.base + "/pipeline/")
    shot(phone, "pipeline_board_375")
    phone.goto(phone.base + f"/pipeline/{file.pk}/")
    phone.fill("#id_date", "2024-04-10")
    with phone.expect_navigation():
        phone.click("main #record button[type=submit]")
    assert "日期不能早于上一步骤" in phone.inner_text("#record")
    shot(phone, "pipeline_file_375")
