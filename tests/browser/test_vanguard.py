"""Browser: a branch secretary records an honour (with its certificate) and a 示范课 on a phone-sized page."""

import pytest
from django.utils import timezone

from dangjian.orgs.models import Role
from dangjian.vanguard.models import Honour, Lesson
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_person, make_tree, make_user

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def test_secretary_records_an_honour_and_a_lesson_on_a_phone(phone, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree()
    org = tree["branch_a1"]
    teacher = make_person(org, name="林老师")
    make_user("vg_sec", Role.SECRETARY, org)
    today = timezone.localdate().isoformat()

    login(phone, "vg_sec", PASSWORD)
    phone.goto(phone.base + "/vanguard/honours/")
    assert "暂无荣誉记录。" in phone.inner_text("main")
    with phone.expect_navigation():
        phone.click("text=登记荣誉")
    with phone.expect_navigation():
        phone.click(f"main .list-group-item:has-text(\"{org.name}\")")
    phone.fill("#id_title", "区优秀共产党员")
    phone.select_option("#id_kind", "excellent_member")
    phone.select_option("#id_level", "district")
    phone.fill("#id_date", today)
    phone.fill("#id_issuer", "区教育工委")
    phone.select_option("#id_person", str(teacher.pk))
    phone.set_input_files("#id_certificate", {"name": "证书.png", "mimeType": "image/png", "buffer": PNG})
    shot(phone, "vanguard_honour_form_375")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    assert "已登记荣誉" in phone.inner_text("main")
    honour = Honour.objects.get()
    assert honour.person == teacher and honour.certificate_name == "证书.png"
    assert "区优秀共产党员" in phone.inner_text("table")

    phone.goto(phone.base + f"/vanguard/lessons/new/?org={org.pk}")
    phone.select_option("#id_teacher", str(teacher.pk))
    phone.fill("#id_date", today)
    phone.fill("#id_title", "认识钟表")
    phone.select_option("#id_kind", "demo")
    phone.select_option("#id_level", "school")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    assert "已登记示范课/公开课" in phone.inner_text("main")
    assert Lesson.objects.get().title == "认识钟表"
    shot(phone, "vanguard_lessons_375")

    phone.goto(phone.base + "/vanguard/")
    assert phone.inner_text("[data-figure=lessons]") == "1"
    # The page fits the phone: nothing wider than the viewport.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "vanguard_home_375")
