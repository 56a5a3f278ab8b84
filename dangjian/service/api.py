"""API of the service app: activities (with participants), 结对共建, 帮教对子, 家访 and 慰问 — list, read, create,
update, delete, through the same selectors and services as the pages; an activity's photos (multipart upload with the
page's checks, download, delete). The restricted 困难职工档案 have the same five operations with the pages'
restriction (书记, 组织管理员 and district-level readers only: selectors.hardship_files_for; others 403 on the list
and 404 on a file) and the pages' audit row for every list and every file read (services.hardship_read).

Each record kind gets its five operations from `crud()`: `<name>_list`, `_create`, `_detail`, `_update`,
`_delete` under `/service/<path>`.
"""

import datetime as dt
import functools
import inspect
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from dangjian.api.common import get_object, page, ref, ref_dict, require_party_scope, require_write_scope
from dangjian.api.errors import django_errors
from dangjian.api.schemas import MAX_ID, DeletedOut, ErrorOut, Id, In, Page, Paging, Ref, Text, file_download
from dangjian.core import scoping, uploads
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation

from . import selectors, services
from .models import (Activity, ActivityKind, ActivityPhoto, CareVisit, HardshipFile, HomeVisit, MentorPair, Participant,
                     PartnerKind, Partnership, RecipientKind, VisitCategory)

