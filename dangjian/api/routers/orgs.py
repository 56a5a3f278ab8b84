"""Organisations, their history (OrgEvent) and committee posts."""

from django.db.models import Q
from django.utils import timezone
from ninja import Query, Router, Status

from dangjian.members.models import Person
from dangjian.orgs import services
from dangjian.orgs.models import CommitteePost, Organisation

from ..common import get_object, get_scoped, page, ref, ref_dict, require_party_scope, require_write_scope
from ..schemas import (ErrorOut, OrgCreateIn, OrgDissolveIn, OrgEventOut, OrgFilters, OrgMoveIn, OrgOut,
                       OrgPatchIn, OrgUpgradeIn, Page, Paging, PostCreateIn, PostEndIn, PostOut)

router = Router(tags=["党组织"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def serialize_orgs(user, orgs):
    """OrgOut dicts; parents resolved in one query (only parents the user may see)."""
    steplen = Organisation.steplen
    parent_paths = {o.path[:-steplen] for o in orgs if o.depth > 1}
    parents = dict(Organisation.objects.filter(path__in=parent_paths).visible_to(user)
                   .values_list("path", "id")) if parent_paths else {}
    return [{
        "id": o.pk, "name": o.name, "kind": o.kind, "kind_label": o.get_kind_display(), "unit_name": o.unit_name,
        "code": o.code, "founded_on": o.founded_on, "dissolved_on": o.dissolved_on, "depth": o.depth,
        "parent_id": parents.get(o.path[:-steplen]),
    } for o in orgs]


def org_out(request, org):
    return serialize_orgs(request.user, [org])[0]


def _writable(request, org_id):
    return get_object(request, Organisation.objects.all(), org_id, write=True, org_attr=None)


@router.get("/orgs", response={200: Page[OrgOut], **ERRORS}, summary="党组织列表")
def orgs_list(request, filters: Query[OrgFilters], paging: Query[Paging]):
    """您范围内的党组织，按层级路径排序。默认不含已撤销的组织。"""
    require_party_scope(request)
    qs = Organisation.objects.visible_to(request.user)
    if not filters.include_dissolved:
        qs = qs.filter(dissolved_on__isnull=True)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        qs = qs.filter(Q(name__contains=filters.q) | Q(unit_name__contains=filters.q))
    if filters.parent is not None:
        parent = get_object(request, Organisation.objects.all(), filters.parent, org_attr=None)
        qs = qs.filter(path__startswith=parent.path, depth=parent.depth + 1)
    return page(qs.order_by("path"), paging, lambda rows: serialize_orgs(request.user, rows))


@router.post("/orgs", response={201: OrgOut, **ERRORS}, summary="新建党组织")
def orgs_create(request, payload: OrgCreateIn):
    require_write_scope(request)
    parent = ref(request, Organisation.objects, payload.parent, "parent", write=True)
    org = services.org_create(actor=request.user, parent=parent, name=payload.name, kind=payload.kind,
                              founded_on=payload.founded_on, unit_name=payload.unit_name, code=payload.code)
    return Status(201, org_out(request, org))


@router.get("/orgs/{org_id}", response={200: OrgOut, **ERRORS}, summary="党组织详情")
def orgs_detail(request, org_id: int):
    return org_out(request, get_object(request, Organisation.objects.all(), org_id, org_attr=None))


@router.patch("/orgs/{org_id}", response={200: OrgOut, **ERRORS}, summary="修改党组织信息")
def orgs_update(request, org_id: int, payload: OrgPatchIn):
    """只修改提交的字段（名称、所在单位、编码、成立日期），记入组织沿革。"""
    org = _writable(request, org_id)
    fields = payload.model_dump(exclude_unset=True, include={"name", "unit_name", "code", "founded_on"})
    org = services.org_update(actor=request.user, org=org, effective_on=payload.effective_on or timezone.localdate(),
                              note=payload.note, **fields)
    return org_out(request, org)


@router.post("/orgs/{org_id}/move", response={200: OrgOut, **ERRORS}, summary="调整隶属关系")
def orgs_move(request, org_id: int, payload: OrgMoveIn):
    org = _writable(request, org_id)
    new_parent = ref(request, Organisation.objects, payload.parent, "parent", write=True)
    org = services.org_move(actor=request.user, org=org, new_parent=new_parent, effective_on=payload.effective_on,
                            note=payload.note)
    return org_out(request, org)


@router.post("/orgs/{org_id}/upgrade", response={200: OrgOut, **ERRORS}, summary="升格（支部→总支→党委）")
def orgs_upgrade(request, org_id: int, payload: OrgUpgradeIn):
    org = _writable(request, org_id)
    org = services.org_upgrade(actor=request.user, org=org, effective_on=payload.effective_on,
                               new_name=payload.new_name, note=payload.note)
    return org_out(request, org)


@router.post("/orgs/{org_id}/dissolve", response={200: OrgOut, **ERRORS}, summary="撤销党组织")
def orgs_dissolve(request, org_id: int, payload: OrgDissolveIn):
    """组织须无在册人员、无未撤销的下级组织。"""
    org = _writable(request, org_id)
    org = services.org_dissolve(actor=request.user, org=org, dissolved_on=payload.dissolved_on, note=payload.note)
    return org_out(request, org)


@router.get("/orgs/{org_id}/events", response={200: Page[OrgEventOut], **ERRORS}, summary="组织沿革")
def orgs_events(request, org_id: int, paging: Query[Paging]):
    org = get_object(request, Organisation.objects.all(), org_id, org_attr=None)

    def rows(events):
        return [{"id": e.pk, "kind": e.kind, "kind_label": e.get_kind_display(), "effective_on": e.effective_on,
                 "recorded_at": e.recorded_at, "actor": e.actor.username if e.actor else None,
                 "before": e.before, "after": e.after, "note": e.note} for e in events]

    return page(org.events.select_related("actor"), paging, rows)


def serialize_posts(posts):
    return [{"id": p.pk, "org": ref_dict(p.org), "person": ref_dict(p.person), "post": p.post,
             "post_label": p.get_post_display(), "started_on": p.started_on, "ended_on": p.ended_on} for p in posts]


@router.get("/orgs/{org_id}/posts", response={200: Page[PostOut], **ERRORS}, summary="班子成员（含已离任）")
def orgs_posts(request, org_id: int, paging: Query[Paging]):
    org = get_object(request, Organisation.objects.all(), org_id, org_attr=None)
    qs = (CommitteePost.objects.filter(org=org).select_related("org", "person")
          .order_by("ended_on", "post", "started_on", "id"))
    return page(qs, paging, serialize_posts)


@router.post("/orgs/{org_id}/posts", response={201: PostOut, **ERRORS}, summary="添加班子成员")
def orgs_post_add(request, org_id: int, payload: PostCreateIn):
    org = _writable(request, org_id)
    person = ref(request, Person.objects.select_related("org"), payload.person, "person")
    seat = services.committee_post_add(actor=request.user, org=org, person=person, post=payload.post,
                                       started_on=payload.started_on)
    return Status(201, serialize_posts([seat])[0])


@router.get("/posts/{post_id}", response={200: PostOut, **ERRORS}, summary="班子成员任职记录")
def posts_detail(request, post_id: int):
    seat = get_scoped(request, CommitteePost.objects.select_related("org", "person"), post_id)
    return serialize_posts([seat])[0]


@router.post("/posts/{post_id}/end", response={200: PostOut, **ERRORS}, summary="办理离任")
def posts_end(request, post_id: int, payload: PostEndIn):
    seat = get_scoped(request, CommitteePost.objects.select_related("org", "person"), post_id, write=True)
    seat = services.committee_post_end(actor=request.user, seat=seat, ended_on=payload.ended_on)
    return serialize_posts([seat])[0]
