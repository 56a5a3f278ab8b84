"""API of the vanguard app: for each record kind (mentor pairs, duty posts, lessons, lesson reviews, articles,
honours) list / read / create / update / delete, through the same selectors and services as the pages; and the
summary figures of an organisation. Honour certificates are uploaded on the page (the API reports whether one
exists).
"""

import datetime as dt
from enum import Enum
from typing import Annotated, Optional

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import create_model

from dangjian.api.common import get_object, page, ref, ref_dict, require_party_scope, require_write_scope
from dangjian.api.schemas import Choice, DeletedOut, ErrorOut, Id, In, Page, Paging, RecordOut, Ref, Text
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation

from . import selectors
from .models import Article, DutyPost, Honour, Lesson, LessonReview, Level
from .views import KINDS

router = Router(tags=["先锋作用与荣誉宣传"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LongText = Text(2000)


# --- schemas ---------------------------------------------------------------------------------


class PairOut(RecordOut):
    mentor: Ref
    apprentice: Ref | None
    apprentice_name: str
    subject: str
    school_year: str
    goals: str
    outcome: str


class DutyPostOut(RecordOut):
    kind: Choice(DutyPost.Kind)
    kind_label: str
    name: str
    place: str
    time_slot: str
    member: Ref
    starts_on: dt.date
    ends_on: dt.date | None


class LessonOut(RecordOut):
    teacher: Ref
    date: dt.date
    title: str
    subject: str
    kind: Choice(Lesson.Kind)
    kind_label: str
    level: Level
    level_label: str
    result: str


class ReviewOut(RecordOut):
    person: Ref
    date: dt.date
    role: Choice(LessonReview.Role)
    role_label: str
    lesson: Ref | None = Field(None, description="所听的已登记课例（name 为课题）")
    lesson_title: str


class ArticleOut(RecordOut):
    title: str
    date: dt.date
    platform: Article.Platform
    platform_label: str
    level: Level
    level_label: str
    url: str
    authors: list[Ref]
    author_names: str


class HonourOut(RecordOut):
    title: str
    kind: Choice(Honour.Kind)
    kind_label: str
    level: Level
    level_label: str
    date: dt.date
    month: dt.date | None = Field(None, description="明星教师的评选月份（该月1日）")
    issuer: str
    person: Ref | None
    recipient_org: Ref | None
    has_certificate: bool


class PairIn(In):
    mentor: Id = Field(..., description="师傅（本组织及下级的人员 id）")
    apprentice: Id | None = Field(None, description="徒弟的人员 id（在人员档案中时）")
    apprentice_name: Text(50) = Field("", description="徒弟姓名（不在人员档案中时）")
    subject: Text(30) = ""
    school_year: Text(9) = Field(..., description="学年，如 2025-2026")
    goals: LongText = ""
    outcome: LongText = ""


class PostIn(In):
    kind: Choice(DutyPost.Kind)
    name: Text(100)
    place: Text(100) = ""
    time_slot: Text(50) = Field("", description="如 周一 7:30-8:00")
    member: Id
    starts_on: dt.date
    ends_on: dt.date | None = None


class LessonIn(In):
    teacher: Id
    date: dt.date
    title: Text(200)
    subject: Text(30) = ""
    kind: Choice(Lesson.Kind)
    level: Level
    result: Text(30) = Field("", description="获奖等次，如 一等奖")


class ReviewIn(In):
    person: Id
    date: dt.date
    role: Choice(LessonReview.Role)
    lesson: Id | None = Field(None, description="已登记课例的 id（填写后课题取自课例）")
    lesson_title: Text(200) = ""


class ArticleIn(In):
    title: Text(200)
    date: dt.date
    platform: Article.Platform
    level: Level
    url: Text(500) = Field("", description="http:// 或 https:// 链接")
    authors: list[Id] = Field(default_factory=list, max_length=50, description="作者的人员 id")
    author_names: Text(200) = Field("", description="其他作者姓名，用顿号分隔")


class HonourIn(In):
    title: Text(200)
    kind: Choice(Honour.Kind)
    level: Level
    date: dt.date
    month: Text(7) | None = Field(None, description="明星教师的评选月份 YYYY-MM")
    issuer: Text(100)
    person: Id | None = Field(None, description="获奖人 id（与 recipient_org 二选一）")
    recipient_org: Id | None = Field(None, description="获奖组织 id（与 person 二选一）")


class CreateIn(In):
    org: Id = Field(..., description="登记记录的党组织 id")


def _patch_of(schema):
    """The same fields, all optional: only the fields sent are changed."""
    fields = {}
    for name, info in schema.model_fields.items():
        annotation = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        fields[name] = (Optional[annotation], Field(None, description=info.description))
    return create_model(f"{schema.__name__}Patch", __base__=In, __doc__="只修改提交的字段。", **fields)


def _create_of(schema):
    return create_model(f"{schema.__name__}Create", __base__=(CreateIn, schema))


class ListFilters(Schema):
    org: Id | None = Field(None, description="只列出该组织及其下级的记录")
    start: dt.date | None = Field(None, description="日期不早于（党员岗位：期间内在岗）")
    end: dt.date | None = Field(None, description="日期不晚于")
    q: Text(selectors.Q_MAX_LENGTH) = Field("", description="搜索")
    kind: str = Field("", max_length=20, description="类型/课型/类别（党员岗位、示范课、荣誉）")
    level: str = Field("", max_length=20, description="级别")
    platform: str = Field("", max_length=20, description="发表平台（宣传稿件）")
    role: str = Field("", max_length=20, description="听课/评课（attend / evaluate）")
    state: str = Field("", max_length=20, description="党员岗位：current 在岗 / ended 已结束")
    school_year: str = Field("", max_length=9, description="师徒结对的学年")
    recipient: str = Field("", max_length=10, description="荣誉：person 个人 / org 组织")


# --- serialisation and references ------------------------------------------------------------


def _plain(value):
    return value.value if isinstance(value, Enum) else value


def record_dict(obj, fields):
    out = {"id": obj.pk, "org": ref_dict(obj.org), "created_at": obj.created_at, "updated_at": obj.updated_at}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            out[name] = [ref_dict(p) for p in getattr(obj, name).all()]
        elif field.is_relation:
            target = getattr(obj, name)
            out[name] = None if target is None else {"id": target.pk, "name": getattr(target, "name", None)
                                                     or str(getattr(target, "title", target))}
        else:
            out[name] = getattr(obj, name)
            if field.choices:
                out[f"{name}_label"] = getattr(obj, f"get_{name}_display")()
    if isinstance(obj, Honour):
        out["has_certificate"] = bool(obj.certificate)
    return out


REFS = {"mentor": Person, "apprentice": Person, "member": Person, "teacher": Person, "person": Person,
        "authors": Person, "lesson": Lesson, "recipient_org": Organisation}


def _resolve(request, data):
    """Ids in a body → objects the caller may read (unknown or outside the scope: 422 on the field)."""
    for name, value in list(data.items()):
        model = REFS.get(name)
        if model is None:
            data[name] = _plain(value)
        elif isinstance(value, list):
            data[name] = [ref(request, model.objects, pk, name) for pk in value]
        else:
            data[name] = ref(request, model.objects, value, name)
    return data


# --- operations, the same five for every kind ------------------------------------------------

SCHEMAS = {"pairs": (PairOut, PairIn), "posts": (DutyPostOut, PostIn), "lessons": (LessonOut, LessonIn),
           "reviews": (ReviewOut, ReviewIn), "articles": (ArticleOut, ArticleIn), "honours": (HonourOut, HonourIn)}


def _named(name, summary, decorator):
    def wrap(fn):
        fn.__name__ = name
        fn.__doc__ = summary
        return decorator(fn)

    return wrap


def _register(kind):
    out_schema, in_schema = SCHEMAS[kind.slug]
    create_in, patch_in = _create_of(in_schema), _patch_of(in_schema)
    base, op = f"/vanguard/{kind.slug}", f"vanguard_{kind.slug}"
    one = f"{base}/{{record_id}}"
    fields = kind.fields

    def fetch(request, record_id, write=False):
        qs = selectors.records(kind.slug, request.user)
        return get_object(request, qs, record_id, write=write)

    def reread(request, obj):
        return record_dict(selectors.records(kind.slug, request.user).get(pk=obj.pk), fields)

    @_named(f"{op}_list", f"{kind.label}列表", router.get(base, response={200: Page[out_schema], **ERRORS},
                                                       summary=f"{kind.label}列表"))
    def list_(request, filters: Query[ListFilters], paging: Query[Paging]):
        require_party_scope(request)
        params = {k: (v.isoformat() if isinstance(v, dt.date) else str(v or "")) for k, v in filters.dict().items()}
        if filters.org is not None:
            get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        qs, _ = selectors.record_list(kind.slug, request.user, params, timezone.localdate())
        return page(qs, paging, lambda rows: [record_dict(r, fields) for r in rows])

    @_named(f"{op}_create", f"登记{kind.label}", router.post(base, response={201: out_schema, **ERRORS},
                                                          summary=f"登记{kind.label}"))
    def create(request, payload: create_in):
        require_write_scope(request)
        data = payload.model_dump()
        org = ref(request, Organisation.objects.active(), data.pop("org"), "org", write=True)
        obj = kind.create(actor=request.user, org=org, **_resolve(request, data))
        return Status(201, reread(request, obj))

    @_named(f"{op}_detail", f"{kind.label}详情", router.get(one, response={200: out_schema, **ERRORS},
                                                         summary=f"{kind.label}详情"))
    def detail(request, record_id: int):
        return record_dict(fetch(request, record_id), fields)

    @_named(f"{op}_update", f"修改{kind.label}", router.patch(one, response={200: out_schema, **ERRORS},
                                                           summary=f"修改{kind.label}"))
    def update(request, record_id: int, payload: patch_in):
        obj = fetch(request, record_id, write=True)
        changes = _resolve(request, payload.model_dump(exclude_unset=True))
        kind.update(actor=request.user, **{kind.keyword: obj}, **changes)
        return reread(request, obj)

    @_named(f"{op}_delete", f"删除{kind.label}", router.delete(one, response={200: DeletedOut, **ERRORS},
                                                            summary=f"删除{kind.label}"))
    def delete(request, record_id: int):
        obj = fetch(request, record_id, write=True)
        kind.delete(actor=request.user, **{kind.keyword: obj})
        return {"id": record_id, "deleted": True}


for _kind in KINDS.values():
    _register(_kind)


# --- summary ---------------------------------------------------------------------------------


class SummaryFilters(Schema):
    org: Id = Field(..., description="组织 id（统计其及全部下级）")
    start: dt.date = Field(..., description="起始日期（含）")
    end: dt.date = Field(..., description="截止日期（含）")


@router.get("/vanguard/summary", response={200: dict, **ERRORS}, summary="先锋作用与荣誉宣传统计")
def vanguard_summary(request, filters: Query[SummaryFilters]):
    """组织及其下级在期间内的统计：师徒结对（截止日期所在学年）、党员岗位（期间内在岗）按类型、示范课等按课型和级别、
    听课评课、宣传稿件按平台和级别、荣誉按级别和类别（个人/组织）。"""
    require_party_scope(request)
    org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
    figures = selectors.summary(org, filters.start, filters.end)
    return {**figures, "org": ref_dict(org)}
