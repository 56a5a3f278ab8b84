"""Browser: a secretary records the talk of a 发展党员 file late — the rule blocks it with an inline error and
the override box appears; with a reason it is saved. Board and file page at 1366 px and 375 px."""

from datetime import date

import pytest

from dangjian.pipeline.models import DevelopmentStep
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_tree, make_user
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


def test_secretary_downloads_the_documents_then_withdraws_a_file(page, phone):
    world = World(make_tree())
    file = advance(world, world.open(date(2023, 1, 10), person=world.candidate(name="王芳")), 7)
    login(page, world.writer.username, PASSWORD)
    page.goto(page.base + f"/pipeline/{file.pk}/")
    assert page.locator("#documents [data-document]").count() == 4      # 谈话记录, 考察登记, 发展对象公示, 卷内目录
    with page.expect_download() as info:
        page.click("[data-document=candidate_publicity]")
    assert info.value.suggested_filename == "王芳_发展对象公示.docx"
    with page.expect_download() as info:
        page.click("text=下载全部档案（ZIP）")
    assert info.value.suggested_filename == "王芳_发展党员档案.zip"

    page.click("text=撤回或终止培养")
    page.select_option("#id_kind", "applicant")
    page.fill("#id_decided_on", "2024-06-01")
    page.fill("#id_reason", "工作调动，本人撤回申请")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("text=终止档案")
    assert "已关闭 · 申请人撤回" in page.inner_text("main")
    assert "工作调动，本人撤回申请" in page.inner_text("#withdrawn")
    shot(page, "pipeline_file_withdrawn_1366")

    login(phone, world.writer.username, PASSWORD)
    phone.goto(phone.base + "/pipeline/double/")
    assert phone.locator("#double-table").count() == 1
    shot(phone, "pipeline_double_375")


def test_system_admin_sees_a_bad_template_refused_at_375(phone, tmp_path):
    admin = make_user("tpl_admin", admin_role="system")
    bad = tmp_path / "谈话记录.docx"
    bad.write_bytes(b"%PDF-1.4 not a word file")
    login(phone, admin.username, PASSWORD)
    phone.goto(phone.base + "/pipeline/templates/")
    phone.set_input_files("#id_talk_file", str(bad))
    with phone.expect_navigation():
        phone.click("#kind-talk button[type=submit]")
    assert "不是有效的 Word 文件" in phone.inner_text("#kind-talk")
    assert phone.locator("[data-state=default]").count() == 6
    shot(phone, "pipeline_templates_375")
