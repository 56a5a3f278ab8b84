"""Browser: a secretary records a 志愿服务 activity with two participants and a photo on a phone."""

import pytest
from django.utils import timezone

from dangjian.orgs.models import Role
from dangjian.service.models import Activity
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_person, make_tree, make_user

pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_secretary_records_a_volunteer_activity_with_two_participants_and_a_photo(phone, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    tree = make_tree()
    org = tree["branch_a1"]
    wang, li = make_person(org, name="王老师"), make_person(org, name="李老师")
    make_person(org, name="赵老师")
    make_user("svc_phone", Role.SECRETARY, org)

    login(phone, "svc_phone", PASSWORD)
    phone.goto(phone.base + "/service/")
    assert "暂无服务活动记录" in phone.inner_text("main")
    with phone.expect_navigation():
        phone.click("text=登记服务活动")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")  # the organisation picker: the only one
    phone.select_option("#id_kind", "volunteer")
    phone.fill("#id_title", "社区敬老志愿服务")
    phone.fill("#id_date", timezone.localdate().isoformat())
    phone.fill("#id_place", "城南社区敬老院")
    phone.check(f"input[name=participants][value='{wang.pk}']")
    phone.check(f"input[name=participants][value='{li.pk}']")
    phone.fill("#id_hours", "3")
    phone.fill("#id_extra_participants", "4")
    phone.set_input_files("#id_photos", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "service_activity_form_375")
    with phone.expect_navigation():
        phone.click("main button[type=submit]")
    text = phone.inner_text("main")
    assert "已登记服务活动" in text and "社区敬老志愿服务" in text
    assert "6（党员 2 + 平台外 4" in text and "王老师" in text and "李老师" in text and "现场.png" in text
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "service_activity_detail_375")
    activity = Activity.objects.get()
    assert activity.participants.count() == 2 and activity.photos.count() == 1

    phone.goto(phone.base + "/service/")
    assert "社区敬老志愿服务" in phone.inner_text("main")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "service_home_375")
    phone.goto(phone.base + "/service/summary/")
    assert "志愿服务" in phone.inner_text("main")
    shot(phone, "service_summary_375")
