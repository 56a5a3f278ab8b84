"""API of the points app (党员积分): the scores of a subtree for a year (or any period), and one member's
breakdown with the records behind each quantity (scores are computed from the records, never written); the
积分办法 in force at an organisation, and an organisation's own 积分办法 set or removed through the rules page's
services (rule_set_save, rule_set_remove)."""

from datetime import date
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from dangjian.api.common import get_object, page, require_party_scope
from dangjian.api.errors import django_errors
from dangjian.api.schemas import DeletedOut, ErrorOut, Id, In, Page, Paging, Ref, Text
from dangjian.dues.selectors import pick_org, scope_orgs
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation

from . import rulebook, selectors, services

router = Router(tags=["党员积分"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


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


# --- 积分办法 --------------------------------------------------------------------------------------------------------


class RuleLineOut(Schema):
    key: str = Field(..., description="积分项目，如 life.attendance")
    label: str
    unit: str
    points: str = Field(..., description="每单位分值（负数为扣分）")
    cap: str | None = Field(None, description="年度上限（分）")
    default: bool = Field(..., description="取平台默认（本办法未规定该项目）")


class RulesOut(Schema):
    org: Ref
    origin: str = Field(..., description="平台默认 / 本组织制定 / 沿用某组织的办法")
    own: bool = Field(..., description="本组织自己制定的办法")
    from_org: Ref | None = Field(None, description="办法的制定组织（平台默认时为空）")
    base: str = Field(..., description="基础分（每年）")
    basis: str = Field(..., description="制定依据")
    rules: list[RuleLineOut]


Number = Annotated[Decimal, Field(allow_inf_nan=False, description="数字（可为字符串），最多一位小数")]


class RuleIn(In):
    key: Text(64) = Field(..., description="积分项目（见 GET 的 rules[].key）")
    points: Number = Field(..., description="每单位分值（-100 至 100，最多一位小数）")
    cap: Number | None = Field(None, description="年度上限（0.1 至 1000，null 为不设上限）")


class RulesIn(In):
    base: Number = Field(..., description="基础分（0 至 1000）")
    basis: Text(200) = Field(..., description="制定依据（会议决定或文件名称、文号）")
    rules: list[RuleIn] = Field(default_factory=list, max_length=200,
                                description="各积分项目的分值和上限；未列出的项目取平台默认")


def rules_dict(org):
    e = rulebook.effective(org)
    return {"org": {"id": org.pk, "name": org.name}, "origin": e.origin_label, "own": e.own,
            "from_org": {"id": e.from_org_id, "name": e.from_org_name} if e.from_org_id else None,
            "base": _num(e.base), "basis": e.basis,
            "rules": [{"key": r.key, "label": r.label, "unit": r.unit, "points": _num(r.points),
                       "cap": _num(r.cap) if r.cap is not None else None, "default": r.default} for r in e.rules]}


@router.get("/points/rules/{org_id}", response={200: RulesOut, **ERRORS}, summary="组织适用的积分办法")
def points_rules(request, org_id: int):
    """本组织制定的，或沿用最近的上级组织的办法，或平台默认。"""
    return rules_dict(get_object(request, Organisation.objects.all(), org_id, org_attr=None))


@router.put("/points/rules/{org_id}", response={200: RulesOut, **ERRORS}, summary="制定或修改本组织的积分办法")
def points_rules_save(request, org_id: int, payload: RulesIn):
    """与积分办法页面相同的服务：适用于本组织及下级组织（下级自己制定的除外）。数字格式或范围不符、未知的积分项目、
    重复的项目 422，不作任何修改。"""
    org = get_object(request, Organisation.objects.all(), org_id, write=True, org_attr=None)
    rules = {}
    for row in payload.rules:
        if row.key in rules:
            raise ValidationError({"rules": f"积分项目重复：{row.key}。"})
        rules[row.key] = (str(row.points), "" if row.cap is None else str(row.cap))
    try:
        services.rule_set_save(actor=request.user, org=org, base=str(payload.base), basis=payload.basis, rules=rules)
    except ValidationError as exc:
        # The page's per-source fields are p__<key> / c__<key>; the API names them rules.<key>.points / .cap.
        raise ValidationError({_field(key): messages for key, messages in django_errors(exc).items()}) from None
    return rules_dict(org)


def _field(key):
    for prefix, part in (("p__", "points"), ("c__", "cap")):
        if key.startswith(prefix):
            return f"rules.{key[len(prefix):]}.{part}"
    return key


@router.delete("/points/rules/{org_id}", response={200: DeletedOut, **ERRORS}, summary="删除本组织的积分办法")
def points_rules_remove(request, org_id: int):
    """删除后沿用上级组织的办法（或平台默认）；本组织没有自己的办法 422。"""
    org = get_object(request, Organisation.objects.all(), org_id, write=True, org_attr=None)
    services.rule_set_remove(actor=request.user, org=org)
    return {"id": org_id, "deleted": True}
