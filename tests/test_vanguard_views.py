"""Vanguard pages: scope of the lists, forms, delete, certificate download, filters, query counts; and the API."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.vanguard.models import Honour, Lesson, MentorPair
from tests.factories import make_person, make_user
from tests.test_api_permissions import call, token_for
from tests.test_vanguard_factories import KINDS, PNG, sample

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def records(tree):
    """One lesson in each of branch_a1, branch_a2 and school_b."""
    writer = make_user(role=Role.SECRETARY, org=tree["district"])
    return {name: sample("lessons", writer, tree[name], title=f"课例{name}")
            for name in ("branch_a1", "branch_a2", "school_b")}


def login(client, role, org):
    user = make_user(role=role, org=org)
    client.force_login(user)
    return user


def titles(response):
    return {r.title for r in response.context["page"]}


def test_a_branch_sees_its_own_records_and_the_district_sees_all(client, tree, records):
    login(client, Role.SECRETARY, tree["branch_a1"])
    assert titles(client.get(reverse("vanguard:lessons"))) == {"课例branch_a1"}
    client.force_login(make_user(role=Role.VIEWER, org=tree["district"]))
    assert titles(client.get(reverse("vanguard:lessons"))) == {"课例branch_a1", "课例branch_a2", "课例school_b"}


def test_a_record_outside_the_scope_answers_404_and_is_audited(client, tree, records):
    login(client, Role.SECRETARY, tree["branch_a1"])
    other = records["school_b"]
    assert client.get(reverse("vanguard:lessons_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("vanguard:lessons_delete", args=[other.pk])).status_code == 404
    assert Lesson.objects.filter(pk=other.pk).exists()
    assert AuditLog.objects.filter(event="denied", object_type="vanguard.lesson", object_id=str(other.pk)).count() == 2


def test_a_secretary_records_a_lesson_through_the_form(client, tree):
    login(client, Role.SECRETARY, tree["branch_a1"])
    teacher = make_person(tree["branch_a1"], name="刘老师")
    url = reverse("vanguard:lessons_new") + f"?org={tree['branch_a1'].pk}"
    page = client.get(url)
    assert page.status_code == 200 and "刘老师" in page.content.decode()
    data = {"teacher": teacher.pk, "date": timezone.localdate().isoformat(), "title": "小数的加法",
            "kind": "demo", "level": "school"}
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == reverse("vanguard:lessons")
    lesson = Lesson.objects.get(title="小数的加法")
    assert lesson.org == tree["branch_a1"] and lesson.teacher == teacher
    assert AuditLog.objects.filter(event="create", object_type="vanguard.lesson", object_id=str(lesson.pk)).exists()


def test_bad_input_on_a_form_shows_a_chinese_message_and_changes_nothing(client, tree):
    login(client, Role.SECRETARY, tree["branch_a1"])
    teacher = make_person(tree["branch_a1"])
    url = reverse("vanguard:lessons_new") + f"?org={tree['branch_a1'].pk}"
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(url, {"teacher": teacher.pk, "date": future, "title": "x", "kind": "demo",
                                 "level": "school"})
    assert response.status_code == 400 and "日期不能晚于今天" in response.content.decode()
    assert not Lesson.objects.exists()


def test_the_organisation_picker_lists_only_writable_organisations(client, tree):
    login(client, Role.SECRETARY, tree["branch_a1"])
    page = client.get(reverse("vanguard:honours_new"))
    assert [o.pk for o in page.context["orgs"]] == [tree["branch_a1"].pk, tree["group_a1"].pk]
    wrong = client.get(reverse("vanguard:honours_new") + f"?org={tree['school_b'].pk}")
    assert "所选组织不存在或您无权在该组织登记" in wrong.content.decode()


def test_an_honour_with_a_certificate_is_recorded_and_downloaded_as_an_attachment(client, tree):
    login(client, Role.SECRETARY, tree["branch_a1"])
    person = make_person(tree["branch_a1"], name="赵老师")
    url = reverse("vanguard:honours_new") + f"?org={tree['branch_a1'].pk}"
    data = {"title": "区优秀共产党员", "kind": "excellent_member", "level": "district",
            "date": timezone.localdate().isoformat(), "issuer": "区教育工委", "person": person.pk,
            "certificate": SimpleUploadedFile("证书.png", PNG)}
    assert client.post(url, data).status_code == 302
    honour = Honour.objects.get()
    response = client.get(reverse("vanguard:honour_certificate", args=[honour.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PNG
    bad = dict(data, certificate=SimpleUploadedFile("x.png", b"<svg onload=alert(1)>"))
    response = client.post(url, bad)
    assert response.status_code == 400 and "只能上传 JPEG、PNG 图片或 PDF 文件" in response.content.decode()
    assert Honour.objects.count() == 1


def test_editing_keeps_the_organisation_and_delete_is_confirmed_and_audited(client, tree):
    user = login(client, Role.SECRETARY, tree["branch_a1"])
    pair = sample("pairs", user, tree["branch_a1"], apprentice_name="小王")
    page = client.get(reverse("vanguard:pairs"))
    assert 'data-confirm="确定删除这条师徒结对记录？"' in page.content.decode()
    data = {"school_year": pair.school_year, "mentor": pair.mentor_id, "apprentice_name": "小王",
            "subject": "数学", "goals": "", "outcome": "徒弟获校级评优课一等奖"}
    assert client.post(reverse("vanguard:pairs_edit", args=[pair.pk]), data).status_code == 302
    pair.refresh_from_db()
    assert pair.subject == "数学" and pair.outcome.startswith("徒弟")
    assert client.post(reverse("vanguard:pairs_delete", args=[pair.pk])).status_code == 302
    assert not MentorPair.objects.exists()


def test_a_viewer_sees_no_write_buttons_and_cannot_edit(client, tree, records):
    login(client, Role.VIEWER, tree["school_a"])
    page = client.get(reverse("vanguard:lessons")).content.decode()
    assert "登记示范课" not in page and "data-confirm" not in page
    assert client.get(reverse("vanguard:lessons_edit", args=[records["branch_a1"].pk])).status_code == 403


def test_filters_search_and_empty_state(client, tree):
    user = login(client, Role.SECRETARY, tree["school_a"])
    today = timezone.localdate()
    sample("lessons", user, tree["branch_a1"], title="圆的面积", kind="contest", level="city", date=today)
    sample("lessons", user, tree["branch_a2"], title="背影", kind="demo", level="school",
           date=today - timedelta(days=100))
    url = reverse("vanguard:lessons")
    assert titles(client.get(url, {"q": "圆"})) == {"圆的面积"}
    assert titles(client.get(url, {"kind": "demo"})) == {"背影"}
    assert titles(client.get(url, {"level": "city", "org": tree["branch_a1"].pk})) == {"圆的面积"}
    assert titles(client.get(url, {"start": (today - timedelta(days=10)).isoformat()})) == {"圆的面积"}
    assert titles(client.get(url, {"kind": "bogus", "start": "not-a-date"})) == {"圆的面积", "背影"}
    empty = client.get(url, {"org": tree["branch_a2"].pk, "kind": "contest"}).content.decode()
    assert "暂无示范课、观摩课、评优课、公开课记录。" in empty


def test_posts_are_current_or_ended(client, tree):
    user = login(client, Role.SECRETARY, tree["branch_a1"])
    today = timezone.localdate()
    sample("posts", user, tree["branch_a1"], name="在岗", starts_on=today - timedelta(days=10))
    sample("posts", user, tree["branch_a1"], name="已结束", starts_on=today - timedelta(days=10),
           ends_on=today - timedelta(days=1))
    names = lambda r: {p.name for p in r.context["page"]}  # noqa: E731
    assert names(client.get(reverse("vanguard:posts"), {"state": "current"})) == {"在岗"}
    assert names(client.get(reverse("vanguard:posts"), {"state": "ended"})) == {"已结束"}


def test_the_overview_shows_the_summary_of_the_chosen_organisation(client, tree):
    user = login(client, Role.SECRETARY, tree["school_a"])
    sample("lessons", user, tree["branch_a1"])
    sample("reviews", user, tree["branch_a2"])
    page = client.get(reverse("vanguard:home"))
    assert page.context["org"] == tree["school_a"]
    sections = {title: total for title, total, _, _ in page.context["sections"]}
    assert sections["示范课、观摩课、评优课、公开课"] == 1 and sections["听课评课"] == 1
    narrower = client.get(reverse("vanguard:home"), {"org": tree["branch_a1"].pk, "year": "abc"})
    assert {t: n for t, n, _, _ in narrower.context["sections"]}["听课评课"] == 0


@pytest.mark.parametrize("kind", KINDS + ["home"])
def test_list_pages_issue_a_fixed_number_of_queries(client, tree, kind, django_assert_max_num_queries):
    user = login(client, Role.SECRETARY, tree["district"])
    url = reverse(f"vanguard:{kind}")

    def add(n):
        for _ in range(n):
            for what in KINDS:
                sample(what, user, tree["branch_a1"])

    add(1)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    add(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


# --- the API -------------------------------------------------------------------------------------


def test_api_creates_reads_and_refuses_a_duplicate_pair_with_409(client, tree):
    user = make_user(role=Role.SECRETARY, org=tree["school_a"])
    token = token_for(user)
    mentor = make_person(tree["branch_a1"])
    body = {"org": tree["branch_a1"].pk, "mentor": mentor.pk, "apprentice_name": "小周", "school_year": "2024-2025"}
    created = call(client, "post", "/vanguard/pairs", token, body=body)
    assert created.status_code == 201 and created.json()["apprentice_name"] == "小周"
    again = call(client, "post", "/vanguard/pairs", token, body=body)
    assert again.status_code == 409 and "已登记" in again.json()["errors"]["apprentice_name"][0]
    listed = call(client, "get", "/vanguard/pairs", token, params={"school_year": "2024-2025"}).json()
    assert listed["count"] == 1


def test_api_refuses_bad_input_with_chinese_field_errors(client, tree):
    user = make_user(role=Role.SECRETARY, org=tree["branch_a1"])
    token = token_for(user)
    person = make_person(tree["branch_a1"])
    base = {"org": tree["branch_a1"].pk, "title": "稿件", "date": timezone.localdate().isoformat(),
            "platform": "xuexi", "level": "province", "authors": [person.pk]}
    bad = call(client, "post", "/vanguard/articles", token, body=dict(base, url="javascript:alert(1)"))
    assert bad.status_code == 422 and "http://" in bad.json()["errors"]["url"][0]
    outsider = make_person(tree["school_b"])
    hidden = call(client, "post", "/vanguard/articles", token, body=dict(base, authors=[outsider.pk]))
    assert hidden.status_code == 422 and hidden.json()["errors"]["authors"] == ["不存在或无权访问。"]
    honour = {"org": tree["branch_a1"].pk, "title": "x", "kind": "other", "level": "school", "issuer": "x",
              "date": timezone.localdate().isoformat(), "person": person.pk, "recipient_org": tree["branch_a1"].pk}
    both = call(client, "post", "/vanguard/honours", token, body=honour)
    assert both.status_code == 422 and "二者选其一" in json.dumps(both.json(), ensure_ascii=False)
    ok = call(client, "post", "/vanguard/articles", token, body=dict(base, url="https://www.xuexi.cn/a.html"))
    assert ok.status_code == 201 and ok.json()["authors"] == [{"id": person.pk, "name": person.name}]
    patched = call(client, "patch", f"/vanguard/articles/{ok.json()['id']}", token, body={"title": None})
    assert patched.status_code == 422 and patched.json()["errors"]["title"] == ["请填写标题。"]


def test_api_summary_counts_the_subtree(client, tree):
    user = make_user(role=Role.VIEWER, org=tree["school_a"])
    writer = make_user(role=Role.SECRETARY, org=tree["district"])
    sample("lessons", writer, tree["branch_a1"], level="national")
    sample("lessons", writer, tree["school_b"])
    today = timezone.localdate().isoformat()
    answer = call(client, "get", "/vanguard/summary", token_for(user),
                  params={"org": tree["school_a"].pk, "start": "2000-01-01", "end": today}).json()
    assert answer["lessons"]["total"] == 1 and answer["lessons"]["by_level"]["national"] == 1
    assert answer["org"] == {"id": tree["school_a"].pk, "name": tree["school_a"].name}
