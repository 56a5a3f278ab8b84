"""Writes of the vanguard app: mentor pairs, duty posts, lessons, lesson reviews, articles, honours.

Each record kind has `<kind>_create(*, actor, org, **fields)`, `<kind>_update(*, actor, <kind>, **changes)` and
`<kind>_delete(*, actor, <kind>)`. Every function checks the write right on the record's organisation, validates
everything (ValidationError with Chinese messages, nothing changed), and writes its audit row in the same
transaction. People named on a record must belong to the record's organisation or its subtree.
"""

import re
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.utils import timezone

from dangjian.core import audit, scoping, uploads
from .models import Article, DutyPost, Honour, Lesson, LessonReview, Level, MentorPair

SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
NAME_SPLIT = re.compile(r"[、,，;；\s]+")

# Honour kinds that only an organisation / only a person can receive ("其他": either).
ORG_HONOURS = {Honour.Kind.ADVANCED_ORG, Honour.Kind.BRAND, Honour.Kind.DEMO_SITE}
PERSON_HONOURS = {Honour.Kind.EXCELLENT_MEMBER, Honour.Kind.PARTY_WORKER, Honour.Kind.QUALITY_LESSON,
                  Honour.Kind.FAMOUS_TEACHER, Honour.Kind.FAMOUS_HEAD_TEACHER, Honour.Kind.STAR_TEACHER}

PAIR_FIELDS = ["mentor", "apprentice", "apprentice_name", "subject", "school_year", "goals", "outcome"]
POST_FIELDS = ["kind", "name", "place", "time_slot", "member", "starts_on", "ends_on"]
LESSON_FIELDS = ["teacher", "date", "title", "subject", "kind", "level", "result"]
REVIEW_FIELDS = ["person", "date", "role", "lesson", "lesson_title"]
ARTICLE_FIELDS = ["title", "date", "platform", "level", "url", "authors", "author_names"]
HONOUR_FIELDS = ["title", "kind", "level", "date", "month", "issuer", "person", "recipient_org"]


# --- school years ----------------------------------------------------------------------------


def school_year_of(d):
    """The school year (学年, September to August) containing date d, as "2025-2026"."""
    start = d.year if d.month >= 9 else d.year - 1
    return f"{start}-{start + 1}"


def school_year_error(value):
    """None if `value` is a school year like "2025-2026" not later than next year's, else a Chinese message."""
    match = SCHOOL_YEAR.match(str(value or "").strip())
    if not match:
        return "学年格式应为“2025-2026”。"
    first, second = int(match.group(1)), int(match.group(2))
    if second != first + 1:
        return "学年的两个年份应相邻，如“2025-2026”。"
    latest = int(school_year_of(timezone.localdate())[:4]) + 1
    if not 2000 <= first <= latest:
        return f"学年应在 2000-2001 至 {latest}-{latest + 1} 之间。"
    return None


def split_names(text):
    return [name for name in NAME_SPLIT.split(text or "") if name]


# --- shared checks ---------------------------------------------------------------------------


class Checker:
    """Collects field errors; raises them all at once."""

    def __init__(self, org, data):
        self.org, self.data, self.errors = org, data, {}
        self.today = timezone.localdate()

    def add(self, field, message):
        self.errors.setdefault(field, message)

    def text(self, field, required=False, label="此项"):
        value = self.data.get(field)
        value = "" if value is None else str(value).strip()
        self.data[field] = value
        if required and not value:
            self.add(field, f"请填写{label}。")

    def choice(self, field, choices, label):
        if self.data.get(field) not in choices.values:
            self.add(field, f"请选择有效的{label}。")

    def past_date(self, field, required=True, label="日期"):
        value = self.data.get(field)
        if value is None:
            if required:
                self.add(field, f"请填写{label}。")
        elif not isinstance(value, date):
            self.add(field, f"{label}格式不正确。")
        elif value > self.today:
            self.add(field, f"{label}不能晚于今天（{self.today:%Y-%m-%d}）。")

    def person(self, field, required=True, label="人员"):
        person = self.data.get(field)
        if person is None:
            if required:
                self.add(field, f"请选择{label}。")
        elif not person.org.path.startswith(self.org.path):
            self.add(field, f"{person.name}不在{self.org.name}及其下级组织中，不能登记。")

    def lengths(self, model):
        for field in model._meta.get_fields():
            limit = getattr(field, "max_length", None)
            value = self.data.get(field.name)
            if limit and isinstance(value, str) and len(value) > limit:
                self.add(field.name, f"不能超过{limit}个字符。")

    def done(self, model):
        self.lengths(model)
        if self.errors:
            raise ValidationError(self.errors)
        return self.data


