"""API of the review app (民主评议党员): read rounds and their results; a member submits his self-review.

Permissions are the pages': rounds and results for the organisation roles of the branch's line (tallies only once
evaluation has ended); the self-review for a member on the round's list. Creating, changing, deleting and advancing
a round, who takes part, the committee's grades, the staff codes and the 处置 of members graded 不合格 go through the
pages' services (writers of the round's branch). Peer and staff ballots stay on the pages (they are anonymous by
design).
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from dangjian.api.common import page, ref, ref_dict, require_party_scope, require_write_scope
from dangjian.api.schemas import MAX_ID, Choice, DeletedOut, ErrorOut, Id, In, Page, Paging, Ref, Text
from dangjian.core import scoping

from . import selectors, services
from .models import FollowUp, Grade, Round

router = Router(tags=["民主评议"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class RoundOut(Schema):
    id: int
    org: Ref
    year: int
    status: Choice(Round.Status)
    status_label: str
    starts_on: dt.date
    ends_on: dt.date
    opened_on: dt.date | None
    committee_on: dt.date | None
    closed_on: dt.date | None
    note: str
    reviewed: int = Field(..., description="参评党员人数（不含不参加评议的）")
    self_reviewed: int = Field(..., description="已填写自我评价的人数")


class RoundFilters(Schema):
    year: int | None = Field(None, ge=2000, le=2100)
    status: Choice(Round.Status) | None = None


class Counts(Schema):
    excellent: int = Field(..., description="优秀")
    qualified: int = Field(..., description="合格")
    basic: int = Field(..., description="基本合格")
    unqualified: int = Field(..., description="不合格")


class FollowUpOut(Schema):
    measure: str
    measure_label: str
    due_on: dt.date | None
    detail: str
    closed_on: dt.date | None
    outcome: str


class MemberResult(Schema):
    person: Ref
    probationary: bool
    self_review: str
    peer: Counts | None = Field(None, description="党员互评计票（互评截止后才有）")
    staff: Counts | None = Field(None, description="教职工评议计票（互评截止后才有）")
    proposed_grade: Grade | None
    final_grade: Grade | None
    follow_up: FollowUpOut | None


class Satisfaction(Schema):
    satisfied: int
    basic: int
    unsatisfied: int


class ResultsOut(Schema):
    round: RoundOut
    distribution: dict[str, int] = Field(..., description="评定等次 → 人数")
    branch_satisfaction: Satisfaction | None = Field(None, description="教职工对党支部的整体评价（互评截止后才有）")
    members: list[MemberResult]
    exempt: list[Ref] = Field(..., description="不参加评议的党员")


class SelfReviewIn(In):
    text: Text(services.SELF_REVIEW_MAX) = Field(..., description="自我评价（本人，自评互评阶段可修改）")


class SelfReviewOut(Schema):
    round_id: int
    self_review: str
    self_review_on: dt.date


GradeOrEmpty = Choice(Grade) | None


class GradeIn(In):
    person: Id = Field(..., description="参评党员（人员编号，见评议结果的 members）")
    proposed: GradeOrEmpty = Field(None, description="支委会建议等次；null 或不提交则不改")
    final: GradeOrEmpty = Field(None, description="评定等次；null 或不提交则不改")


class GradesIn(In):
    grades: list[GradeIn] = Field(..., max_length=2000, description="要修改的党员及其等次（未列出的不变）")
    clear: list[Id] = Field(default_factory=list, max_length=2000,
                            description="清除建议等次和评定等次的党员（人员编号）")


class GradesOut(Schema):
    changed: int = Field(..., description="等次有变化的人数")


class StaffCodesIn(In):
    count: int = Field(..., ge=1, le=services.CODES_MAX, description=f"生成数量（1–{services.CODES_MAX}）")


class StaffCodesOut(Schema):
    codes: list[str] = Field(..., description="一次性评议码（只返回这一次，平台只保存摘要）")
    staff_url: str = Field(..., description="教职工输入评议码的页面")


def round_dict(r, reviewed=None, self_reviewed=None):
    return {"id": r.pk, "org": ref_dict(r.org), "year": r.year, "status": r.status,
            "status_label": r.get_status_display(), "starts_on": r.starts_on, "ends_on": r.ends_on,
            "opened_on": r.opened_on, "committee_on": r.committee_on, "closed_on": r.closed_on, "note": r.note,
            "reviewed": r.reviewed if reviewed is None else reviewed,
            "self_reviewed": r.self_reviewed if self_reviewed is None else self_reviewed}


def _round(request, round_id):
    qs = selectors.round_list(request.user, {})[0]
    obj = qs.filter(pk=round_id).first() if 1 <= round_id <= MAX_ID else None
    if obj is None:
        scoping.deny(request, "review.round", round_id)
    return obj


def _counts(values):
    return dict(zip(Grade.values, values))


@router.get("/review/rounds", response={200: Page[RoundOut], **ERRORS}, summary="民主评议列表")
def review_rounds_list(request, filters: Query[RoundFilters], paging: Query[Paging]):
    """您范围内各党支部的民主评议，按年度倒序。"""
    require_party_scope(request)
    params = {"year": str(filters.year or ""), "status": filters.status or ""}
    return page(selectors.round_list(request.user, params)[0], paging, lambda rows: [round_dict(r) for r in rows])


@router.get("/review/rounds/{round_id}", response={200: RoundOut, **ERRORS}, summary="民主评议详情")
def review_rounds_detail(request, round_id: int):
    return round_dict(_round(request, round_id))


@router.get("/review/rounds/{round_id}/results", response={200: ResultsOut, **ERRORS}, summary="民主评议结果")
def review_rounds_results(request, round_id: int):
    """每名参评党员的自我评价、计票（互评截止后）、建议等次、评定等次和不合格处置；等次分布。"""
    r = _round(request, round_id)
    visible = r.results_visible
    members, exempt = [], []
    for row in selectors.subject_rows(r):
        if row.exempt:
            exempt.append(ref_dict(row.person))
            continue
        f = row.follow
        members.append({
            "person": ref_dict(row.person), "probationary": row.probationary, "self_review": row.self_review,
            "peer": _counts(row.peer) if visible else None, "staff": _counts(row.staff) if visible else None,
            "proposed_grade": row.proposed_grade or None, "final_grade": row.final_grade or None,
            "follow_up": {"measure": f.measure, "measure_label": f.get_measure_display(), "due_on": f.due_on,
                          "detail": f.detail, "closed_on": f.closed_on, "outcome": f.outcome} if f else None})
    return {"round": round_dict(r), "distribution": dict(selectors.distribution(r)),
            "branch_satisfaction": {"satisfied": r.staff_satisfied, "basic": r.staff_basic,
                                    "unsatisfied": r.staff_unsatisfied} if visible else None,
            "members": members, "exempt": exempt}


@router.post("/review/rounds/{round_id}/self-review", response={200: SelfReviewOut, **ERRORS},
             summary="提交本人自我评价")
def review_self_review_submit(request, round_id: int, payload: SelfReviewIn):
    """本人（账号关联的党员在本次评议的参评名单中）在自评互评阶段提交或修改自我评价。"""
    subject_rounds = Round.objects.filter(subjects__person__user_id=request.user.pk)
    visible = Round.objects.filter(Q(pk__in=Round.objects.visible_to(request.user).values("pk"))
                                   | Q(pk__in=subject_rounds.values("pk")))
    r = visible.select_related("org").filter(pk=round_id).first() if 1 <= round_id <= MAX_ID else None
    if r is None:
        scoping.deny(request, "review.round", round_id)
    if services.own_subject(request.user, r) is None:
        raise PermissionDenied("您不在本次评议的参评名单中")
    subject = services.self_review_submit(actor=request.user, round=r, text=payload.text)
    return {"round_id": r.pk, "self_review": subject.self_review, "self_review_on": subject.self_review_on}


def _writable_round(request, round_id):
    """The tally and codes pages' fetch: 404 outside the scope (audited), 403 without the write right."""
    r = _round(request, round_id)
    if not scoping.can_write(request.user, r.org):
        scoping.deny(request, "review.round", round_id, forbidden=True)
    return r


