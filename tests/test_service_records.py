"""Service records through their services: create, edit, delete with audit; bad input changes nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.members.models import Status
from dangjian.orgs.models import Role
from dangjian.service import services
from dangjian.service.models import (Activity, ActivityPhoto, CareVisit, HardshipFile, HomeVisit, MentorPair,
                                     Participant, Partnership)
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64


def png(name="照片.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


def today():
    return timezone.localdate()


@pytest.fixture
def secretary(tree):
    return make_user("svc_sec", Role.SECRETARY, tree["school_a"])


@pytest.fixture
def people(tree):
    return [make_person(tree["branch_a1"], name=n) for n in ("王一", "李二", "张三")]


def make_activity(actor, org, people=(), hours="2", **extra):
    fields = dict(kind="volunteer", title="志愿服务进社区", date=today() - timedelta(days=3), place="城南社区",
                  extra_participants=0, extra_hours="0") | extra
    return services.activity_create(actor=actor, org=org, participants=[{"person": p, "hours": hours} for p in people],
                                    **fields)


def audit_rows(obj_type, event):
    return AuditLog.objects.filter(object_type=obj_type, event=event)


def unchanged(model):
    """A context manager-ish check: how many rows of `model` there are now."""
    return model.objects.count()


# --- activities ----------------------------------------------------------------------------------


def test_activity_is_recorded_with_participants_photos_and_an_audit_row(tree, secretary, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    activity = services.activity_create(
        actor=secretary, org=tree["branch_a1"], kind="volunteer", title="敬老院志愿服务", date=today(),
        place="敬老院", extra_participants=5, extra_hours="10",
        participants=[{"person": people[0], "hours": "3"}, {"person": people[1], "hours": Decimal("2.5")}],
        photos=[png(), SimpleUploadedFile("b.jpg", JPEG)])
    assert activity.participants.count() == 2
    assert sorted(p.hours for p in activity.participants.all()) == [Decimal("2.5"), Decimal("3.0")]
    photos = list(activity.photos.order_by("id"))
    assert [p.content_type for p in photos] == ["image/png", "image/jpeg"]
    assert photos[0].file.name.startswith(f"service/{today():%Y/%m}/")
    row = audit_rows("service.activity", "create").get()
    assert sorted(row.changes["participants"]) == sorted(["李二：2.5小时", "王一：3.0小时"])
    assert row.changes["photos"] == 2


def test_activity_edit_replaces_participants_and_audits_the_difference(tree, secretary, people):
    activity = make_activity(secretary, tree["branch_a1"], people[:2])
    services.activity_update(actor=secretary, activity=activity, title="改名", participants=[
        {"person": people[1], "hours": "4"}, {"person": people[2], "hours": "1"}])
    activity.refresh_from_db()
    assert activity.title == "改名"
    assert dict(activity.participants.values_list("person__name", "hours")) == {"李二": Decimal("4.0"),
                                                                                "张三": Decimal("1.0")}
    change = audit_rows("service.activity", "update").get().changes
    assert change["before"]["title"] == "志愿服务进社区" and change["after"]["title"] == "改名"
    assert sorted(change["after"]["participants"]) == sorted(["李二：4.0小时", "张三：1.0小时"])


def test_activity_delete_removes_participants_and_photos_and_is_audited(tree, secretary, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    activity = make_activity(secretary, tree["branch_a1"], people)
    services.photo_add(actor=secretary, activity=activity, upload=png())
    pk = activity.pk
    services.activity_delete(actor=secretary, activity=activity)
    assert not Activity.objects.filter(pk=pk).exists() and not Participant.objects.exists()
    assert not ActivityPhoto.objects.exists()
    row = audit_rows("service.activity", "delete").get()
    assert row.object_id == str(pk) and len(row.changes["participants"]) == 3 and row.changes["photos"] == 1


@pytest.mark.parametrize("fields, field, message", [
    ({"date": date.today() + timedelta(days=400)}, "date", "日期不能晚于今天"),
    ({"extra_participants": -1}, "extra_participants", "不能为负数"),
    ({"extra_hours": "-2"}, "extra_hours", "不能为负数"),
    ({"extra_hours": "1e9"}, "extra_hours", "不能超过"),
    ({"title": "  "}, "title", "请填写活动名称"),
    ({"kind": "party"}, "kind", "请选择有效的活动类型"),
])
def test_bad_activity_fields_are_refused_in_chinese_and_nothing_is_saved(tree, secretary, people, fields, field,
                                                                         message):
    with pytest.raises(ValidationError) as exc:
        make_activity(secretary, tree["branch_a1"], people, **fields)
    assert message in exc.value.message_dict[field][0]
    assert not Activity.objects.exists() and not Participant.objects.exists() and not AuditLog.objects.filter(
        object_type="service.activity").exists()


def test_activity_dated_today_is_accepted_and_tomorrow_is_not(tree, secretary, people):
    assert make_activity(secretary, tree["branch_a1"], people, date=today()).date == today()
    with pytest.raises(ValidationError):
        make_activity(secretary, tree["branch_a1"], people, date=today() + timedelta(days=1))


def test_participant_outside_the_organisation_is_refused_by_name(tree, secretary, people):
    stranger = make_person(tree["branch_a2"], name="外支部")
    with pytest.raises(ValidationError) as exc:
        make_activity(secretary, tree["branch_a1"], [people[0], stranger])
    assert "外支部" in exc.value.message_dict["participants"][0]
    assert not Activity.objects.exists()


def test_participants_must_be_party_members(tree, secretary):
    applicant = make_person(tree["branch_a1"], name="申请人", status=Status.APPLICANT)
    with pytest.raises(ValidationError) as exc:
        make_activity(secretary, tree["branch_a1"], [applicant])
    assert "党员" in exc.value.message_dict["participants"][0]


def test_the_school_may_record_its_branches_members(tree, secretary, people):
    activity = make_activity(secretary, tree["school_a"], people)
    assert activity.participants.count() == 3


def test_negative_or_absurd_participant_hours_are_refused(tree, secretary, people):
    for hours in ("-1", "201", "abc"):
        with pytest.raises(ValidationError) as exc:
            make_activity(secretary, tree["branch_a1"], people[:1], hours=hours)
        assert "服务时长" in exc.value.message_dict["participants"][0]
    assert not Activity.objects.exists()


def test_bad_edit_changes_nothing(tree, secretary, people):
    activity = make_activity(secretary, tree["branch_a1"], people[:2])
    stranger = make_person(tree["school_b"])
    with pytest.raises(ValidationError):
        services.activity_update(actor=secretary, activity=activity, title="新名称",
                                 participants=[{"person": stranger, "hours": 1}])
    with pytest.raises(ValidationError):
        services.activity_update(actor=secretary, activity=activity, date=today() + timedelta(days=2))
    activity.refresh_from_db()
    assert activity.title == "志愿服务进社区" and activity.participants.count() == 2
    assert not audit_rows("service.activity", "update").exists()


@pytest.mark.parametrize("name, data, message", [
    ("a.png", b"<html><script>alert(1)</script>", "只能上传 JPEG 或 PNG 图片"),
    ("a.pdf", b"%PDF-1.7\n" + b"0" * 50, "只能上传 JPEG 或 PNG 图片"),
    ("big.png", PNG + b"\0" * (10 * 1024 * 1024), "文件不能超过 10 MB"),
])
def test_non_image_or_oversized_photo_is_refused_and_nothing_saved(tree, secretary, people, name, data, message,
                                                                   settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as exc:
        make_activity(secretary, tree["branch_a1"], people, photos=[png(), png(name, data)])
    assert message in exc.value.message_dict["photos"][0]
    assert not Activity.objects.exists() and not ActivityPhoto.objects.exists()
    assert not list(tmp_path.rglob("*.png"))


def test_photo_add_refuses_a_non_image_and_remove_is_audited(tree, secretary, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    activity = make_activity(secretary, tree["branch_a1"], people)
    with pytest.raises(ValidationError):
        services.photo_add(actor=secretary, activity=activity, upload=png("x.png", b"GIF89a" + b"0" * 20))
    photo = services.photo_add(actor=secretary, activity=activity, upload=png())
    services.photo_remove(actor=secretary, photo=photo)
    assert not activity.photos.exists()
    assert audit_rows("service.activityphoto", "delete").count() == 1


def test_a_viewer_or_an_outsider_cannot_record(tree, people):
    viewer = make_user(role=Role.VIEWER, org=tree["school_a"])
    outsider = make_user(role=Role.SECRETARY, org=tree["school_b"])
    for user in (viewer, outsider):
        with pytest.raises(PermissionDenied):
            make_activity(user, tree["branch_a1"], people)
    assert not Activity.objects.exists()


# --- partnerships ---------------------------------------------------------------------------------


def test_partnership_create_edit_delete_are_audited(tree, secretary):
    p = services.partnership_create(actor=secretary, org=tree["branch_a1"], partner_name="东坪村",
                                    partner_kind="village", since=date(2024, 3, 1))
    services.partnership_update(actor=secretary, partnership=p, until=date(2025, 3, 1), note="期满")
    p.refresh_from_db()
    assert p.until == date(2025, 3, 1)
    services.partnership_delete(actor=secretary, partnership=p)
    assert not Partnership.objects.exists()
    events = list(AuditLog.objects.filter(object_type="service.partnership").order_by("id").values_list("event", flat=True))
    assert events == ["create", "update", "delete"]


def test_partnership_rules(tree, secretary):
    services.partnership_create(actor=secretary, org=tree["branch_a1"], partner_name="东坪村",
                                partner_kind="village", since=date(2024, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.partnership_create(actor=secretary, org=tree["branch_a1"], partner_name="东坪村",
                                    partner_kind="village", since=date(2024, 5, 1))
    assert exc.value.code == "conflict" and "请勿重复登记" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        services.partnership_create(actor=secretary, org=tree["branch_a1"], partner_name="城南社区",
                                    partner_kind="community", since=date(2024, 3, 1), until=date(2024, 1, 1))
    assert "结束日期不能早于结对日期" in exc.value.message_dict["until"][0]
    with pytest.raises(ValidationError):
        services.partnership_create(actor=secretary, org=tree["branch_a1"], partner_name="城南社区",
                                    partner_kind="community", since=today() + timedelta(days=1))
    assert Partnership.objects.count() == 1


# --- 帮教对子 and 家访 ----------------------------------------------------------------------------


def test_pair_and_its_visits(tree, secretary, people):
    pair = services.pair_create(actor=secretary, org=tree["branch_a1"], member=people[0], student_alias="ZXY",
                                school_year="2025-2026", category="behaviour")
    visit = services.home_visit_create(actor=secretary, org=tree["branch_a1"], pair=pair, date=today(),
                                       category="behaviour", outcome="家校沟通")
    assert visit.teacher == people[0] and visit.student_alias == "ZXY"
    assert list(pair.visits.all()) == [visit]
    services.home_visit_update(actor=secretary, visit=visit, outcome="学生有进步")
    services.pair_update(actor=secretary, pair=pair, note="每周谈心")
    services.pair_delete(actor=secretary, pair=pair)
    visit.refresh_from_db()
    assert visit.pair is None
    services.home_visit_delete(actor=secretary, visit=visit)
    assert not HomeVisit.objects.exists() and not MentorPair.objects.exists()
    assert list(AuditLog.objects.filter(object_type="service.homevisit").order_by("id").values_list("event", flat=True)) == [
        "create", "update", "delete"]
    assert list(AuditLog.objects.filter(object_type="service.mentorpair").order_by("id").values_list("event", flat=True)) == [
        "create", "update", "delete"]


@pytest.mark.parametrize("alias, message", [
    ("110101200801011234", "不能填写身份证号、手机号"),
    ("13912345678", "不能填写身份证号、手机号"),
    ("电话139123456", "不能填写身份证号、手机号"),
    ("这是一个很长很长的学生名字", "不超过 10 个字"),
    ("   ", "请填写学生的化名"),
])
def test_student_alias_refuses_numbers_and_long_names(tree, secretary, people, alias, message):
    with pytest.raises(ValidationError) as exc:
        services.home_visit_create(actor=secretary, org=tree["branch_a1"], teacher=people[0], date=today(),
                                   category="struggling", student_alias=alias)
    assert message in exc.value.message_dict["student_alias"][0]
    with pytest.raises(ValidationError):
        services.pair_create(actor=secretary, org=tree["branch_a1"], member=people[0], student_alias=alias,
                             school_year="2025-2026", category="struggling")
    assert not HomeVisit.objects.exists() and not MentorPair.objects.exists()


def test_home_visit_teacher_must_be_of_the_organisation_and_date_not_future(tree, secretary, people):
    stranger = make_person(tree["school_b"])
    with pytest.raises(ValidationError) as exc:
        services.home_visit_create(actor=secretary, org=tree["branch_a1"], teacher=stranger, date=today(),
                                   category="hardship", student_alias="L.M.")
    assert "家访教师须是" in exc.value.message_dict["teacher"][0]
    with pytest.raises(ValidationError) as exc:
        services.home_visit_create(actor=secretary, org=tree["branch_a1"], teacher=people[0],
                                   date=today() + timedelta(days=1), category="hardship", student_alias="L.M.")
    assert "不能晚于今天" in exc.value.message_dict["date"][0]
    # A teacher need not be a party member.
    teacher = make_person(tree["branch_a1"], status=Status.NON_MEMBER)
    services.home_visit_create(actor=secretary, org=tree["branch_a1"], teacher=teacher, date=today(),
                               category="illness", student_alias="L.M.")


def test_pair_school_year_and_duplicate(tree, secretary, people):
    with pytest.raises(ValidationError) as exc:
        services.pair_create(actor=secretary, org=tree["branch_a1"], member=people[0], student_alias="ZXY",
                             school_year="2025-2027", category="behaviour")
    assert "学年格式" in exc.value.message_dict["school_year"][0]
    services.pair_create(actor=secretary, org=tree["branch_a1"], member=people[0], student_alias="ZXY",
                         school_year="2025-2026", category="behaviour")
    with pytest.raises(ValidationError) as exc:
        services.pair_create(actor=secretary, org=tree["branch_a1"], member=people[0], student_alias="ZXY",
                             school_year="2025-2026", category="struggling")
    assert exc.value.code == "conflict"


# --- 慰问 -----------------------------------------------------------------------------------------


def care_fields(**extra):
    return dict(date=today(), recipient_kind="veteran", recipients=3, matters_solved=2, money="600",
                goods="米、油", goods_value="150.5") | extra


def test_care_visit_create_edit_delete(tree, secretary, people):
    care = services.care_visit_create(actor=secretary, org=tree["school_a"], visitors=people[:2], **care_fields())
    assert care.money == Decimal("600.00") and care.goods_value == Decimal("150.50")
    services.care_visit_update(actor=secretary, care=care, matters_solved=5, visitors=[people[2]])
    care.refresh_from_db()
    assert care.matters_solved == 5 and [p.name for p in care.visitors.all()] == ["张三"]
    update = audit_rows("service.carevisit", "update").get().changes
    assert update["after"]["visitors"] == ["张三"] and update["after"]["matters_solved"] == 5
    services.care_visit_delete(actor=secretary, care=care)
    assert not CareVisit.objects.exists()
    assert audit_rows("service.carevisit", "delete").get().changes["visitors"] == ["张三"]


@pytest.mark.parametrize("fields, field, message", [
    ({"money": "-1"}, "money", "不能为负数"),
    ({"money": "1000000.01"}, "money", "不能超过"),
    ({"goods_value": "5000000"}, "goods_value", "不能超过"),
    ({"recipients": 0}, "recipients", "不能小于 1"),
    ({"matters_solved": -3}, "matters_solved", "不能为负数"),
    ({"date": date.today() + timedelta(days=30)}, "date", "不能晚于今天"),
    ({"goods": ""}, "goods", "请注明慰问物品"),
])
def test_bad_care_visit_is_refused(tree, secretary, fields, field, message):
    with pytest.raises(ValidationError) as exc:
        services.care_visit_create(actor=secretary, org=tree["school_a"], **care_fields(**fields))
    assert message in exc.value.message_dict[field][0]
    assert not CareVisit.objects.exists()


def test_care_money_of_exactly_one_million_is_accepted(tree, secretary):
    care = services.care_visit_create(actor=secretary, org=tree["school_a"], **care_fields(money="1000000"))
    assert care.money == Decimal("1000000.00")


def test_care_visitor_outside_is_refused(tree, secretary):
    with pytest.raises(ValidationError) as exc:
        services.care_visit_create(actor=secretary, org=tree["branch_a1"], visitors=[make_person(tree["school_b"])],
                                   **care_fields())
    assert "走访人员须是" in exc.value.message_dict["visitors"][0]
    assert not CareVisit.objects.exists()


# --- 困难职工档案 -----------------------------------------------------------------------------------


def test_hardship_file_create_edit_delete(tree, secretary):
    staff = make_person(tree["branch_a1"], status=Status.NON_MEMBER, name="职工")
    f = services.hardship_create(actor=secretary, org=tree["school_a"], name="职工", person=staff,
                                 opened_on=today(), difficulty="因病致困", family="配偶重病")
    services.hardship_update(actor=secretary, file=f, assistance="春节慰问 500 元")
    services.hardship_delete(actor=secretary, file=f)
    assert not HardshipFile.objects.exists()
    assert list(AuditLog.objects.filter(object_type="service.hardshipfile").order_by("id").values_list("event", flat=True)) == [
        "create", "update", "delete"]
    with pytest.raises(ValidationError) as exc:
        services.hardship_create(actor=secretary, org=tree["school_a"], name="", opened_on=today(),
                                 difficulty="", closed_on=today() - timedelta(days=5))
    assert set(exc.value.message_dict) == {"name", "difficulty", "closed_on"}