def _require_write(actor, org):
    if not scoping.can_write(actor, org):
        raise PermissionDenied("您没有在该组织登记此类记录的权限")
    if org.dissolved_on is not None:
        raise ValidationError({"org": f"{org.name}已撤销，不能再登记记录。"})


def _value(value):
    if isinstance(value, models.Model):
        return f"{value}#{value.pk}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    return value


def snapshot(obj, fields):
    out = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(obj._meta.get_field(name), models.ManyToManyField):
            value = sorted(value.all(), key=lambda p: p.pk) if obj.pk else []
        out[name] = _value(value)
    if isinstance(obj, Honour):
        out["certificate"] = obj.certificate_name
    return {"org": _value(obj.org), **out}


def _check_keys(changes, fields):
    unknown = set(changes) - set(fields)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


@transaction.atomic
def _create(model, fields, clean, *, actor, org, data, before_save=None):
    _check_keys(data, fields)
    _require_write(actor, org)
    data = clean(org, {f: data.get(f) for f in fields}, None)
    many = {f: data.pop(f) for f in list(data) if isinstance(model._meta.get_field(f), models.ManyToManyField)}
    obj = model(org=org, created_by=actor if getattr(actor, "is_authenticated", False) else None, **data)
    if before_save:
        before_save(obj)
    obj.save()
    for name, values in many.items():
        getattr(obj, name).set(values)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=obj, changes=snapshot(obj, fields))
    return obj


@transaction.atomic
def _update(obj, fields, clean, *, actor, changes, before_save=None):
    _check_keys(changes, fields)
    _require_write(actor, obj.org)
    before = snapshot(obj, fields)
    current = {}
    for name in fields:
        field = obj._meta.get_field(name)
        current[name] = list(getattr(obj, name).all()) if isinstance(field, models.ManyToManyField) else getattr(
            obj, name)
    data = clean(obj.org, current | changes, obj)
    many = {f: data.pop(f) for f in list(data) if isinstance(obj._meta.get_field(f), models.ManyToManyField)}
    for name, value in data.items():
        setattr(obj, name, value)
    if before_save:
        before_save(obj)
    obj.save()
    for name, values in many.items():
        getattr(obj, name).set(values)
    after = snapshot(obj, fields)
    if after != before:
        audit.record(actor=actor, event=audit.Event.UPDATE, obj=obj, changes=audit.diff(before, after))
    return obj


@transaction.atomic
def _delete(obj, fields, *, actor):
    _require_write(actor, obj.org)
    changes = snapshot(obj, fields)
    audit.record(actor=actor, event=audit.Event.DELETE, obj=obj, changes=changes)
    obj.delete()


# --- mentor pairs ----------------------------------------------------------------------------


def _clean_pair(org, data, instance):
    check = Checker(org, data)
    check.person("mentor", label="师傅")
    check.person("apprentice", required=False, label="徒弟")
    if data.get("apprentice") is not None:
        data["apprentice_name"] = data["apprentice"].name
    check.text("apprentice_name", required=True, label="徒弟姓名")
    for name in ("subject", "goals", "outcome"):
        check.text(name)
    check.text("school_year")
    error = school_year_error(data["school_year"])
    if error:
        check.add("school_year", error)
    mentor, apprentice = data.get("mentor"), data.get("apprentice")
    if mentor is not None and apprentice is not None and mentor.pk == apprentice.pk:
        check.add("apprentice", "师傅和徒弟不能是同一人。")
    check.done(MentorPair)
    clash = MentorPair.objects.filter(school_year=data["school_year"], mentor=mentor,
                                      apprentice_name=data["apprentice_name"])
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationError({"apprentice_name": ValidationError(
            f"{data['school_year']}学年已登记{mentor.name}与{data['apprentice_name']}的师徒结对。", code="conflict")})
    return data