@router.post("/review/rounds/{round_id}/grades", response={200: GradesOut, **ERRORS}, summary="支委评定等次")
def review_grades_set(request, round_id: int, payload: GradesIn):
    """与评定页面相同的服务：仅在支委评定阶段；优秀比例按规则（超过时 422，未保存任何修改）；已登记不合格处置的不能改为
    其他等次。取值：excellent 优秀、qualified 合格、basic 基本合格、unqualified 不合格。"""
    r = _writable_round(request, round_id)
    subjects = dict(r.subjects.filter(exempt=False).values_list("person_id", "pk"))
    proposed, final, unknown = {}, {}, []
    for row in payload.grades:
        if row.person not in subjects:
            unknown.append(row.person)
            continue
        if row.proposed is not None:
            proposed[subjects[row.person]] = row.proposed
        if row.final is not None:
            final[subjects[row.person]] = row.final
    for person_id in payload.clear:
        if person_id not in subjects:
            unknown.append(person_id)
            continue
        proposed[subjects[person_id]] = final[subjects[person_id]] = ""
    if unknown:
        raise ValidationError({"grades": f"以下人员不在本次评议的参评名单中：{'、'.join(map(str, unknown[:10]))}。"})
    return {"changed": services.grades_set(actor=request.user, round=r, proposed=proposed, final=final)}


