"""API of the integrity app (廉政建设): list, read and create the four restricted record kinds (廉政档案, 约谈记录,
警示教育, 纪律处分) with exactly the pages' visibility (selectors.py: 纪检 in scope and district-level roles only;
everyone else 403 on lists and 404 on records) and the pages' audit: every list and every record read writes the
same `read` row (services.record_read). Creation, changes and deletion go through services.record_create,
record_update and record_delete, with the edit page's checks.

The five operations of each kind are built by `_register` from services.KINDS; the operation ids are
integrity_<kind>_list, _detail, _create, _update and _delete."""

import datetime as dt
from typing import Annotated

from django.core.exceptions import ValidationError
from django.db.models import Q
from ninja import Field, Query, Router, Schema, Status
from pydantic import create_model

from dangjian.api.common import page, ref_dict
from dangjian.api.schemas import MAX_ID, Choice, DeletedOut, ErrorOut, Id, In, Page, Paging, RecordOut, Ref, Text
from dangjian.core import scoping
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation

from . import selectors, services, views
from .models import Sanction, Talk

router = Router(tags=["廉政建设"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
LONG = 5000


# --- schemas -----------------------------------------------------------------------------------


class IntegrityFileOut(RecordOut):
    person: Ref
    post: str
    relatives_count: int
    declarations: str
    notes: str
    updated_on: dt.date


class IntegrityTalkOut(RecordOut):
    person: Ref
    talked_on: dt.date
    kind: Choice(Talk.Kind)
    kind_label: str
    talked_by: str
    summary: str


class IntegrityEducationOut(RecordOut):
    held_on: dt.date
    title: str
    form: str
    participants: int
    person_times: int


class IntegritySanctionOut(RecordOut):
    person: Ref
    kind: Choice(Sanction.Kind)
    kind_label: str
    decided_on: dt.date
    decided_by: str
    document_no: str
    probation_until: dt.date | None


class IntegrityFileIn(In):
    person: Id = Field(..., description="干部（您有权登记的范围内的人员）")
    post: Text(100)
    relatives_count: int = Field(0, ge=0, le=services.MAX_COUNT, description="纳入档案的亲属人数")
    declarations: Text(LONG) = Field("", description="个人有关事项申报")
    notes: Text(LONG) = ""
    updated_on: dt.date = Field(..., description="档案更新日期")


class IntegrityTalkIn(In):
    person: Id = Field(..., description="谈话对象")
    talked_on: dt.date
    kind: Choice(Talk.Kind)
    talked_by: Text(100) = Field(..., description="约谈人")
    summary: Text(LONG) = Field("", description="谈话要点")


class IntegrityEducationIn(In):
    org: Id = Field(..., description="组织（您有权登记的范围内）")
    held_on: dt.date
    title: Text(200)
    form: Text(100) = Field(..., description="如：观看警示教育片、参观廉政教育基地、案例通报")
    participants: int = Field(..., ge=0, le=services.MAX_COUNT, description="参加人数")
    person_times: int = Field(..., ge=0, le=services.MAX_COUNT, description="参加人次（不少于人数）")


class IntegritySanctionIn(In):
    person: Id = Field(..., description="受处分人")
    kind: Choice(Sanction.Kind)
    decided_on: dt.date
    decided_by: Text(100) = Field(..., description="决定机关")
    document_no: Text(100) = Field(..., description="处分决定文号")
    probation_until: dt.date | None = Field(None, description="留党察看期满日期（仅留党察看，最长二年）")


class IntegrityRecordFilters(Schema):
    q: Text(50) = Field("", description="搜索（姓名、文号、主题等）")
    org: Id | None = Field(None, description="该组织及其下级的记录")
    year: int | None = Field(None, ge=1921, le=2100, description="按日期年份")


# --- shared ------------------------------------------------------------------------------------


def record_dict(record):
    kind = services.kind_of(record)
    out = {"id": record.pk, "org": ref_dict(record.org), "created_at": record.created_at,
           "updated_at": record.updated_at}
    for name in kind.fields:
        value = getattr(record, name)
        out[name] = ref_dict(value) if name in ("person", "org") else value
        if name == "kind":
            out["kind_label"] = record.get_kind_display()
    return out


def _list(request, kind, filters, paging):
    """The list page's read (views.home): the same visibility, filters and audit row (ids shown, filters)."""
    views._require_access(request)
    qs = kind.model.objects.visible_to(request.user).select_related("org", *(["person"] if kind.has_person else []))
    if filters.org is not None:
        org = Organisation.objects.filter(selectors.visible_q(request.user, "path"), pk=filters.org).first()
        if org is None:
            scoping.deny(request, "orgs.organisation", filters.org)
        qs = qs.filter(org__path__startswith=org.path)
    if filters.year is not None:
        qs = qs.filter(**{f"{kind.date_field}__year": filters.year})
    if filters.q:
        match = Q()
        for name in kind.search:
            match |= Q(**{f"{name}__icontains": filters.q})
        qs = qs.filter(match)

    def serialize(rows):
        shown = {k: str(v) for k, v in filters.model_dump().items() if v not in (None, "")}
        services.record_read(actor=request.user, records=rows, what=kind.model._meta.label_lower,
                             filters={"tab": kind.slug, **shown, "limit": paging.limit, "offset": paging.offset})
        return [record_dict(r) for r in rows]

    return page(qs, paging, serialize)


def _detail(request, kind, record_id):
    """The record page's fetch (views._record: 404 outside what the user may see, audited) and its read row."""
    if not 1 <= record_id <= MAX_ID:
        scoping.deny(request, kind.model._meta.label_lower, record_id)
    record = views._record(request, kind, record_id)
    services.record_read(actor=request.user, records=[record], what=kind.model._meta.label_lower)
    return record_dict(record)


def _references(request, data):
    """People and organisations named in a body: limited to the user's write scope as on the form (else 422)."""
    choices = {"person": Person.objects.filter(selectors.writable_q(request.user)),
               "org": selectors.writable_orgs(request.user)}
    for name, queryset in choices.items():
        if name in data:
            data[name] = queryset.filter(pk=data[name]).first()
            if data[name] is None:
                raise ValidationError({name: "不存在或不在您的管理范围内。"})
    return data


def _create(request, kind, payload):
    """The create page's checks (writers only: 403), people and organisations limited to the user's write
    scope as on the form (otherwise 422 on the field), then services.record_create."""
    views._require_access(request, write=True)
    data = _references(request, payload.model_dump())
    record = services.record_create(actor=request.user, what=kind.slug, **data)
    return Status(201, record_dict(record))


def _fetch(request, kind, record_id, *, write=False):
    if not 1 <= record_id <= MAX_ID:
        scoping.deny(request, kind.model._meta.label_lower, record_id)
    return views._record(request, kind, record_id, write=write)


def _update(request, kind, record_id, payload):
    """The edit page: 404 outside what the user may see, 403 seen but not writable; only the fields sent change."""
    record = _fetch(request, kind, record_id, write=True)
    data = _references(request, payload.model_dump(exclude_unset=True))
    record = services.record_update(actor=request.user, record=record, **data)
    return record_dict(_fetch(request, kind, record.pk))


def _delete(request, kind, record_id):
    services.record_delete(actor=request.user, record=_fetch(request, kind, record_id, write=True))
    return {"id": record_id, "deleted": True}


def _patch_schema(schema):
    """The create schema with every field optional (the same limits): a PATCH changes only the fields sent."""
    fields = {}
    for name, info in schema.model_fields.items():
        kind = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        fields[name] = (kind, Field(None, description=info.description))
    return create_model(schema.__name__.removesuffix("In") + "Patch", __base__=In, **fields)


# --- operations: three per kind ----------------------------------------------------------------

SCHEMAS = {"files": (IntegrityFileOut, IntegrityFileIn), "talks": (IntegrityTalkOut, IntegrityTalkIn),
           "education": (IntegrityEducationOut, IntegrityEducationIn),
           "sanctions": (IntegritySanctionOut, IntegritySanctionIn)}
PATCHES = {slug: _patch_schema(body) for slug, (_, body) in SCHEMAS.items()}


def _register(slug):
    kind = services.KINDS[slug]
    out, body = SCHEMAS[slug]

    def list_(request, filters: Query[IntegrityRecordFilters], paging: Query[Paging]):
        return _list(request, kind, filters, paging)

    def detail(request, record_id: int):
        return _detail(request, kind, record_id)

    def create(request, payload: body):
        return _create(request, kind, payload)

    def update(request, record_id: int, payload: PATCHES[slug]):
        return _update(request, kind, record_id, payload)

    def delete(request, record_id: int):
        return _delete(request, kind, record_id)

    access = "仅纪检委员（范围内）和教育工委（区级）可见，其他角色列表 403、记录 404。每次读取都记入审计。"
    for fn, action, doc in ((list_, "list", f"{kind.label}列表（可按组织、年份、关键词筛选）。{access}"),
                            (detail, "detail", f"{kind.label}详情。{access}"),
                            (create, "create", f"登记{kind.label}（纪检委员或区级组织管理员、书记；人员、组织须在"
                                               f"您的登记范围内，否则 422）。"),
                            (update, "update", f"修改{kind.label}（与修改页面相同的检查；只改提交的字段）。"),
                            (delete, "delete", f"删除{kind.label}（记入审计）。")):
        fn.__name__ = fn.__qualname__ = f"integrity_{slug}_{action}"
        fn.__doc__ = doc
    path = f"/integrity/{slug}"
    router.get(path, response={200: Page[out], **ERRORS}, summary=f"{kind.label}列表")(list_)
    router.get(f"{path}/{{record_id}}", response={200: out, **ERRORS}, summary=f"{kind.label}详情")(detail)
    router.post(path, response={201: out, **ERRORS}, summary=f"登记{kind.label}")(create)
    router.patch(f"{path}/{{record_id}}", response={200: out, **ERRORS}, summary=f"修改{kind.label}")(update)
    router.delete(f"{path}/{{record_id}}", response={200: DeletedOut, **ERRORS}, summary=f"删除{kind.label}")(delete)


for _slug in services.KINDS:
    _register(_slug)