def mentor_pair_create(*, actor, org, **fields):
    return _create(MentorPair, PAIR_FIELDS, _clean_pair, actor=actor, org=org, data=fields)


def mentor_pair_update(*, actor, pair, **changes):
    return _update(pair, PAIR_FIELDS, _clean_pair, actor=actor, changes=changes)


def mentor_pair_delete(*, actor, pair):
    _delete(pair, PAIR_FIELDS, actor=actor)


# --- duty posts ------------------------------------------------------------------------------


def _clean_post(org, data, instance):
    check = Checker(org, data)
    check.choice("kind", DutyPost.Kind, "岗位类型")
    check.text("name", required=True, label="岗位名称")
    check.text("place")
    check.text("time_slot")
    check.person("member", label="党员")
    check.past_date("starts_on", label="开始日期")
    ends_on = data.get("ends_on")
    if ends_on is not None and isinstance(data.get("starts_on"), date) and ends_on < data["starts_on"]:
        check.add("ends_on", "结束日期不能早于开始日期。")
    return check.done(DutyPost)


def duty_post_create(*, actor, org, **fields):
    return _create(DutyPost, POST_FIELDS, _clean_post, actor=actor, org=org, data=fields)


def duty_post_update(*, actor, post, **changes):
    return _update(post, POST_FIELDS, _clean_post, actor=actor, changes=changes)


def duty_post_delete(*, actor, post):
    _delete(post, POST_FIELDS, actor=actor)


# --- lessons given ---------------------------------------------------------------------------


def _clean_lesson(org, data, instance):
    check = Checker(org, data)
    check.person("teacher", label="授课教师")
    check.past_date("date")
    check.text("title", required=True, label="课题")
    check.text("subject")
    check.text("result")
    check.choice("kind", Lesson.Kind, "课型")
    check.choice("level", Level, "级别")
    return check.done(Lesson)


def lesson_create(*, actor, org, **fields):
    return _create(Lesson, LESSON_FIELDS, _clean_lesson, actor=actor, org=org, data=fields)


def lesson_update(*, actor, lesson, **changes):
    return _update(lesson, LESSON_FIELDS, _clean_lesson, actor=actor, changes=changes)


def lesson_delete(*, actor, lesson):
    _delete(lesson, LESSON_FIELDS, actor=actor)


# --- lessons attended or evaluated -----------------------------------------------------------


def _clean_review(org, data, instance):
    check = Checker(org, data)
    check.person("person", label="听课/评课人")
    check.past_date("date")
    check.choice("role", LessonReview.Role, "方式（听课或评课）")
    lesson = data.get("lesson")
    if lesson is not None:
        data["lesson_title"] = lesson.title
    check.text("lesson_title", required=True, label="课题（或选择已登记的课例）")
    return check.done(LessonReview)


def _check_lesson_readable(actor, fields):
    lesson = fields.get("lesson")
    if lesson is not None and not scoping.can_read(actor, lesson.org):
        raise ValidationError({"lesson": "所选课例不存在或无权访问。"})


def lesson_review_create(*, actor, org, **fields):
    """`lesson` (a recorded Lesson the actor may read) or a free `lesson_title`."""
    _check_lesson_readable(actor, fields)
    return _create(LessonReview, REVIEW_FIELDS, _clean_review, actor=actor, org=org, data=fields)


def lesson_review_update(*, actor, review, **changes):
    _check_lesson_readable(actor, changes)
    return _update(review, REVIEW_FIELDS, _clean_review, actor=actor, changes=changes)


def lesson_review_delete(*, actor, review):
    _delete(review, REVIEW_FIELDS, actor=actor)


# --- articles --------------------------------------------------------------------------------

_url = URLValidator(schemes=["http", "https"])