@router.post("/review/rounds/{round_id}/staff-codes", response={201: StaffCodesOut, **ERRORS},
             summary="生成教职工评议码")
def review_staff_codes_create(request, round_id: int, payload: StaffCodesIn):
    """与评议码页面相同的服务：准备或自评互评阶段生成一次性评议码，只返回这一次（平台只保存摘要），记入审计。"""
    r = _writable_round(request, round_id)
    codes = services.staff_codes_generate(actor=request.user, round=r, count=payload.count)
    return Status(201, {"codes": codes, "staff_url": request.build_absolute_uri(reverse("review:staff"))})


# --- the round itself: create, change, delete, advance ---------------------------------------------------------


class RoundIn(In):
    org: Id = Field(..., description="党支部（您有权维护的、未撤销的党支部）")
    year: int = Field(..., ge=2000, le=2100, description="评议年度")
    starts_on: dt.date
    ends_on: dt.date
    note: Text(300) = ""


class RoundPatch(In):
    """Only the fields sent change (the year and the branch are fixed)."""

    starts_on: dt.date = None
    ends_on: dt.date = None
    note: Text(300) = None


class ExemptIn(In):
    person: Id = Field(..., description="参评党员（人员编号）")
    exempt: bool = Field(..., description="true 不参加评议，false 恢复参加")
    reason: Text(200) = Field("", description="不参加评议的原因（exempt=true 时必填）")


class FollowUpIn(In):
    measure: Choice(FollowUp.Measure) = Field(..., description="处置方式")
    due_on: dt.date | None = Field(None, description="改正期限（限期改正时必填）")
    detail: Text(500) = ""
    closed_on: dt.date | None = Field(None, description="办结日期")
    outcome: Text(500) = Field("", description="办结情况（填写办结日期时必填）")


def _writable(request, round_id):
    return _writable_round(request, round_id)


def _subject(request, r, person_id):
    subject = (r.subjects.select_related("person", "round__org").filter(person_id=person_id).first()
               if 1 <= person_id <= MAX_ID else None)
    if subject is None:
        raise ValidationError({"person": "该人员不在本次评议的名单中。"})
    return subject


