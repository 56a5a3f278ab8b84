"""Vanguard records through the services: create, edit, delete with audit; bad input changes nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.members.models import Status
from dangjian.orgs.models import Role
from dangjian.vanguard import services
from dangjian.vanguard.models import Article, DutyPost, Honour, Lesson, LessonReview, MentorPair
from dangjian.vanguard.services import school_year_error, school_year_of
from tests.factories import make_person, make_user
from tests.test_vanguard_factories import KINDS, PNG, sample

pytestmark = pytest.mark.django_db
MODELS = {"pairs": MentorPair, "posts": DutyPost, "lessons": Lesson, "reviews": LessonReview, "articles": Article,
          "honours": Honour}
EDITS = {
    "pairs": ("mentor_pair_update", "pair", {"outcome": "徒弟获区优质课一等奖"}),
    "posts": ("duty_post_update", "post", {"time_slot": "周五 16:30-17:00"}),
    "lessons": ("lesson_update", "lesson", {"result": "一等奖"}),
    "reviews": ("lesson_review_update", "review", {"role": "evaluate"}),
    "articles": ("article_update", "article", {"title": "送教下乡（续）"}),
    "honours": ("honour_update", "honour", {"issuer": "市教育局"}),
}
DELETES = {"pairs": "mentor_pair_delete", "posts": "duty_post_delete", "lessons": "lesson_delete",
           "reviews": "lesson_review_delete", "articles": "article_delete", "honours": "honour_delete"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def sec(tree):
    return make_user("vg_sec", Role.SECRETARY, tree["branch_a1"])


def audit_rows(obj, event):
    return AuditLog.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk), event=event)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_created_edited_and_deleted_with_audit(tree, sec, kind):
    obj = sample(kind, sec, tree["branch_a1"])
    assert audit_rows(obj, "create").count() == 1
    name, keyword, changes = EDITS[kind]
    getattr(services, name)(actor=sec, **{keyword: obj}, **changes)
    obj.refresh_from_db()
    field, value = next(iter(changes.items()))
    assert getattr(obj, field) == value
    row = audit_rows(obj, "update").get()
    assert row.changes["after"] == {field: value}
    pk = obj.pk
    getattr(services, DELETES[kind])(actor=sec, **{keyword: obj})
    assert not MODELS[kind].objects.filter(pk=pk).exists()
    deleted = AuditLog.objects.get(object_type=obj._meta.label_lower, object_id=str(pk), event="delete")
    assert deleted.changes["org"].startswith(tree["branch_a1"].name)


@pytest.mark.parametrize("kind", KINDS)
def test_a_viewer_or_a_secretary_elsewhere_cannot_write(tree, sec, kind):
    viewer = make_user(role=Role.VIEWER, org=tree["district"])
    other = make_user(role=Role.SECRETARY, org=tree["school_b"])
    for actor in (viewer, other):
        with pytest.raises(PermissionDenied):
            sample(kind, actor, tree["branch_a1"])
    assert not MODELS[kind].objects.exists()


def _refused(what, sec, org, match, **overrides):
    before = AuditLog.objects.count()
    with pytest.raises(ValidationError, match=match):
        sample(what, sec, org, **overrides)
    assert not MODELS[what].objects.exists()
    assert AuditLog.objects.count() == before


@pytest.mark.parametrize("kind,field", [("lessons", "date"), ("reviews", "date"), ("articles", "date"),
                                        ("honours", "date"), ("posts", "starts_on")])
def test_a_record_dated_in_the_future_is_refused_and_today_is_accepted(tree, sec, kind, field):
    today = timezone.localdate()
    _refused(kind, sec, tree["branch_a1"], "不能晚于今天", **{field: today + timedelta(days=1)})
    assert sample(kind, sec, tree["branch_a1"], **{field: today})


@pytest.mark.parametrize("kind,field", [("pairs", "mentor"), ("posts", "member"), ("lessons", "teacher"),
                                        ("reviews", "person"), ("honours", "person")])
def test_a_person_outside_the_organisation_is_refused(tree, sec, kind, field):
    outsider = make_person(tree["branch_a2"], name="邻支部党员")
    _refused(kind, sec, tree["branch_a1"], "邻支部党员不在实验中学第一党支部及其下级组织中", **{field: outsider})


def test_a_person_of_a_sub_organisation_is_accepted(tree, sec):
    in_group = make_person(tree["group_a1"])
    assert sample("lessons", sec, tree["branch_a1"], teacher=in_group).teacher == in_group


def test_an_article_author_outside_the_organisation_is_refused_and_one_author_is_needed(tree, sec):
    outsider = make_person(tree["school_b"], name="外校作者")
    _refused("articles", sec, tree["branch_a1"], "外校作者不在", authors=[outsider])
    _refused("articles", sec, tree["branch_a1"], "请至少填写一名作者", authors=[], author_names="  ")
    article = sample("articles", sec, tree["branch_a1"], authors=[], author_names="张三，李四 王五")
    assert article.author_names == "张三、李四、王五"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.cn/a", "example.cn/a", "http://"])
def test_an_article_url_must_be_http_or_https(tree, sec, url):
    _refused("articles", sec, tree["branch_a1"], "链接须为以 http:// 或 https:// 开头的网址", url=url)


def test_an_article_url_may_be_https(tree, sec):
    assert sample("articles", sec, tree["branch_a1"], url="https://mp.weixin.qq.com/s/abc").url.startswith("https")


@pytest.mark.parametrize("value,message", [("2025", "学年格式"), ("2025-2027", "相邻"), ("2025/2026", "学年格式"),
                                           ("1999-2000", "学年应在"), ("", "学年格式")])
def test_a_bad_school_year_is_refused(tree, sec, value, message):
    _refused("pairs", sec, tree["branch_a1"], message, school_year=value)


def test_school_years_run_from_september(tree):
    from datetime import date

    assert school_year_of(date(2025, 8, 31)) == "2024-2025"
    assert school_year_of(date(2025, 9, 1)) == "2025-2026"
    this = school_year_of(timezone.localdate())
    start = int(this[:4])
    assert school_year_error(f"{start + 1}-{start + 2}") is None      # next year's pairs, made in summer
    assert "学年应在" in school_year_error(f"{start + 2}-{start + 3}")


def test_the_same_pair_twice_in_a_school_year_is_a_conflict(tree, sec):
    mentor = make_person(tree["branch_a1"], name="王师傅")
    sample("pairs", sec, tree["branch_a1"], mentor, apprentice_name="小李")
    with pytest.raises(ValidationError) as caught:
        sample("pairs", sec, tree["branch_a1"], mentor, apprentice_name="小李")
    assert caught.value.error_dict["apprentice_name"][0].code == "conflict"
    assert "已登记王师傅与小李的师徒结对" in caught.value.messages[0]
    assert MentorPair.objects.count() == 1
    # The same mentor with a second apprentice, or the same pair another year: fine.
    sample("pairs", sec, tree["branch_a1"], mentor, apprentice_name="小张")
    sample("pairs", sec, tree["branch_a1"], mentor, apprentice_name="小李", school_year="2020-2021")
    assert MentorPair.objects.filter(mentor=mentor).count() == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        MentorPair.objects.create(org=tree["branch_a1"], mentor=mentor, apprentice_name="小李",
                                  school_year="2020-2021")


def test_an_apprentice_with_a_record_takes_the_name_of_the_record(tree, sec):
    young = make_person(tree["branch_a1"], name="青年教师甲", status=Status.NON_MEMBER)
    pair = sample("pairs", sec, tree["branch_a1"], apprentice=young, apprentice_name="")
    assert pair.apprentice_name == "青年教师甲"
    with pytest.raises(ValidationError, match="不能是同一人"):
        services.mentor_pair_update(actor=sec, pair=pair, apprentice=pair.mentor)


def test_editing_a_pair_into_an_existing_pair_is_a_conflict_and_changes_nothing(tree, sec):
    mentor = make_person(tree["branch_a1"])
    sample("pairs", sec, tree["branch_a1"], mentor, apprentice_name="小李")
    second = sample("pairs", sec, tree["branch_a1"], mentor, apprentice_name="小张")
    with pytest.raises(ValidationError, match="已登记"):
        services.mentor_pair_update(actor=sec, pair=second, apprentice_name="小李")
    second.refresh_from_db()
    assert second.apprentice_name == "小张"


def test_a_post_cannot_end_before_it_starts(tree, sec):
    today = timezone.localdate()
    _refused("posts", sec, tree["branch_a1"], "结束日期不能早于开始日期", starts_on=today,
             ends_on=today - timedelta(days=1))


def test_an_honour_needs_exactly_one_recipient(tree, sec):
    _refused("honours", sec, tree["branch_a1"], "二者选其一", recipient_org=tree["branch_a1"])
    _refused("honours", sec, tree["branch_a1"], "二者选其一", person=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Honour.objects.create(org=tree["branch_a1"], title="x", kind="other", level="school",
                              date=timezone.localdate(), issuer="x")


def test_organisation_honours_go_to_organisations_of_the_subtree(tree, sec):
    _refused("honours", sec, tree["branch_a1"], "只授予组织", kind="advanced_org")
    _refused("honours", sec, tree["branch_a1"], "不是实验中学第一党支部或其下级组织", person=None,
             kind="advanced_org", recipient_org=tree["branch_a2"])
    _refused("honours", sec, tree["branch_a1"], "只授予个人", person=None, recipient_org=tree["branch_a1"])
    honour = sample("honours", sec, tree["branch_a1"], person=None, kind="brand", title="“红烛先锋”党建品牌",
                    recipient_org=tree["group_a1"])
    assert honour.recipient_name == tree["group_a1"].name


def test_a_star_teacher_needs_a_month_not_in_the_future(tree, sec):
    today = timezone.localdate()
    _refused("honours", sec, tree["branch_a1"], "请填写评选月份", kind="star_teacher")
    _refused("honours", sec, tree["branch_a1"], "格式应为 YYYY-MM", kind="star_teacher", month="2025-13")
    nxt = (today.replace(day=28) + timedelta(days=5))
    _refused("honours", sec, tree["branch_a1"], "不能晚于本月", kind="star_teacher", month=f"{nxt:%Y-%m}")
    honour = sample("honours", sec, tree["branch_a1"], kind="star_teacher", month=f"{today:%Y-%m}")
    assert honour.month == today.replace(day=1)
    other = sample("honours", sec, tree["branch_a1"], month=f"{today:%Y-%m}")
    assert other.month is None     # only 明星教师 carries a month


def test_a_certificate_is_stored_under_a_random_name_and_replaced_or_removed(tree, sec):
    honour = sample("honours", sec, tree["branch_a1"], certificate=SimpleUploadedFile("证书.png", PNG))
    assert honour.certificate_name == "证书.png" and honour.certificate_type == "image/png"
    assert honour.certificate.name.startswith("vanguard/") and "证书" not in honour.certificate.name
    pdf = SimpleUploadedFile("扫描件.pdf", b"%PDF-1.4\n" + b"0" * 20)
    services.honour_update(actor=sec, honour=honour, certificate=pdf)
    assert honour.certificate_type == "application/pdf"
    services.honour_update(actor=sec, honour=honour, remove_certificate=True)
    honour.refresh_from_db()
    assert not honour.certificate and honour.certificate_name == ""


@pytest.mark.parametrize("upload,message", [
    (SimpleUploadedFile("a.png", b"GIF89a" + b"0" * 20), "只能上传 JPEG、PNG 图片或 PDF 文件"),
    (SimpleUploadedFile("a.exe", b"MZ" + b"0" * 20), "只能上传"),
    (SimpleUploadedFile("big.png", PNG + b"0" * (10 * 1024 * 1024)), "文件不能超过 10 MB"),
])
def test_a_bad_certificate_is_refused_and_nothing_is_written(tree, sec, upload, message):
    _refused("honours", sec, tree["branch_a1"], message, certificate=upload)


def test_a_review_may_name_a_recorded_lesson_the_actor_can_read(tree, sec):
    lesson = sample("lessons", sec, tree["branch_a1"], title="认识钟表")
    review = sample("reviews", sec, tree["branch_a1"], lesson=lesson, lesson_title="")
    assert review.lesson_title == "认识钟表"
    other = make_user(role=Role.SECRETARY, org=tree["school_b"])
    foreign = sample("lessons", other, tree["school_b"])
    count_before = LessonReview.objects.count()
    with pytest.raises(ValidationError, match="所选课例不存在或无权访问"):
        sample("reviews", sec, tree["branch_a1"], lesson=foreign)
    assert LessonReview.objects.count() == count_before


def test_bad_choices_and_missing_text_are_refused(tree, sec):
    _refused("lessons", sec, tree["branch_a1"], "请选择有效的课型", kind="lecture")
    _refused("lessons", sec, tree["branch_a1"], "请选择有效的级别", level="province_x")
    _refused("lessons", sec, tree["branch_a1"], "请填写课题", title="   ")
    _refused("posts", sec, tree["branch_a1"], "请选择有效的岗位类型", kind="guard")
    _refused("articles", sec, tree["branch_a1"], "请选择有效的发表平台", platform="weibo")
    _refused("honours", sec, tree["branch_a1"], "请填写授予单位", issuer="")
    _refused("lessons", sec, tree["branch_a1"], "不能超过200个字符", title="长" * 201)


def test_a_dissolved_organisation_takes_no_new_records(tree):
    school_sec = make_user(role=Role.SECRETARY, org=tree["school_a"])
    org = tree["branch_a1"]
    org.dissolved_on = timezone.localdate()
    org.save()
    _refused("lessons", school_sec, org, "已撤销")


def test_an_edit_that_breaks_a_rule_changes_nothing(tree, sec):
    lesson = sample("lessons", sec, tree["branch_a1"], title="原课题")
    before = AuditLog.objects.count()
    with pytest.raises(ValidationError):
        services.lesson_update(actor=sec, lesson=lesson, title="新课题", date=timezone.localdate() + timedelta(days=3))
    lesson.refresh_from_db()
    assert lesson.title == "原课题" and AuditLog.objects.count() == before
