"""People: the roster, records, party status changes, 组织关系 moves, unmasking."""

from ninja import Query, Router, Status

from dangjian.core import scoping
from dangjian.members import selectors, services
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation

from ..common import get_object, page, ref, ref_dict, require_party_scope, require_write_scope
from ..schemas import (ErrorOut, MembershipOut, Page, Paging, PersonCreateIn, PersonFilters, PersonMoveIn,
                       PersonOut, PersonPatchIn, StatusChangeIn, StatusEventOut, UnmaskOut)

router = Router(tags=["人员"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
DETAIL = Person.objects.select_related("org", "group")


def person_dict(p):
    return {
        "id": p.pk, "name": p.name, "gender": p.gender, "gender_label": p.get_gender_display(),
        "ethnicity": p.ethnicity, "birth_date": p.birth_date, "education": p.education,
        "education_label": p.get_education_display(), "occupation": p.occupation,
        "occupation_label": p.get_occupation_display(), "professional_title": p.professional_title,
        "is_class_teacher": p.is_class_teacher, "is_research_lead": p.is_research_lead,
        "is_backbone": p.is_backbone, "is_administrative": p.is_administrative,
        "is_mobile": p.is_mobile, "lost_contact": p.lost_contact,
        "id_number_masked": p.id_number_masked, "phone_masked": p.phone_masked,
        "org": ref_dict(p.org), "group": ref_dict(p.group) if p.group_id else None,
        "status": p.status, "status_label": p.get_status_display(), "status_since": p.status_since,
        "applied_on": p.applied_on, "joined_on": p.joined_on, "full_member_on": p.full_member_on,
        "under_party_probation": p.under_party_probation, "updated_at": p.updated_at,
    }


def _fresh(person):
    return DETAIL.get(pk=person.pk)


@router.get("/people", response={200: Page[PersonOut], **ERRORS}, summary="人员名册")
def people_list(request, filters: Query[PersonFilters], paging: Query[Paging]):
    """与名册页面相同的筛选（dangjian.members.selectors.roster_queryset）。身份证号、手机号只给出遮蔽值。"""
    require_party_scope(request)
    params = filters.model_dump()
    if filters.org is not None:
        get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
    params["org"] = "" if filters.org is None else str(filters.org)
    qs, _ = selectors.roster_queryset(request.user, params)
    return page(qs, paging, lambda rows: [person_dict(p) for p in rows])


@router.post("/people", response={201: PersonOut, **ERRORS}, summary="新增人员")
def people_create(request, payload: PersonCreateIn):
    require_write_scope(request)
    data = payload.model_dump()
    org = ref(request, Organisation.objects, data.pop("org"), "org", write=True)
    data["group"] = ref(request, Organisation.objects, data.pop("group"), "group")
    person = services.person_create(actor=request.user, org=org, **data)
    return Status(201, person_dict(_fresh(person)))


@router.get("/people/{person_id}", response={200: PersonOut, **ERRORS}, summary="人员详情")
def people_detail(request, person_id: int):
    return person_dict(get_object(request, DETAIL, person_id))


@router.patch("/people/{person_id}", response={200: PersonOut, **ERRORS}, summary="修改人员信息")
def people_update(request, person_id: int, payload: PersonPatchIn):
    """只修改提交的字段；政治面貌和组织关系请用 /status 和 /move。"""
    person = get_object(request, DETAIL, person_id, write=True)
    data = payload.model_dump(exclude_unset=True)
    if "group" in data:
        data["group"] = ref(request, Organisation.objects, data["group"], "group")
    person = services.person_update(actor=request.user, person=person, **data)
    return person_dict(_fresh(person))


@router.post("/people/{person_id}/status", response={200: PersonOut, **ERRORS}, summary="变更政治面貌/党籍状态")
def people_status(request, person_id: int, payload: StatusChangeIn):
    person = get_object(request, DETAIL, person_id, write=True)
    person = services.person_change_status(actor=request.user, person=person, **payload.model_dump())
    return person_dict(_fresh(person))


@router.post("/people/{person_id}/move", response={200: PersonOut, **ERRORS}, summary="组织关系转接（辖区内）")
def people_move(request, person_id: int, payload: PersonMoveIn):
    person = get_object(request, DETAIL, person_id, write=True)
    new_org = ref(request, Organisation.objects, payload.org, "org", write=True)
    person = services.person_move(actor=request.user, person=person, new_org=new_org,
                                  effective_on=payload.effective_on, note=payload.note)
    return person_dict(_fresh(person))


@router.post("/people/{person_id}/unmask", response={200: UnmaskOut, **ERRORS}, summary="查看完整身份证号和手机号")
def people_unmask(request, person_id: int):
    """仅本组织的组织管理员和书记可用；每次查看记入审计日志。"""
    person = get_object(request, DETAIL, person_id)
    if not scoping.can_unmask(request.user, person.org):
        scoping.deny(request, "members.person", person_id, forbidden=True)
    return services.person_unmask(actor=request.user, person=person)


@router.get("/people/{person_id}/status-events", response={200: Page[StatusEventOut], **ERRORS},
            summary="政治面貌变更记录")
def people_status_events(request, person_id: int, paging: Query[Paging]):
    person = get_object(request, DETAIL, person_id)

    def rows(events):
        return [{"id": e.pk, "status": e.status, "status_label": e.get_status_display(),
                 "previous_status": e.previous_status, "effective_on": e.effective_on, "decided_by": e.decided_by,
                 "decision_date": e.decision_date, "approval_no": e.approval_no, "note": e.note,
                 "recorded_at": e.recorded_at} for e in events]

    return page(person.status_events.order_by("effective_on", "id"), paging, rows)


@router.get("/people/{person_id}/memberships", response={200: Page[MembershipOut], **ERRORS},
            summary="组织关系记录")
def people_memberships(request, person_id: int, paging: Query[Paging]):
    person = get_object(request, DETAIL, person_id)

    def rows(memberships):
        return [{"id": m.pk, "org": ref_dict(m.org), "started_on": m.started_on, "ended_on": m.ended_on}
                for m in memberships]

    return page(person.memberships.select_related("org").order_by("started_on", "id"), paging, rows)
