"""API of the points app (党员积分): the scores of a subtree for a year (or any period), and one member's
breakdown with the records behind each quantity. Read only: scores are computed from the records."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from dangjian.api.common import get_object, page, require_party_scope
from dangjian.api.schemas import ErrorOut, Id, Page, Paging, Ref, Text
from dangjian.dues.selectors import pick_org, scope_orgs
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation

from . import selectors

router = Router(tags=["党员积分"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class Period(Schema):
    year: int | None = Field(None, ge=1949, le=2100, description="年度（默认今年）")
    start: date | None = Field(None, description="期间开始（与 end 同时给出时代替 year）")
    end: date | None = Field(None, description="期间结束（含）")


class ScoreFilters(Period):
    org: Id | None = Field(None, description="党组织（含下级；默认您范围内最大的组织）")
    q: Text(50) = Field("", description="按姓名搜索")


class PointsRecordOut(Schema):
    date: date
    text: str
    quantity: str


class LineOut(Schema):
    key: str = Field(..., description="积分项目，如 life.attendance")
    label: str
    unit: str
    quantity: str
    points: str = Field(..., description="每单位分值（负数为扣分）")
    cap: str | None = Field(None, description="年度上限（分）")
    subtotal: str = Field(..., description="数量 × 分值，按上限封顶")
    capped: bool
    records: list[PointsRecordOut] = Field(default_factory=list, description="数量所依据的记录（仅个人明细）")


class RuleSetRef(Schema):
    origin: str = Field(..., description="平台默认 / 本组织制定 / 沿用某组织的办法")
    org: Ref | None = None
    basis: str


class ScoreOut(Schema):
    rank: int
    person: Ref
    org_name: str
    base: str
    total: str
    lines: list[LineOut]
    rule_set: RuleSetRef


class ScorePage(Page[ScoreOut]):
    start: date
    end: date


class PersonScoreOut(ScoreOut):
    start: date
    end: date


def _period(filters):
    if filters.start is not None and filters.end is not None:
        if filters.start > filters.end:
            raise ValidationError({"start": "期间开始不能晚于结束。"})
        return filters.start, filters.end
    return selectors.year_period(filters.year or timezone.localdate().year)


def _num(value):
    return None if value is None else str(value)


def _score_dict(score, *, records=False):
    effective = score.effective
    return {
        "rank": score.rank, "person": {"id": score.person_id, "name": score.name}, "org_name": score.org_name,
        "base": str(score.base), "total": str(score.total),
        "rule_set": {"origin": effective.origin_label, "basis": effective.basis,
                     "org": {"id": effective.from_org_id, "name": effective.from_org_name}
                     if effective.from_org_id else None},
        "lines": [{"key": line.rule.key, "label": line.rule.label, "unit": line.rule.unit,
                   "quantity": str(line.quantity), "points": str(line.rule.points), "cap": _num(line.rule.cap),
                   "subtotal": str(line.subtotal), "capped": line.capped,
                   "records": [{"date": d, "text": text, "quantity": str(n)} for d, text, n in line.records]
                   if records else []} for line in score.lines]}


@router.get("/points/scores", response={200: ScorePage, **ERRORS}, summary="党员积分（组织及下级）")
def points_scores(request, filters: Query[ScoreFilters], paging: Query[Paging]):
    """组织（含下级）全体党员的积分与名次（同分同名次），由记录自动计算；下级组织另订积分办法的按其办法。"""
    require_party_scope(request)
    if filters.org is not None:
        org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
    else:
        org = pick_org(scope_orgs(request.user), None)
    start, end = _period(filters)
    scores = selectors.subtree_scores(org, start, end, q=filters.q) if org is not None else []
    return page(scores, paging, lambda rows: [_score_dict(s) for s in rows], extra={"start": start, "end": end})


@router.get("/points/people/{person_id}", response={200: PersonScoreOut, **ERRORS}, summary="党员的积分明细")
def points_person(request, person_id: int, filters: Query[Period]):
    """基础分 + 各项（数量 × 分值，封顶）= 总分，并列出每项数量所依据的记录。党员本人可查看自己的积分。"""
    person = get_object(request, Person.objects.select_related("org"), person_id)
    start, end = _period(filters)
    score = selectors.person_score(person, start, end)
    return {**_score_dict(score, records=True), "start": start, "end": end}
