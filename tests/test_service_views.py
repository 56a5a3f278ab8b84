"""Service pages: lists with filters and scope, forms, deletes, restricted hardship files, fixed query counts."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.service import services
from dangjian.service.models import Activity, CareVisit, HardshipFile
from tests.factories import make_person, make_user
from tests.test_service_records import PNG, make_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary(tree):
    return make_user("v_sec", Role.SECRETARY, tree["school_a"])


@pytest.fixture
def people(tree):
    return [make_person(tree["branch_a1"], name=n) for n in ("王一", "李二")]


def login(client, user):
    client.force_login(user)
    return client


def today():
    return timezone.localdate()


LISTS = ["service:home", "service:partnerships", "service:visits", "service:pairs", "service:care",
         "service:hardship"]


@pytest.mark.parametrize("name", LISTS)
def test_empty_lists_say_so(client, secretary, name):
    response = login(client, secretary).get(reverse(name))
    assert response.status_code == 200 and "暂无" in response.content.decode()


def test_a_branch_sees_its_own_the_district_sees_all_outside_is_404(client, tree, secretary, people):
    other = make_user("v_sec_b", Role.SECRETARY, tree["school_b"])
    own = make_activity(secretary, tree["branch_a1"], people, title="一支部活动")
    theirs = make_activity(other, tree["school_b"], [make_person(tree["school_b"])], title="城南活动")
    branch_user = make_user(role=Role.VIEWER, org=tree["branch_a1"])
    district = make_user(role=Role.VIEWER, org=tree["district"])
    page = login(client, branch_user).get(reverse("service:home")).content.decode()
    assert "一支部活动" in page and "城南活动" not in page
    assert client.get(reverse("service:activity_detail", args=[theirs.pk])).status_code == 404
    assert AuditLog.objects.filter(event="denied", object_id=str(theirs.pk)).exists()
    page = login(client, district).get(reverse("service:home")).content.decode()
    assert "一支部活动" in page and "城南活动" in page
    assert client.get(reverse("service:activity_detail", args=[own.pk])).status_code == 200


def test_filters_kind_org_date_and_search(client, tree, secretary, people):
    make_activity(secretary, tree["branch_a1"], people, title="敬老院服务", kind="volunteer")
    make_activity(secretary, tree["branch_a2"], [make_person(tree["branch_a2"])], title="参观纪念馆",
                  kind="theme_day", date=today() - timedelta(days=40))
    login(client, secretary)

    def titles(**params):
        page = client.get(reverse("service:home"), params).content.decode()
        return {t for t in ("敬老院服务", "参观纪念馆") if t in page}

    assert titles() == {"敬老院服务", "参观纪念馆"}
    assert titles(kind="theme_day") == {"参观纪念馆"}
    assert titles(org=tree["branch_a1"].pk) == {"敬老院服务"}
    assert titles(start=(today() - timedelta(days=10)).isoformat()) == {"敬老院服务"}
    assert titles(q="纪念") == {"参观纪念馆"}
    assert titles(kind="nonsense", start="garbage") == {"敬老院服务", "参观纪念馆"}


def test_secretary_records_an_activity_with_participants_and_photo(client, tree, secretary, people, settings,
                                                                   tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(client, secretary)
    assert "所属组织" in client.get(reverse("service:activity_new")).content.decode()  # the organisation first
    url = reverse("service:activity_new") + f"?org={tree['branch_a1'].pk}"
    form = client.get(url).content.decode()
    assert "王一" in form and "李二" in form
    response = client.post(url, {
        "kind": "volunteer", "title": "社区志愿服务", "date": today().isoformat(), "place": "城南社区",
        "participants": [people[0].pk, people[1].pk], "hours": "2.5", "extra_participants": "3",
        "extra_hours": "6", "photos": [SimpleUploadedFile("现场.png", PNG)]})
    activity = Activity.objects.get()
    assert response.status_code == 302 and response.url == reverse("service:activity_detail", args=[activity.pk])
    page = client.get(response.url).content.decode()
    assert "5（党员 2 + 平台外 3，系统计算）" in page and "11.0 小时（党员 5.0 + 平台外 6.0" in page
    photo = activity.photos.get()
    download = client.get(reverse("service:photo_download", args=[photo.pk]))
    assert download["Content-Disposition"].startswith("attachment") and download["X-Content-Type-Options"] == "nosniff"


def test_a_bad_form_shows_chinese_errors_and_saves_nothing(client, tree, secretary, people):
    login(client, secretary)
    url = reverse("service:activity_new") + f"?org={tree['branch_a1'].pk}"
    stranger = make_person(tree["school_b"])
    response = client.post(url, {"kind": "volunteer", "title": "活动", "date": (today() + timedelta(days=1)).isoformat(),
                                 "participants": [people[0].pk], "hours": "2", "extra_participants": "0",
                                 "extra_hours": "0", "photos": [SimpleUploadedFile("x.png", b"not an image")]})
    assert response.status_code == 400 and "只能上传 JPEG 或 PNG 图片" in response.content.decode()
    response = client.post(url, {"kind": "volunteer", "title": "活动", "date": (today() + timedelta(days=1)).isoformat(),
                                 "participants": [people[0].pk], "hours": "2", "extra_participants": "0",
                                 "extra_hours": "0"})
    assert "日期不能晚于今天" in response.content.decode()
    # A person outside the subtree is not even a choice on the form.
    response = client.post(url, {"kind": "volunteer", "title": "活动", "date": today().isoformat(),
                                 "participants": [stranger.pk], "hours": "2", "extra_participants": "0",
                                 "extra_hours": "0"})
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()
    assert not Activity.objects.exists()


def test_edit_sets_each_participants_hours_and_delete_asks_first(client, tree, secretary, people):
    activity = make_activity(secretary, tree["branch_a1"], people)
    login(client, secretary)
    edit = reverse("service:activity_edit", args=[activity.pk])
    assert "王一 服务时长" in client.get(edit).content.decode()
    response = client.post(edit, {"kind": "volunteer", "title": "改后", "date": activity.date.isoformat(),
                                  "participants": [people[0].pk, people[1].pk], "hours": "1",
                                  f"hours_{people[0].pk}": "4", f"hours_{people[1].pk}": "0.5",
                                  "extra_participants": "0", "extra_hours": "0"})
    assert response.status_code == 302
    assert {p.person.name: str(p.hours) for p in activity.participants.select_related("person")} == {
        "王一": "4.0", "李二": "0.5"}
    detail = client.get(reverse("service:activity_detail", args=[activity.pk])).content.decode()
    assert 'data-confirm="确定删除' in detail
    assert client.get(reverse("service:activity_delete", args=[activity.pk])).status_code == 405
    response = client.post(reverse("service:activity_delete", args=[activity.pk]))
    assert response.status_code == 302 and not Activity.objects.exists()


def test_care_form_refuses_negative_and_absurd_money(client, tree, secretary):
    login(client, secretary)
    url = reverse("service:care_new") + f"?org={tree['school_a'].pk}"
    base = {"date": today().isoformat(), "recipient_kind": "veteran", "recipients": "2", "matters_solved": "1",
            "goods_value": "0"}
    for money, message in (("-5", "不能为负数"), ("2000000", "不能超过")):
        response = client.post(url, base | {"money": money})
        assert response.status_code == 400 and message in response.content.decode()
    assert not CareVisit.objects.exists()
    assert client.post(url, base | {"money": "500"}).status_code == 302


# --- restricted hardship files ---------------------------------------------------------------------


@pytest.fixture
def hardship(tree, secretary):
    return services.hardship_create(actor=secretary, org=tree["branch_a1"], name="职工丙", opened_on=today(),
                                    difficulty="因病致困")


def reads():
    return AuditLog.objects.filter(event="read", object_type="service.hardshipfile")


def test_hardship_files_are_hidden_from_viewers_and_members(client, tree, hardship):
    viewer = make_user(role=Role.VIEWER, org=tree["school_a"])
    discipline = make_user(role=Role.DISCIPLINE, org=tree["school_a"])
    member = make_user(role=Role.MEMBER, org=tree["branch_a1"], person=make_person(tree["branch_a1"]))
    for user in (viewer, discipline, member):
        login(client, user)
        assert client.get(reverse("service:hardship")).status_code == 403
        assert client.get(reverse("service:hardship_detail", args=[hardship.pk])).status_code == 404
        assert "困难职工档案" not in client.get(reverse("service:home")).content.decode()
    assert not reads().exists()


def test_every_read_of_a_hardship_file_is_audited(client, tree, secretary, hardship):
    login(client, secretary)
    page = client.get(reverse("service:hardship")).content.decode()
    assert "职工丙" in page
    assert reads().get().changes["ids"] == [hardship.pk]
    assert client.get(reverse("service:hardship_detail", args=[hardship.pk])).status_code == 200
    detail = reads().order_by("-id").first()
    assert detail.object_id == str(hardship.pk) and detail.username == secretary.username
    assert reads().count() == 2


def test_district_read_roles_see_hardship_files_school_read_roles_do_not(client, tree, hardship):
    district = make_user(role=Role.DISCIPLINE, org=tree["district"])
    area = make_user(role=Role.VIEWER, org=tree["area"])
    login(client, district)
    assert client.get(reverse("service:hardship_detail", args=[hardship.pk])).status_code == 200
    page = client.get(reverse("service:hardship_detail", args=[hardship.pk])).content.decode()
    assert reverse("service:hardship_edit", args=[hardship.pk]) not in page
    assert client.get(reverse("service:hardship_edit", args=[hardship.pk])).status_code == 403
    login(client, area)
    assert client.get(reverse("service:hardship_detail", args=[hardship.pk])).status_code == 404
    assert reads().count() == 2  # the district's two reads; the area's attempt is a denied access
    assert HardshipFile.objects.count() == 1


# --- fixed query counts ---------------------------------------------------------------------------


def _grow(tree, secretary, n, start=0):
    for i in range(start, start + n):
        person = make_person(tree["branch_a1"])
        activity = make_activity(secretary, tree["branch_a1"], [person], title=f"活动{i}")
        pair = services.pair_create(actor=secretary, org=tree["branch_a1"], member=person, student_alias=f"X{i}",
                                    school_year="2025-2026", category="struggling")
        services.home_visit_create(actor=secretary, org=tree["branch_a1"], pair=pair, date=today(),
                                   category="struggling")
        services.partnership_create(actor=secretary, org=tree["branch_a1"], partner_name=f"村{i}",
                                    partner_kind="village", since=today())
        services.care_visit_create(actor=secretary, org=tree["branch_a1"], date=today(), recipient_kind="veteran",
                                   recipients=1, visitors=[person])
        services.hardship_create(actor=secretary, org=tree["branch_a1"], name=f"职工{i}", opened_on=today(),
                                 difficulty="困难")
        assert activity.pk


@pytest.mark.parametrize("name", LISTS + ["service:summary"])
def test_list_pages_take_a_fixed_number_of_queries(client, tree, secretary, name, django_assert_max_num_queries):
    login(client, secretary)
    url = reverse(name)
    _grow(tree, secretary, 2)
    client.get(url)
    limit = 16
    with django_assert_max_num_queries(limit) as small:
        assert client.get(url).status_code == 200
    _grow(tree, secretary, 12, start=2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
