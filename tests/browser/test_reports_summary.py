"""Browser: a school secretary opens the 工作总结 of the school year, follows a figure to its records, writes the
特色亮点, and downloads the Word document through the report job."""

import io
import random
from datetime import timedelta

import docx
import pytest

from dangjian.life.models import Meeting, MeetingType
from dangjian.orgs.models import Role
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_user
from tests.test_reports_summary import END, START, populate

pytestmark = pytest.mark.django_db(transaction=True)


def test_secretary_edits_a_section_and_downloads_the_summary(page, tree):
    populate(tree, random.Random(5))
    school = tree["school_a"]
    make_user("school_secretary_rs", Role.SECRETARY, school)
    Meeting.objects.create(org=tree["branch_a1"], type=MeetingType.ASSEMBLY, theme="学习党章", status="held",
                           date=START + timedelta(days=20))
    held = Meeting.objects.filter(org__path__startswith=school.path, status="held", date__gte=START, date__lte=END)
    assemblies = held.filter(type=MeetingType.ASSEMBLY).count()

    login(page, "school_secretary_rs", PASSWORD)
    page.goto(page.base + "/reports/summary/")
    page.select_option("#id_org", str(school.pk))
    page.fill("#id_start", START.isoformat())
    page.fill("#id_end", END.isoformat())
    with page.expect_navigation():
        page.click("main button[type=submit]:has-text('打开')")
    assert f"/reports/summary/{school.pk}/" in page.url
    text = page.inner_text("main")
    assert "工作总结：实验中学党总支" in text and "严格落实“三会一课”制度" in text and "下一步打算" in text
    shot(page, "reports_summary_edit")

    link = page.locator('[data-testid="figure-meetings.assembly"]')
    assert link.inner_text().replace(" ", "").startswith(f"支部党员大会{assemblies}")
    with page.expect_navigation():
        link.click()
    assert "/life/" in page.url and "type=assembly" in page.url
    assert page.locator("#meeting-table tbody tr").count() == assemblies
    page.go_back()

    page.fill("#id_text_highlights", "打造“阳光润德”党建品牌，开展“同上一堂党课”活动。")
    with page.expect_navigation():
        page.click('[data-testid="summary-save"]')
    assert "已保存工作总结文字" in page.inner_text("main")
    assert page.input_value("#id_text_highlights") == "打造“阳光润德”党建品牌，开展“同上一堂党课”活动。"

    with page.expect_navigation():
        page.click('[data-testid="summary-download"]')
    assert "/reports/jobs/" in page.url
    page.wait_for_selector('[data-testid="job-download"]')
    shot(page, "reports_summary_job")
    with page.expect_download() as info:
        page.click('[data-testid="job-download"]')
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(open(download.path(), "rb").read())).paragraphs]
    assert "打造“阳光润德”党建品牌，开展“同上一堂党课”活动。" in paragraphs
    assert "一、基本情况" in paragraphs and "三、特色亮点" in paragraphs
    assert any(f"支部党员大会{assemblies}次" in p for p in paragraphs)