@router.post("/review/rounds", response={201: RoundOut, **ERRORS}, summary="组织民主评议党员")
def review_rounds_create(request, payload: RoundIn):
    """与创建页面相同的服务：以党支部为单位，每个支部每年度一次（重复 409）。创建后为“准备”阶段。"""
    require_write_scope(request)
    data = payload.model_dump()
    org = ref(request, selectors.writable_branches(request.user), data.pop("org"), "org", write=True)
    r = services.round_create(actor=request.user, org=org, **data)
    return Status(201, round_dict(_round(request, r.pk)))


@router.patch("/review/rounds/{round_id}", response={200: RoundOut, **ERRORS}, summary="修改民主评议")
def review_rounds_update(request, round_id: int, payload: RoundPatch):
    """评议期间和说明；已结束的评议 422。"""
    r = _writable(request, round_id)
    data = {"starts_on": r.starts_on, "ends_on": r.ends_on, "note": r.note, **payload.model_dump(exclude_unset=True)}
    services.round_update(actor=request.user, round=r, **data)
    return round_dict(_round(request, round_id))


@router.delete("/review/rounds/{round_id}", response={200: DeletedOut, **ERRORS}, summary="删除民主评议")
def review_rounds_delete(request, round_id: int):
    """只能删除尚未启动（准备阶段）的评议，否则 422。"""
    services.round_delete(actor=request.user, round=_writable(request, round_id))
    return {"id": round_id, "deleted": True}


@router.post("/review/rounds/{round_id}/advance", response={200: RoundOut, **ERRORS}, summary="推进评议阶段")
def review_rounds_advance(request, round_id: int):
    """准备 → 自评互评（确定参评名单）→ 支委评定（自评互评截止）→ 已结束，与页面的按钮相同；已结束 422。"""
    services.round_advance(actor=request.user, round=_writable(request, round_id))
    return round_dict(_round(request, round_id))


@router.post("/review/rounds/{round_id}/exempt", response={200: RoundOut, **ERRORS}, summary="调整是否参加评议")
def review_subject_exempt(request, round_id: int, payload: ExemptIn):
    """只在自评互评或支委评定阶段；不参加须填写原因；已评定等次的 422。"""
    r = _writable(request, round_id)
    services.subject_exempt(actor=request.user, subject=_subject(request, r, payload.person), exempt=payload.exempt,
                            reason=payload.reason)
    return round_dict(_round(request, round_id))


@router.put("/review/rounds/{round_id}/follow-ups/{person_id}", response={200: FollowUpOut, **ERRORS},
            summary="登记不合格党员的处置")
def review_follow_up_set(request, round_id: int, person_id: int, payload: FollowUpIn):
    """只有评定为不合格的党员；限期改正须有期限，办结须有办结情况（与处置页面相同）。再次提交即修改。"""
    r = _writable(request, round_id)
    follow = services.follow_up_set(actor=request.user, subject=_subject(request, r, person_id),
                                    **payload.model_dump())
    return {"measure": follow.measure, "measure_label": follow.get_measure_display(), "due_on": follow.due_on,
            "detail": follow.detail, "closed_on": follow.closed_on, "outcome": follow.outcome}


@router.delete("/review/rounds/{round_id}/follow-ups/{person_id}", response={200: DeletedOut, **ERRORS},
               summary="删除不合格党员的处置")
def review_follow_up_delete(request, round_id: int, person_id: int):
    """评议结束后不能删除（422）；没有处置记录 404。"""
    r = _writable(request, round_id)
    follow = FollowUp.objects.select_related("subject__round__org", "subject__person").filter(
        subject=_subject(request, r, person_id)).first()
    if follow is None:
        scoping.deny(request, "review.followup", person_id)
    pk = follow.pk
    services.follow_up_delete(actor=request.user, follow_up=follow)
    return {"id": pk, "deleted": True}
