"""API of the terms app (换届选举): elections and terms of a subtree, and recording an election through the
same service as the page (the electors due are computed; a rule broken → 422 naming the rule); the winners' posts,
the higher organisation's approval, deleting a pending election, and 延期换届 (request and approval) — the same
service functions as the election page."""

from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from dangjian.api.common import get_object, page, ref, ref_dict, require_party_scope, require_write_scope
from dangjian.api.schemas import Choice, DeletedOut, ErrorOut, Id, In, Page, Paging, Ref, Text
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation

from . import selectors, services
from .models import ELECTED_POSTS, Candidate, Election, TermExtension

router = Router(tags=["换届选举"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CandidateOut(Schema):
    person: Ref
    votes: int
    elected: bool
    rank: int | None
    post: str
    post_label: str


class ElectionOut(Schema):
    id: int
    org: Ref
    held_on: date
    method: Election.Method
    method_label: str
    seats: int
    electors_due: int = Field(..., description="应到有选举权人数（系统按选举日计算）")
    electors_present: int
    ballots_cast: int
    invalid_ballots: int
    blank_ballots: int
    override_reason: str
    result_note: str
    note: str
    status: Choice(Election.Status)
    status_label: str
    approval_authority: str
    approval_no: str
    approved_on: date | None
    candidates: list[CandidateOut]


class ElectionFilters(Schema):
    org: Id | None = Field(None, description="该组织及其下级的选举")


class CandidateIn(In):
    person: Id
    votes: int = Field(..., ge=0, le=1_000_000, description="得票数")


class ElectionIn(In):
    org: Id
    held_on: date
    method: Election.Method = Election.Method.COMPETITIVE
    seats: int = Field(..., ge=1, le=60)
    electors_present: int = Field(..., ge=0, le=1_000_000, description="实到有选举权人数（只计正式党员）")
    ballots_cast: int = Field(..., ge=0, le=1_000_000)
    invalid_ballots: int = Field(0, ge=0, le=1_000_000)
    blank_ballots: int = Field(0, ge=0, le=1_000_000)
    candidates: list[CandidateIn] = Field(..., max_length=60)
    override_reason: Text(200) = Field("", description="候选人数未达到差额比例时的说明")
    note: Text(300) = ""


class TermOut(Schema):
    org: Ref
    kind_label: str
    election_id: int | None
    held_on: date | None
    approved: bool
    term_end: date | None = Field(..., description="选举日期 + 任期")
    extended_to: date | None = Field(..., description="经批准延期至")
    days_left: int | None = Field(..., description="距（延期后）届满的天数，负数为已逾期")
    state: Choice(selectors.State)
    state_label: str


class TermFilters(Schema):
    org: Id | None = Field(None, description="该组织及其下级（默认：您可见的全部组织）")
    on: date | None = Field(None, description="计算日期，默认今天")


def election_dict(e):
    return {
        "id": e.pk, "org": ref_dict(e.org), "held_on": e.held_on, "method": e.method,
        "method_label": e.get_method_display(), "seats": e.seats, "electors_due": e.electors_due,
        "electors_present": e.electors_present, "ballots_cast": e.ballots_cast, "invalid_ballots": e.invalid_ballots,
        "blank_ballots": e.blank_ballots, "override_reason": e.override_reason, "result_note": e.result_note,
        "note": e.note, "status": e.status, "status_label": e.get_status_display(),
        "approval_authority": e.approval_authority, "approval_no": e.approval_no, "approved_on": e.approved_on,
        "candidates": [{"person": ref_dict(c.person), "votes": c.votes, "elected": c.elected, "rank": c.rank,
                        "post": c.post, "post_label": c.get_post_display()} for c in e.candidates.all()],
    }


def _elections(user):
    return (selectors.elections_for(user).select_related("org")
            .prefetch_related(Prefetch("candidates", queryset=Candidate.objects.select_related("person"))))


@router.get("/terms/elections", response={200: Page[ElectionOut], **ERRORS}, summary="换届选举记录")
def terms_elections_list(request, filters: Query[ElectionFilters], paging: Query[Paging]):
    """您范围内（或所给组织及其下级）的换届选举，按选举日期倒序。"""
    require_party_scope(request)
    qs = _elections(request.user)
    if filters.org is not None:
        org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        qs = qs.filter(org__path__startswith=org.path)
    return page(qs.order_by("-held_on", "-id"), paging, lambda rows: [election_dict(e) for e in rows])


@router.get("/terms/elections/{election_id}", response={200: ElectionOut, **ERRORS}, summary="换届选举详情")
def terms_elections_detail(request, election_id: int):
    return election_dict(get_object(request, _elections(request.user), election_id))


@router.post("/terms/elections", response={201: ElectionOut, **ERRORS}, summary="登记换届选举")
def terms_elections_create(request, payload: ElectionIn):
    """应到有选举权人数按选举日的组织关系计算（正式党员，不含受留党察看处分的党员）。实到须超过应到的五分之四；
    差额选举候选人数多于应选人数20%（向上取整）；计票不符、候选人不是本组织正式党员等一律拒绝（422，说明所依据的规则）。
    当选人（得票超过实到人数一半，按得票多少，至多应选名额）由系统计算。"""
    require_write_scope(request)
    data = payload.model_dump()
    org = ref(request, Organisation.objects, data.pop("org"), "org", write=True)
    candidates = [(ref(request, Person.objects, c["person"], "candidates"), c["votes"]) for c in data.pop("candidates")]
    election = services.election_record(actor=request.user, org=org, candidates=candidates, **data)
    return Status(201, election_dict(_elections(request.user).get(pk=election.pk)))


@router.get("/terms/status", response={200: Page[TermOut], **ERRORS}, summary="各组织任期与换届状态")
def terms_status(request, filters: Query[TermFilters], paging: Query[Paging]):
    """党委、党总支、党支部的上次选举、届满日期、剩余天数和状态（届满前90天提示、60天即将到期、届满次日起逾期）。"""
    require_party_scope(request)
    orgs = Organisation.objects.visible_to(request.user)
    if filters.org is not None:
        org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        orgs = orgs.filter(path__startswith=org.path)
    terms = selectors.terms_for(orgs, filters.on or timezone.localdate())
    return page(terms, paging, lambda rows: [
        {"org": ref_dict(t.org), "kind_label": t.org.get_kind_display(), "election_id": t.election_id,
         "held_on": t.held_on, "approved": t.approved, "term_end": t.end, "extended_to": t.extended_to,
         "days_left": t.days_left, "state": t.state, "state_label": t.state_label} for t in rows])


# --- after the election: posts, approval, deletion, 延期换届 ----------------------------------------


class PostIn(In):
    person: Id = Field(..., description="当选人（人员 id）")
    post: Literal[tuple(v for v, _ in ELECTED_POSTS)] = Field(
        ..., description="分工职务：" + "、".join(f"{v}（{label}）" for v, label in ELECTED_POSTS))


class PostsIn(In):
    posts: list[PostIn] = Field(..., max_length=60, description="每一名当选人的分工（书记须为1人）")


class ApprovalIn(In):
    approval_authority: Text(100) = Field(..., description="批复（批准）机关")
    approval_no: Text(60) = Field(..., description="批复（批准）文号")
    approved_on: date = Field(..., description="批复（批准）日期，不早于选举日期、不晚于今天")


class ExtensionIn(In):
    extended_to: date = Field(..., description="延期至（晚于本届届满日，一般不超过1年）")
    reason: Text(300) = Field(..., description="延期理由")


class ExtensionOut(Schema):
    id: int
    org: Ref
    election_id: int
    extended_to: date
    reason: str
    status: Choice(TermExtension.Status)
    status_label: str
    approval_authority: str
    approval_no: str
    approved_on: date | None


def extension_dict(x):
    return {"id": x.pk, "org": ref_dict(x.org), "election_id": x.election_id, "extended_to": x.extended_to,
            "reason": x.reason, "status": x.status, "status_label": x.get_status_display(),
            "approval_authority": x.approval_authority, "approval_no": x.approval_no, "approved_on": x.approved_on}


def _election(request, election_id, *, write=False):
    return get_object(request, Election.objects.select_related("org"), election_id, write=write)


def _fresh(request, election):
    return election_dict(_elections(request.user).get(pk=election.pk))


@router.post("/terms/elections/{election_id}/posts", response={200: ElectionOut, **ERRORS}, summary="确定委员分工")
def terms_election_posts_set(request, election_id: int, payload: PostsIn):
    """与选举页面相同的服务：为每一名当选人确定分工（书记须为1人，书记党龄须满规则年限）。已批复的选举 422。
    posts 中的人员不是本次当选人时 422（errors.posts）。"""
    election = _election(request, election_id, write=True)
    winners = {c.person_id: c.pk for c in election.candidates.filter(elected=True)}
    posts = {}
    for row in payload.posts:
        if row.person not in winners:
            raise ValidationError({"posts": "只能为本次选举的当选人确定分工。"})
        posts[winners[row.person]] = row.post
    services.election_posts_set(actor=request.user, election=election, posts=posts)
    return _fresh(request, election)


@router.post("/terms/elections/{election_id}/approve", response={200: ElectionOut, **ERRORS}, summary="登记批复")
def terms_election_approve(request, election_id: int, payload: ApprovalIn):
    """登记上级党组织的批复：上届班子成员离任、新一届班子成员任职，均以批复日期为准（与页面相同）。"""
    election = _election(request, election_id, write=True)
    services.election_approve(actor=request.user, election=election, **payload.model_dump())
    return _fresh(request, election)


@router.delete("/terms/elections/{election_id}", response={200: DeletedOut, **ERRORS}, summary="删除选举记录")
def terms_election_delete(request, election_id: int):
    """只能删除尚未批复的选举记录（已批复 422）；记入审计。"""
    services.election_delete(actor=request.user, election=_election(request, election_id, write=True))
    return {"id": election_id, "deleted": True}


@router.post("/terms/elections/{election_id}/extensions", response={201: ExtensionOut, **ERRORS},
             summary="申请延期换届")
def terms_extension_request(request, election_id: int, payload: ExtensionIn):
    """只能为本组织现任一届（最近一次选举）申请；已有待批准的申请 409。"""
    election = _election(request, election_id, write=True)
    extension = services.extension_request(actor=request.user, election=election, **payload.model_dump())
    return Status(201, extension_dict(extension))


@router.post("/terms/extensions/{extension_id}/approve", response={200: ExtensionOut, **ERRORS},
             summary="登记延期换届的批准")
def terms_extension_approve(request, extension_id: int, payload: ApprovalIn):
    extension = get_object(request, TermExtension.objects.select_related("org", "election"), extension_id, write=True)
    extension = services.extension_approve(actor=request.user, extension=extension, **payload.model_dump())
    return extension_dict(extension)