router = Router(tags=["服务工作"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LongText = Text(5000)
Count = Annotated[int, Field(ge=0, le=services.COUNT_MAX)]
Number = Annotated[Decimal, Field(allow_inf_nan=False, description="数字（可为字符串）")]


class Filters(Schema):
    org: Id | None = Field(None, description="只列出该组织及其下级的记录")
    start: dt.date | None = Field(None, description="日期不早于")
    end: dt.date | None = Field(None, description="日期不晚于")
    kind: Text(20) = Field("", description="类型（取值见各记录的 kind/category 字段）")
    q: Text(selectors.Q_MAX_LENGTH) = Field("", description="搜索文字")


def _opt(obj):
    return ref_dict(obj) if obj is not None else None


# --- activities ----------------------------------------------------------------------------------


class ParticipantIn(In):
    person: Id
    hours: Number = Field(Decimal("0"), description="服务时长（小时，0–200）")


class ParticipantOut(Schema):
    person: Ref
    hours: str


class ActivityOut(Schema):
    id: int
    org: Ref
    kind: ActivityKind
    kind_label: str
    title: str
    date: dt.date
    place: str
    partner: str
    extra_participants: int = Field(..., description="平台外参加人数（填写）")
    extra_hours: str = Field(..., description="平台外人员服务时长合计（填写）")
    account: str
    participants: list[ParticipantOut]
    people: int = Field(..., description="参加党员人数（计算）")
    person_times: int = Field(..., description="参加人次 = 参加党员人数 + 平台外参加人数（计算）")
    total_hours: str = Field(..., description="总服务时长 = 党员时长之和 + 平台外人员时长（计算）")
    photos: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ActivityIn(In):
    org: Id = Field(..., description="开展活动的党组织 id")
    kind: ActivityKind
    title: Text(200)
    date: dt.date
    place: Text(100) = ""
    partner: Text(100) = ""
    extra_participants: Count = 0
    extra_hours: Number = Decimal("0")
    account: LongText = ""
    participants: list[ParticipantIn] = Field([], max_length=1000, description="参加党员（本组织及下级的党员）")


class ActivityPatch(In):
    """Only the fields sent change; `participants`, when sent, replaces the whole list."""

    kind: ActivityKind = None
    title: Text(200) = None
    date: dt.date = None
    place: Text(100) = None
    partner: Text(100) = None
    extra_participants: Count = None
    extra_hours: Number = None
    account: LongText = None
    participants: list[ParticipantIn] = Field(None, max_length=1000)


def activity_dict(a):
    return {
        "id": a.pk, "org": ref_dict(a.org), "kind": a.kind, "kind_label": a.get_kind_display(), "title": a.title,
        "date": a.date, "place": a.place, "partner": a.partner, "extra_participants": a.extra_participants,
        "extra_hours": str(a.extra_hours), "account": a.account,
        "participants": [{"person": ref_dict(p.person), "hours": str(p.hours)} for p in a.participants.all()],
        "people": a.people, "person_times": a.person_times, "total_hours": str(Decimal(a.total_hours).quantize(Decimal("0.1"))),
        "photos": len(a.photos.all()), "created_at": a.created_at, "updated_at": a.updated_at,
    }


def activity_rows(user, params):
    qs, _ = selectors.activity_list(user, params)
    people = Participant.objects.select_related("person").order_by("person__name", "person_id")
    return qs.prefetch_related(Prefetch("participants", queryset=people), "photos")


def activity_refs(request, data):
    if data.get("participants") is not None:
        data["participants"] = [{"person": ref(request, Person.objects, p["person"], "participants"),
                                 "hours": p["hours"]} for p in data["participants"]]
    return data


# --- partnerships, home visits, care visits -------------------------------------------------------


class PartnershipOut(Schema):
    id: int
    org: Ref
    partner_name: str
    partner_kind: PartnerKind
    partner_kind_label: str
    since: dt.date
    until: dt.date | None
    note: str


class PartnershipIn(In):
    org: Id
    partner_name: Text(100)
    partner_kind: PartnerKind
    since: dt.date
    until: dt.date | None = None
    note: Text(300) = ""


class PartnershipPatch(In):
    partner_name: Text(100) = None
    partner_kind: PartnerKind = None
    since: dt.date = None
    until: dt.date | None = None
    note: Text(300) = None


def partnership_dict(p):
    return {"id": p.pk, "org": ref_dict(p.org), "partner_name": p.partner_name, "partner_kind": p.partner_kind,
            "partner_kind_label": p.get_partner_kind_display(), "since": p.since, "until": p.until, "note": p.note}


class HomeVisitOut(Schema):
    id: int
    org: Ref
    teacher: Ref
    date: dt.date
    category: VisitCategory
    category_label: str
    student_alias: str = Field(..., description="学生化名或姓名首字母")
    pair_id: int | None
    outcome: str


class HomeVisitIn(In):
    org: Id
    teacher: Id | None = Field(None, description="家访教师（帮教对子的家访可省略，即结对党员）")
    date: dt.date
    category: VisitCategory
    student_alias: Text(30) = Field("", description="化名或姓名首字母，不超过10个字；不能是证件号、电话")
    pair: Id | None = Field(None, description="帮教对子 id")
    outcome: LongText = ""


class HomeVisitPatch(In):
    teacher: Id = None
    date: dt.date = None
    category: VisitCategory = None
    student_alias: Text(30) = None
    pair: Id | None = None
    outcome: LongText = None


def visit_dict(v):
    return {"id": v.pk, "org": ref_dict(v.org), "teacher": ref_dict(v.teacher), "date": v.date,
            "category": v.category, "category_label": v.get_category_display(), "student_alias": v.student_alias,
            "pair_id": v.pair_id, "outcome": v.outcome}


def visit_refs(request, data):
    if data.get("teacher") is not None:
        data["teacher"] = ref(request, Person.objects, data["teacher"], "teacher")
    if "pair" in data:
        data["pair"] = ref(request, MentorPair.objects, data["pair"], "pair")
    return data


class CareVisitOut(Schema):
    id: int
    org: Ref
    date: dt.date
    recipient_kind: RecipientKind
    recipient_kind_label: str
    recipients: int
    matters_solved: int
    money: str
    goods: str
    goods_value: str
    visitors: list[Ref]
    note: str


class CareVisitIn(In):
    org: Id
    date: dt.date
    recipient_kind: RecipientKind
    recipients: Count
    matters_solved: Count = 0
    money: Number = Field(Decimal("0"), description="慰问金（元，0–1000000）")
    goods: Text(200) = ""
    goods_value: Number = Field(Decimal("0"), description="物品折合金额（元，0–1000000）")
    visitors: list[Id] = Field([], max_length=200, description="走访人员（本组织及下级的人员）")
    note: LongText = ""


class CareVisitPatch(In):
    date: dt.date = None
    recipient_kind: RecipientKind = None
    recipients: Count = None
    matters_solved: Count = None
    money: Number = None
    goods: Text(200) = None
    goods_value: Number = None
    visitors: list[Id] = Field(None, max_length=200)
    note: LongText = None


def care_dict(c):
    return {"id": c.pk, "org": ref_dict(c.org), "date": c.date, "recipient_kind": c.recipient_kind,
            "recipient_kind_label": c.get_recipient_kind_display(), "recipients": c.recipients,
            "matters_solved": c.matters_solved, "money": str(c.money), "goods": c.goods,
            "goods_value": str(c.goods_value), "visitors": [ref_dict(p) for p in c.visitors.all()], "note": c.note}


def care_refs(request, data):
    if data.get("visitors") is not None:
        data["visitors"] = [ref(request, Person.objects, pk, "visitors") for pk in data["visitors"]]
    return data


def _plain(selector, *related):
    def rows(user, params):
        qs, _ = selector(user, params)
        return qs.prefetch_related(*related) if related else qs

    return rows


class MentorPairOut(Schema):
    id: int
    org: Ref
    member: Ref = Field(..., description="帮教党员")
    student_alias: str = Field(..., description="学生化名或姓名首字母")
    school_year: str
    category: VisitCategory
    category_label: str
    note: str
    visits: int = Field(..., description="该对子的家访次数")


class MentorPairIn(In):
    org: Id
    member: Id = Field(..., description="帮教党员（本组织及下级的党员）")
    student_alias: Text(10) = Field(..., description="化名或姓名首字母，不超过10个字；不能是证件号、电话")
    school_year: Text(9) = Field(..., description="学年，如 2025-2026")
    category: VisitCategory
    note: Text(300) = Field("", description="帮教目标")


class MentorPairPatch(In):
    member: Id = None
    student_alias: Text(10) = None
    school_year: Text(9) = None
    category: VisitCategory = None
    note: Text(300) = None


def pair_dict(p):
    return {"id": p.pk, "org": ref_dict(p.org), "member": ref_dict(p.member), "student_alias": p.student_alias,
            "school_year": p.school_year, "category": p.category, "category_label": p.get_category_display(),
            "note": p.note, "visits": p.visit_count}


def pair_refs(request, data):
    if data.get("member") is not None:
        data["member"] = ref(request, Person.objects, data["member"], "member")
    return data


class HardshipOut(Schema):
    id: int
    org: Ref
    name: str
    person: Ref | None = Field(None, description="关联人员（可选）")
    opened_on: dt.date
    difficulty: str
    family: str
    assistance: str
    closed_on: dt.date | None


class HardshipIn(In):
    org: Id
    name: Text(50)
    person: Id | None = Field(None, description="关联人员（本组织及下级的人员，可选）")
    opened_on: dt.date = Field(..., description="建档日期")
    difficulty: Text(200) = Field(..., description="困难类型")
    family: LongText = Field("", description="家庭情况")
    assistance: LongText = Field("", description="帮扶记录")
    closed_on: dt.date | None = Field(None, description="销档日期")


class HardshipPatch(In):
    name: Text(50) = None
    person: Id | None = None
    opened_on: dt.date = None
    difficulty: Text(200) = None
    family: LongText = None
    assistance: LongText = None
    closed_on: dt.date | None = None


def hardship_dict(f):
    return {"id": f.pk, "org": ref_dict(f.org), "name": f.name, "person": _opt(f.person), "opened_on": f.opened_on,
            "difficulty": f.difficulty, "family": f.family, "assistance": f.assistance, "closed_on": f.closed_on}


def hardship_refs(request, data):
    if data.get("person") is not None:
        data["person"] = ref(request, Person.objects, data["person"], "person")
    return data


def hardship_read(user, files, listing):
    services.hardship_read(actor=user, files=files, listing=listing)


# --- the five operations of each kind --------------------------------------------------------------


def crud(*, name, path, param, label, model, out, create_in, patch_in, to_dict, rows, create, update, delete, arg,
         refs=lambda request, data: data, can_list=None, on_read=None):
    """`can_list(user)` replaces the party-scope check of the list; `on_read(user, records, listing)` is called
    with what a list page or a detail shows (the restricted kinds' audit)."""
    one = f"/service/{path}/{{{param}}}"

    def fetch(request, pk, write=False):
        obj = rows(request.user, {}).filter(pk=pk).first() if 1 <= pk <= MAX_ID else None
        if obj is None:
            scoping.deny(request, model._meta.label_lower, pk)
        if write and not scoping.can_write(request.user, obj.org):
            scoping.deny(request, model._meta.label_lower, pk, forbidden=True)
        return obj

    def out_of(request, obj):
        return to_dict(rows(request.user, {}).get(pk=obj.pk))

    def list_op(request, filters: Query[Filters], paging: Query[Paging]):
        if can_list is None:
            require_party_scope(request)
        elif not can_list(request.user):
            raise PermissionDenied("您没有查看此类记录的权限")
        if filters.org is not None:
            get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        params = {"org": str(filters.org or ""), "kind": filters.kind, "q": filters.q,
                  "start": filters.start.isoformat() if filters.start else "",
                  "end": filters.end.isoformat() if filters.end else ""}
        def serialize(items):
            if on_read is not None:
                on_read(request.user, items, True)
            return [to_dict(o) for o in items]

        return page(rows(request.user, params), paging, serialize)

    def create_op(request, payload: create_in):
        require_write_scope(request)
        data = payload.model_dump()
        org = ref(request, Organisation.objects.active(), data.pop("org"), "org", write=True)
        obj = create(actor=request.user, org=org, **refs(request, data))
        return Status(201, out_of(request, obj))

    def detail_op(request, pk: int):
        obj = fetch(request, pk)
        if on_read is not None:
            on_read(request.user, [obj], False)
        return to_dict(obj)

    def update_op(request, pk: int, payload: patch_in):
        obj = fetch(request, pk, write=True)
        obj = update(actor=request.user, **{arg: obj}, **refs(request, payload.model_dump(exclude_unset=True)))
        return out_of(request, obj)

    def delete_op(request, pk: int):
        delete(actor=request.user, **{arg: fetch(request, pk, write=True)})
        return {"id": pk, "deleted": True}

    for fn, suffix in ((list_op, "list"), (create_op, "create"), (detail_op, "detail"), (update_op, "update"),
                       (delete_op, "delete")):
        fn.__name__ = f"{name}_{suffix}"
    # The path parameter is named after the kind ("activity_id", …) in the documented paths.
    detail_op, update_op, delete_op = (_rename_param(fn, "pk", param) for fn in (detail_op, update_op, delete_op))
    router.get(f"/service/{path}", response={200: Page[out], **ERRORS}, summary=f"{label}列表")(list_op)
    router.post(f"/service/{path}", response={201: out, **ERRORS}, summary=f"登记{label}")(create_op)
    router.get(one, response={200: out, **ERRORS}, summary=f"{label}详情")(detail_op)
    router.patch(one, response={200: out, **ERRORS}, summary=f"修改{label}")(update_op)
    router.delete(one, response={200: DeletedOut, **ERRORS}, summary=f"删除{label}")(delete_op)


def _rename_param(fn, old, new):
    """Give the view the documented name of its path parameter (the body of the view keeps `pk`)."""
    signature = inspect.signature(fn)
    params = [p.replace(name=new) if p.name == old else p for p in signature.parameters.values()]
    inner = fn

    @functools.wraps(inner)
    def wrapper(request, **kwargs):
        kwargs[old] = kwargs.pop(new)
        return inner(request, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=params)
    wrapper.__annotations__ = {(new if k == old else k): v for k, v in inner.__annotations__.items()}
    return wrapper


crud(name="service_activities", path="activities", param="activity_id", label="服务活动", model=Activity,
     out=ActivityOut, create_in=ActivityIn, patch_in=ActivityPatch, to_dict=activity_dict, rows=activity_rows,
     create=services.activity_create, update=services.activity_update, delete=services.activity_delete,
     arg="activity", refs=activity_refs)
crud(name="service_partnerships", path="partnerships", param="partnership_id", label="结对共建", model=Partnership,
     out=PartnershipOut, create_in=PartnershipIn, patch_in=PartnershipPatch, to_dict=partnership_dict,
     rows=_plain(selectors.partnership_list), create=services.partnership_create,
     update=services.partnership_update, delete=services.partnership_delete, arg="partnership")
crud(name="service_pairs", path="pairs", param="pair_id", label="帮教对子", model=MentorPair,
     out=MentorPairOut, create_in=MentorPairIn, patch_in=MentorPairPatch, to_dict=pair_dict,
     rows=_plain(selectors.pair_list),
     create=services.pair_create, update=services.pair_update, delete=services.pair_delete, arg="pair",
     refs=pair_refs)
crud(name="service_home_visits", path="home-visits", param="visit_id", label="家访", model=HomeVisit,
     out=HomeVisitOut, create_in=HomeVisitIn, patch_in=HomeVisitPatch, to_dict=visit_dict,
     rows=_plain(selectors.visit_list), create=services.home_visit_create, update=services.home_visit_update,
     delete=services.home_visit_delete, arg="visit", refs=visit_refs)
crud(name="service_care_visits", path="care-visits", param="care_id", label="慰问", model=CareVisit,
     out=CareVisitOut, create_in=CareVisitIn, patch_in=CareVisitPatch, to_dict=care_dict,
     rows=_plain(selectors.care_list, "visitors"), create=services.care_visit_create,
     update=services.care_visit_update, delete=services.care_visit_delete, arg="care", refs=care_refs)

crud(name="service_hardship", path="hardship", param="file_id", label="困难职工档案", model=HardshipFile,
     out=HardshipOut, create_in=HardshipIn, patch_in=HardshipPatch, to_dict=hardship_dict,
     rows=_plain(selectors.hardship_list, "person"), create=services.hardship_create, update=services.hardship_update,
     delete=services.hardship_delete, arg="file", refs=hardship_refs, can_list=selectors.can_read_hardship,
     on_read=hardship_read)


# --- photos of an activity -------------------------------------------------------------------------


class ActivityPhotoOut(Schema):
    id: int
    activity_id: int
    name: str = Field(..., description="文件名")
    content_type: str
    size: int = Field(..., description="字节数")
    uploaded_by: str | None = Field(..., description="上传人账户")
    uploaded_at: dt.datetime
    download: str = Field(..., description="下载地址（GET，带令牌）")


def photo_dict(p):
    return {"id": p.pk, "activity_id": p.activity_id, "name": p.original_name, "content_type": p.content_type,
            "size": p.size, "uploaded_by": p.uploaded_by.username if p.uploaded_by_id else None,
            "uploaded_at": p.uploaded_at,
            "download": reverse("api:service_photos_download", kwargs={"photo_id": p.pk})}


def _activity(request, activity_id, *, write=False):
    return get_object(request, Activity.objects.select_related("org"), activity_id, write=write)


def _photo(request, photo_id, *, write=False):
    """The activity page's fetch (views._photo): photos of readable activities; 404 outside (audited), 403 without
    the write right on the activity's organisation."""
    found = (ActivityPhoto.objects.select_related("activity__org", "uploaded_by")
             .filter(pk=photo_id, activity__in=Activity.objects.visible_to(request.user)).first()
             if 1 <= photo_id <= MAX_ID else None)
    if found is None:
        scoping.deny(request, "service.activityphoto", photo_id)
    if write and not scoping.can_write(request.user, found.activity.org):
        scoping.deny(request, "service.activityphoto", photo_id, forbidden=True)
    return found


@router.get("/service/activities/{activity_id}/photos", response={200: Page[ActivityPhotoOut], **ERRORS},
            summary="服务活动照片")
def service_photos_list(request, activity_id: int, paging: Query[Paging]):
    """能查看该活动者均可查看和下载，按上传先后排列。"""
    activity = _activity(request, activity_id)
    return page(activity.photos.select_related("uploaded_by").order_by("id"), paging,
                lambda rows: [photo_dict(p) for p in rows])


@router.post("/service/activities/{activity_id}/photos", response={201: ActivityPhotoOut, **ERRORS},
             summary="上传服务活动照片")
def service_photos_add(request, activity_id: int, file: File[UploadedFile]):
    """multipart/form-data，字段 file：一张 JPEG 或 PNG 照片（按文件内容判断，≤10 MB，每个活动最多20张），与页面相同的
    检查，否则 422（errors 的键为 file）。仅该活动组织的管理员、书记；记入审计。"""
    activity = _activity(request, activity_id, write=True)
    try:
        photo = services.photo_add(actor=request.user, activity=activity, upload=file)
    except ValidationError as exc:
        # The page's field is "photos" (several files); the API takes one, as "file".
        raise ValidationError({"file" if key == "photos" else key: messages
                               for key, messages in django_errors(exc).items()}) from None
    return Status(201, photo_dict(photo))


@router.get("/service/photos/{photo_id}", summary="下载服务活动照片", **file_download(ERRORS, "照片文件"))
def service_photos_download(request, photo_id: int):
    found = _photo(request, photo_id)
    return uploads.download_response(found.file, found.original_name, found.content_type)


@router.delete("/service/photos/{photo_id}", response={200: DeletedOut, **ERRORS}, summary="删除服务活动照片")
def service_photos_delete(request, photo_id: int):
    """仅该活动组织的管理员、书记；记入审计。"""
    services.photo_remove(actor=request.user, photo=_photo(request, photo_id, write=True))
    return {"id": photo_id, "deleted": True}