def _clean_article(org, data, instance):
    check = Checker(org, data)
    check.text("title", required=True, label="标题")
    check.past_date("date", label="发表日期")
    check.choice("platform", Article.Platform, "发表平台")
    check.choice("level", Level, "级别")
    check.text("url")
    if data["url"]:
        try:
            _url(data["url"])
        except ValidationError:
            check.add("url", "链接须为以 http:// 或 https:// 开头的网址。")
    check.text("author_names")
    data["author_names"] = "、".join(split_names(data["author_names"]))
    authors = list(data.get("authors") or [])
    data["authors"] = authors
    outside = [p.name for p in authors if not p.org.path.startswith(org.path)]
    if outside:
        check.add("authors", f"{'、'.join(outside)}不在{org.name}及其下级组织中，不能登记为作者。")
    if not authors and not data["author_names"]:
        check.add("authors", "请至少填写一名作者（选择人员或填写姓名）。")
    return check.done(Article)


def article_create(*, actor, org, **fields):
    return _create(Article, ARTICLE_FIELDS, _clean_article, actor=actor, org=org, data=fields)


def article_update(*, actor, article, **changes):
    return _update(article, ARTICLE_FIELDS, _clean_article, actor=actor, changes=changes)


def article_delete(*, actor, article):
    _delete(article, ARTICLE_FIELDS, actor=actor)


# --- honours ---------------------------------------------------------------------------------


def parse_month(value):
    """A month as the date of its first day, from a date or "YYYY-MM"; None if empty; ValueError if bad."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.replace(day=1)
    match = re.match(r"^(\d{4})-(\d{1,2})$", str(value).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(value)
    return date(int(match.group(1)), int(match.group(2)), 1)


def _clean_honour(org, data, instance):
    check = Checker(org, data)
    check.text("title", required=True, label="荣誉名称")
    check.text("issuer", required=True, label="授予单位")
    check.choice("kind", Honour.Kind, "荣誉类别")
    check.choice("level", Level, "级别")
    check.past_date("date", label="授予日期")
    person, recipient = data.get("person"), data.get("recipient_org")
    if (person is None) == (recipient is None):
        check.add("person", "获奖者须为一名人员或一个组织，二者选其一。")
    elif person is not None:
        check.person("person", label="获奖人")
        if data.get("kind") in ORG_HONOURS:
            check.add("person", f"“{Honour.Kind(data['kind']).label}”只授予组织，请选择获奖组织。")
    else:
        if not recipient.path.startswith(org.path):
            check.add("recipient_org", f"{recipient.name}不是{org.name}或其下级组织，不能登记。")
        if data.get("kind") in PERSON_HONOURS:
            check.add("recipient_org", f"“{Honour.Kind(data['kind']).label}”只授予个人，请选择获奖人。")
    try:
        data["month"] = parse_month(data.get("month"))
    except ValueError:
        data["month"] = None
        check.add("month", "评选月份格式应为 YYYY-MM。")
    if data.get("kind") == Honour.Kind.STAR_TEACHER:
        if data["month"] is None:
            check.add("month", "明星教师按月评选，请填写评选月份。")
        elif data["month"] > check.today:
            check.add("month", "评选月份不能晚于本月。")
    elif "month" not in check.errors:
        data["month"] = None
    return check.done(Honour)


def _certificate_setter(upload, remove=False):
    """Check the upload before anything is written; set it on the honour just before the save."""
    checked = uploads.check_upload(upload, field="certificate") if upload is not None else None

    def apply(honour):
        if checked is not None:
            content_type, ext = checked
            honour.certificate = uploads.stored_file(upload, ext)
            honour.certificate_name = uploads.display_name(upload, ext)
            honour.certificate_type = content_type
        elif remove:
            honour.certificate = ""
            honour.certificate_name = honour.certificate_type = ""

    return apply


def honour_create(*, actor, org, certificate=None, **fields):
    """`certificate`: an optional upload (JPEG, PNG or PDF, ≤ 10 MB)."""
    setter = _certificate_setter(certificate)
    return _create(Honour, HONOUR_FIELDS, _clean_honour, actor=actor, org=org, data=fields, before_save=setter)


def honour_update(*, actor, honour, certificate=None, remove_certificate=False, **changes):
    setter = _certificate_setter(certificate, remove_certificate)
    return _update(honour, HONOUR_FIELDS, _clean_honour, actor=actor, changes=changes, before_save=setter)


def honour_delete(*, actor, honour):
    _delete(honour, HONOUR_FIELDS, actor=actor)
