"""API of the dues app (党费): bases, bills, payments, voluntary payments, arrears and the yearly publication.

The same scope as the pages (a member's dues are visible where the member is; bills also where they were
generated; members see their own), the same services (dangjian.dues.services) for every write.
Money is given as text with two decimals ("64.00").
"""

import re
from datetime import date, datetime
from typing import Annotated, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import BeforeValidator, WithJsonSchema

from dangjian.api.common import get_object, page, ref, ref_dict, require_party_scope, require_write_scope
from dangjian.api.errors import error_response
from dangjian.api.schemas import MAX_ID, ErrorOut, Id, In, Page, Paging, Ref, Text
from dangjian.core import scoping
from dangjian.imports.api import ImportJobOut, job_dict
from dangjian.imports.models import ImportJob
from dangjian.members.models import Person
from dangjian.orgs.models import WRITE_ROLES, Organisation, OrgKind
from dangjian.orgs.selectors import writable_orgs

from . import billing, importing, selectors, services
from .models import Category, DuesBase, DuesBill, DuesPayment, VoluntaryPayment

router = Router(tags=["党费"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# --- input types -----------------------------------------------------------------------------

def _month(value):
    if not isinstance(value, str):
        raise ValueError("月份应为 YYYY-MM 格式的文本，如 2026-03。")
    try:
        return billing.parse_month(value[:20])
    except ValidationError as exc:
        raise ValueError(exc.message_dict["month"][0]) from None


Month = Annotated[date, BeforeValidator(_month),
                  WithJsonSchema({"type": "string", "example": "2026-03", "description": "月份 YYYY-MM"})]

AMOUNT = re.compile(r"-?\d{1,15}(\.\d{1,6})?")


def _amount(value):
    """Plain decimal notation only (no exponents): the services check the range and the two decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("金额应为数字（元），如 64.00。")
    text = value.strip() if isinstance(value, str) else str(value)
    if text and not AMOUNT.fullmatch(text):
        raise ValueError("金额应为数字（元），如 64.00。")
    return text


Amount = Annotated[str, BeforeValidator(_amount),
                   WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string", "maxLength": 22}],
                                   "example": "64.00", "description": "金额（元），最多两位小数"})]


# --- schemas ---------------------------------------------------------------------------------

class BaseOut(Schema):
    id: int
    person: Ref
    category: Category
    category_label: str
    base: str = Field(..., description="计算基数（元/月）")
    effective_month: date = Field(..., description="起始月份（该月1日）")
    source: DuesBase.Source
    source_label: str
    note: str
    created_at: datetime


class BaseSetIn(In):
    category: Category
    base: Amount = Field("", description="计算基数（元/月）；学生/失业/低保、农民为定额，无须填写")
    effective_month: Month
    note: Text(200) = ""


class BillOut(Schema):
    id: int
    person: Ref
    month: date
    org: Ref = Field(..., description="生成账单时所在组织")
    category: Category
    category_label: str
    base: str
    base_month: date | None
    rate: str | None
    rate_label: str
    tier: str
    source: str = Field(..., description="计算依据")
    standard_amount: str
    amount: str = Field(..., description="应缴金额")
    state: Literal["unpaid", "paid", "waived"]
    state_label: str
    adjusted: bool
    approved_by: str
    approved_on: date | None
    approval_no: str
    adjust_reason: str
    payment_id: int | None


class BillFilters(Schema):
    org: Id | None = Field(None, description="生成账单时所在组织（含下级）")
    person: Id | None = None
    month: Month | None = None
    state: Literal["", "unpaid", "paid", "waived"] = ""


class GenerateIn(In):
    org: Id = Field(..., description="为该组织（含下级）的党员生成账单")
    month: Month


class GenerateOut(Schema):
    month: date
    created: int
    existing: int
    missing: list[str] = Field(..., description="未登记党费基数、未生成账单的党员")
    message: str


class AdjustIn(In):
    kind: Literal["reduce", "waive"] = Field(..., description="reduce 减交；waive 免交")
    amount: Amount = Field("", description="减交后金额（减交时填写）")
    approved_by: Text(100) = Field(..., description="批准机关（上一级党委）")
    approved_on: date
    approval_no: Text(60)
    reason: Text(200)


class PaymentOut(Schema):
    id: int
    person: Ref
    org: Ref = Field(..., description="收缴组织")
    paid_on: date
    amount: str
    months: list[date]
    payer_name: str = Field(..., description="代缴人（本人缴纳为空）")
    approved_by: str
    approved_on: date | None
    approval_no: str
    note: str
    created_at: datetime


class PaymentIn(In):
    months: list[Month] = Field(..., min_length=1, max_length=120, description="缴纳的月份")
    paid_on: date
    payer_name: Text(50) = Field("", description="代缴人姓名；本人缴纳留空；组织不得代缴")
    approved_by: Text(100) = Field("", description="补交超过6个月时：批准机关")
    approved_on: date | None = None
    approval_no: Text(60) = ""
    note: Text(200) = ""


class BulkPaymentIn(In):
    person_ids: list[Id] = Field(..., min_length=1, max_length=1000)
    month: Month
    paid_on: date


class BulkPaymentOut(Schema):
    count: int
    items: list[PaymentOut]


class PaymentFilters(Schema):
    org: Id | None = Field(None, description="收缴组织（含下级）")
    person: Id | None = None
    start: date | None = Field(None, description="缴纳日期不早于")
    end: date | None = Field(None, description="缴纳日期不晚于")


class VoluntaryOut(Schema):
    id: int
    person: Ref
    org: Ref
    paid_on: date
    amount: str
    remit_to_centre: bool = Field(..., description="一次1000元以上，全额上缴中央")
    note: str
    created_at: datetime


class VoluntaryIn(In):
    amount: Amount
    paid_on: date
    note: Text(200) = ""


class BaseFilters(Schema):
    org: Id | None = Field(None, description="党员所在组织（含下级）")
    person: Id | None = None


class AccountOut(Schema):
    person: Ref
    org: Ref
    current_base: BaseOut | None
    bills: int = Field(..., description="账单总数")
    unpaid: int = Field(..., description="未缴账单数（含本月）")
    owed: str = Field(..., description="未缴金额合计")
    overdue: int = Field(..., description="逾期未缴月数（本月以前）")
    longest_run: int = Field(..., description="最长连续未缴月数")
    payments: int
    voluntary: int


class ArrearsFilters(Schema):
    org: Id | None = Field(None, description="组织（默认您范围内最高一级）")
    on: date | None = Field(None, description="计算日期，默认今天")


class ArrearsOut(Schema):
    person: Ref
    org_name: str
    count: int = Field(..., description="逾期未缴月数")
    amount: str
    run: int = Field(..., description="最长连续未缴月数")
    run_start: date | None
    run_end: date | None
    months: list[date]


class ArrearsPage(Page[ArrearsOut]):
    org: Ref | None
    on: date


class PublicationFilters(Schema):
    org: Id | None = Field(None, description="组织（默认您范围内最高一级）")
    year: int | None = Field(None, ge=1949, le=2100, description="年度，默认今年")


class PublicationRow(Schema):
    org: Ref
    members: int
    bills: int
    paid_bills: int
    due: str
    collected: str
    owed: str
    voluntary: str
    centre: str = Field(..., description="上缴中央的自愿多交党费")
    rate: str = Field(..., description="收缴率")


class PublicationTotals(Schema):
    members: int
    bills: int
    paid_bills: int
    due: str
    collected: str
    owed: str
    voluntary: str
    centre: str
    rate: str


class PublicationPage(Page[PublicationRow]):
    org: Ref | None
    year: int
    totals: PublicationTotals | None


# --- helpers ---------------------------------------------------------------------------------

def require_dues_reader(request):
    """Org roles read the dues of their scope; a member with a linked record reads their own (as the pages)."""
    user = request.user
    if scoping.has_party_scope(user) or Person.objects.filter(user_id=user.pk).exists():
        return
    raise PermissionDenied("您没有查看党费的权限")


def _person_visible(user):
    """The scope of Person.objects.visible_to(user), on rows that belong to a person."""
    return scoping.scope_q(user, "person__org__path") | Q(person__user_id=user.pk)


def _person(request, person_id, *, write=False):
    return get_object(request, Person.objects.select_related("org"), person_id, write=write)


def _org(request, org_id):
    return get_object(request, Organisation.objects.all(), org_id, org_attr=None)


def _rows(queryset, pk, label, request, *, write=False, org_of=lambda obj: obj.person.org):
    obj = queryset.filter(pk=pk).first() if 1 <= pk <= MAX_ID else None
    if obj is None:
        scoping.deny(request, label, pk)
    if write and not scoping.can_write(request.user, org_of(obj)):
        scoping.deny(request, label, pk, forbidden=True)
    return obj


def money(value):
    return str(selectors.money(value))


def base_dict(b):
    return {"id": b.pk, "person": ref_dict(b.person), "category": b.category,
            "category_label": b.get_category_display(),
            "base": money(b.base), "effective_month": b.effective_month, "source": b.source,
            "source_label": b.get_source_display(), "note": b.note, "created_at": b.created_at}


def bill_dict(b):
    return {"id": b.pk, "person": ref_dict(b.person), "month": b.month, "org": ref_dict(b.org), "category": b.category,
            "category_label": b.get_category_display(), "base": money(b.base), "base_month": b.base_month,
            "rate": str(b.rate) if b.rate is not None else None, "rate_label": b.rate_label, "tier": b.tier,
            "source": b.source, "standard_amount": money(b.standard_amount), "amount": money(b.amount),
            "state": b.state, "state_label": b.state_label, "adjusted": b.adjusted, "approved_by": b.approved_by,
            "approved_on": b.approved_on, "approval_no": b.approval_no, "adjust_reason": b.adjust_reason,
            "payment_id": b.payment_id}


def payments_dicts(payments):
    """PaymentOut dicts; the months each payment covers in one query."""
    months = {}
    ids = [p.pk for p in payments]
    if ids:
        for payment_id, month in (DuesBill.objects.filter(payment_id__in=ids).order_by("month")
                                  .values_list("payment_id", "month")):
            months.setdefault(payment_id, []).append(month)
    return [{"id": p.pk, "person": ref_dict(p.person), "org": ref_dict(p.org), "paid_on": p.paid_on,
             "amount": money(p.amount), "months": months.get(p.pk, []), "payer_name": p.payer_name,
             "approved_by": p.approved_by, "approved_on": p.approved_on, "approval_no": p.approval_no,
             "note": p.note, "created_at": p.created_at} for p in payments]


def voluntary_dict(v):
    return {"id": v.pk, "person": ref_dict(v.person), "org": ref_dict(v.org), "paid_on": v.paid_on,
            "amount": money(v.amount), "remit_to_centre": v.remit_to_centre, "note": v.note,
            "created_at": v.created_at}


BASES = DuesBase.objects.select_related("person", "person__org")
BILLS = DuesBill.objects.select_related("person", "person__org", "org")
PAYMENTS = DuesPayment.objects.select_related("person", "person__org", "org")
VOLUNTARY = VoluntaryPayment.objects.select_related("person", "person__org", "org")


def _person_filter(request, qs, filters):
    if filters.person is not None:
        qs = qs.filter(person=_person(request, filters.person))
    return qs


def _default_org(request, org_id):
    if org_id is not None:
        return _org(request, org_id)
    return selectors.pick_org(selectors.scope_orgs(request.user), None)


# --- a member's account ----------------------------------------------------------------------

@router.get("/dues/people/{person_id}", response={200: AccountOut, **ERRORS}, summary="党员的党费账户")
def dues_account(request, person_id: int):
    """当前类别与基数、欠缴情况（与党费账户页面相同）。明细见 /dues/bills、/dues/payments 等。"""
    person = _person(request, person_id)
    account = selectors.person_account(person, timezone.localdate())
    current = account["current_base"]
    if current is not None:
        current.person = person
    return {"person": ref_dict(person), "org": ref_dict(person.org),
            "current_base": base_dict(current) if current else None, "bills": len(account["bills"]),
            "unpaid": len(account["unpaid"]), "owed": money(account["owed"]), "overdue": account["overdue_count"],
            "longest_run": account["run"], "payments": len(account["payments"]),
            "voluntary": len(account["voluntary"])}


@router.post("/dues/people/{person_id}/bases", response={201: BaseOut, **ERRORS}, summary="登记党费类别与基数")
def dues_base_set(request, person_id: int, payload: BaseSetIn):
    """自起始月份起适用（同一月份再次登记即更正）；该月起尚未缴纳、未减免的账单按新基数重新计算。"""
    person = _person(request, person_id, write=True)
    row = services.base_set(actor=request.user, person=person, category=payload.category, base=payload.base,
                            effective_month=payload.effective_month, note=payload.note)
    return Status(201, base_dict(BASES.get(pk=row.pk)))


@router.post("/dues/people/{person_id}/payments", response={201: PaymentOut, **ERRORS}, summary="登记缴纳党费")
def dues_pay(request, person_id: int, payload: PaymentIn):
    """可一次缴纳多个月；补交超过6个月须填写批准机关、日期和文号（费规 第十二条）；代缴须写明代缴人。"""
    person = _person(request, person_id, write=True)
    payment = services.payment_record(actor=request.user, person=person, **payload.model_dump())
    return Status(201, payments_dicts([PAYMENTS.get(pk=payment.pk)])[0])


@router.post("/dues/people/{person_id}/voluntary", response={201: VoluntaryOut, **ERRORS},
             summary="登记自愿多交党费")
def dues_voluntary_add(request, person_id: int, payload: VoluntaryIn):
    """单独登记，不计入按月应缴金额；一次1000元以上的全额上缴中央。"""
    person = _person(request, person_id, write=True)
    payment = services.voluntary_record(actor=request.user, person=person, **payload.model_dump())
    return Status(201, voluntary_dict(VOLUNTARY.get(pk=payment.pk)))


# --- bases -----------------------------------------------------------------------------------

@router.get("/dues/bases", response={200: Page[BaseOut], **ERRORS}, summary="党费基数记录")
def dues_bases_list(request, filters: Query[BaseFilters], paging: Query[Paging]):
    """您范围内党员的党费类别与基数（党员：本人的），按党员、起始月份排序。"""
    require_dues_reader(request)
    qs = _person_filter(request, BASES.visible_to(request.user), filters)
    if filters.org is not None:
        qs = qs.filter(person__org__path__startswith=_org(request, filters.org).path)
    return page(qs.order_by("person__name", "person_id", "-effective_month", "-id"), paging,
                lambda rows: [base_dict(b) for b in rows])


@router.get("/dues/bases/{base_id}", response={200: BaseOut, **ERRORS}, summary="党费基数记录详情")
def dues_bases_detail(request, base_id: int):
    return base_dict(_rows(BASES.visible_to(request.user), base_id, "dues.duesbase", request))


# --- bills -----------------------------------------------------------------------------------

@router.get("/dues/bills", response={200: Page[BillOut], **ERRORS}, summary="党费账单")
def dues_bills_list(request, filters: Query[BillFilters], paging: Query[Paging]):
    """您范围内党员的账单和在您范围内生成的账单（党员：本人的），含计算依据（基数、档次、比例）。"""
    require_dues_reader(request)
    qs = _person_filter(request, BILLS.visible_to(request.user), filters)
    if filters.org is not None:
        qs = qs.filter(org__path__startswith=_org(request, filters.org).path)
    if filters.month is not None:
        qs = qs.filter(month=filters.month)
    if filters.state == "unpaid":
        qs = qs.unpaid()
    elif filters.state == "paid":
        qs = qs.filter(payment__isnull=False)
    elif filters.state == "waived":
        qs = qs.filter(waived=True)
    return page(qs.order_by("-month", "org__path", "person__name", "person_id", "id"), paging,
                lambda rows: [bill_dict(b) for b in rows])


@router.post("/dues/bills/generate", response={201: GenerateOut, **ERRORS}, summary="生成某月党费账单")
def dues_bills_generate(request, payload: GenerateIn):
    """为该组织（含下级）的党员生成该月账单；已有账单的不重复生成；未登记基数的党员列在 missing 中。"""
    require_write_scope(request)
    # As on the month page: an organisation not dissolved, not a 党小组 (selectors.scope_orgs).
    org = ref(request, Organisation.objects.active().exclude(kind=OrgKind.GROUP), payload.org, "org", write=True)
    result = services.bills_generate(actor=request.user, month=payload.month, org=org)
    return Status(201, {"month": result.month, "created": result.created, "existing": result.existing,
                        "missing": result.missing, "message": result.message()})


@router.get("/dues/bills/{bill_id}", response={200: BillOut, **ERRORS}, summary="党费账单详情")
def dues_bills_detail(request, bill_id: int):
    return bill_dict(_rows(BILLS.visible_to(request.user), bill_id, "dues.duesbill", request))


@router.post("/dues/bills/{bill_id}/adjust", response={200: BillOut, **ERRORS}, summary="减交或免交")
def dues_bills_adjust(request, bill_id: int, payload: AdjustIn):
    """须经支部研究、上一级党委批准（费规 第七条）：填写批准机关、日期、文号和理由。"""
    bill = _rows(BILLS.visible_to(request.user), bill_id, "dues.duesbill", request, write=True)
    data = payload.model_dump()
    waive = data.pop("kind") == "waive"
    services.bill_adjust(actor=request.user, bill=bill, waive=waive, **data)
    return bill_dict(BILLS.get(pk=bill.pk))


def _paid_filter(request, queryset, filters):
    """Payments (regular or voluntary) visible to the user, filtered by person, organisation and date."""
    qs = _person_filter(request, queryset.filter(_person_visible(request.user)), filters)
    if filters.org is not None:
        qs = qs.filter(org__path__startswith=_org(request, filters.org).path)
    if filters.start is not None:
        qs = qs.filter(paid_on__gte=filters.start)
    if filters.end is not None:
        qs = qs.filter(paid_on__lte=filters.end)
    return qs.order_by("-paid_on", "-id")


# --- payments --------------------------------------------------------------------------------

@router.get("/dues/payments", response={200: Page[PaymentOut], **ERRORS}, summary="党费缴纳记录")
def dues_payments_list(request, filters: Query[PaymentFilters], paging: Query[Paging]):
    require_dues_reader(request)
    qs = _paid_filter(request, PAYMENTS, filters)
    return page(qs, paging, payments_dicts)


@router.post("/dues/payments/bulk", response={201: BulkPaymentOut, **ERRORS}, summary="批量登记某月党费")
def dues_payments_bulk(request, payload: BulkPaymentIn):
    """为多名党员登记同一月份的缴费：全部通过才登记，任何一人有误则都不登记。"""
    require_write_scope(request)
    payments = services.payments_record_bulk(actor=request.user, person_ids=payload.person_ids,
                                             month=payload.month, paid_on=payload.paid_on)
    rows = list(PAYMENTS.filter(pk__in=[p.pk for p in payments]).order_by("person__name", "id"))
    return Status(201, {"count": len(rows), "items": payments_dicts(rows)})


@router.get("/dues/payments/{payment_id}", response={200: PaymentOut, **ERRORS}, summary="党费缴纳记录详情")
def dues_payments_detail(request, payment_id: int):
    qs = PAYMENTS.filter(_person_visible(request.user))
    return payments_dicts([_rows(qs, payment_id, "dues.duespayment", request)])[0]


# --- voluntary payments ----------------------------------------------------------------------

@router.get("/dues/voluntary", response={200: Page[VoluntaryOut], **ERRORS}, summary="自愿多交党费记录")
def dues_voluntary_list(request, filters: Query[PaymentFilters], paging: Query[Paging]):
    require_dues_reader(request)
    qs = _paid_filter(request, VOLUNTARY, filters)
    return page(qs, paging, lambda rows: [voluntary_dict(v) for v in rows])


@router.get("/dues/voluntary/{payment_id}", response={200: VoluntaryOut, **ERRORS}, summary="自愿多交党费详情")
def dues_voluntary_detail(request, payment_id: int):
    qs = VOLUNTARY.filter(_person_visible(request.user))
    return voluntary_dict(_rows(qs, payment_id, "dues.voluntarypayment", request))


# --- arrears and publication -----------------------------------------------------------------

@router.get("/dues/arrears", response={200: ArrearsPage, **ERRORS}, summary="欠缴党费的党员")
def dues_arrears(request, filters: Query[ArrearsFilters], paging: Query[Paging]):
    """该组织（含下级）现有党员中有逾期未缴账单的，按最长连续未缴月数排序。"""
    require_party_scope(request)
    org = _default_org(request, filters.org)
    on = filters.on or timezone.localdate()
    rows = selectors.arrears(org, on) if org is not None else []

    def items(entries):
        return [{"person": {"id": e["person_id"], "name": e["name"]}, "org_name": e["org_name"], "count": e["count"],
                 "amount": money(e["amount"]), "run": e["run"], "run_start": e["run_start"],
                 "run_end": e["run_end"], "months": e["months"]} for e in entries]

    return page(rows, paging, items, extra={"org": ref_dict(org) if org else None, "on": on})


@router.get("/dues/publication", response={200: PublicationPage, **ERRORS}, summary="党费收缴公示（年度）")
def dues_publication(request, filters: Query[PublicationFilters], paging: Query[Paging]):
    """各组织（生成账单时所在组织）的年度收缴情况和自愿多交党费，与公示页面相同。"""
    require_party_scope(request)
    org = _default_org(request, filters.org)
    year = filters.year or timezone.localdate().year
    rows, totals = selectors.publication(org, year) if org is not None else ([], None)

    def items(entries):
        return [{"org": {"id": r["org_id"], "name": r["org__name"]}, "members": r["members"], "bills": r["bills"],
                 "paid_bills": r["paid_bills"], "due": money(r["due"]), "collected": money(r["collected"]),
                 "owed": money(r["owed"]), "voluntary": money(r["voluntary"]), "centre": money(r["centre"]),
                 "rate": r["rate"]} for r in entries]

    if totals is not None:
        totals = {k: (money(v) if k in ("due", "collected", "owed", "voluntary", "centre") else v)
                  for k, v in totals.items()}
    return page(rows, paging, items, extra={"org": ref_dict(org) if org else None, "year": year, "totals": totals})


# --- payroll import (工资表导入党费基数) ------------------------------------------------------------
# The page's two steps: upload (the file is kept in an ImportJob private to the uploader), then the column
# mapping and confirm. Both go through the page's services (dangjian.dues.importing: payroll_submit, then
# payroll_columns and payroll_confirm = mapping_save + payroll_import). Step 2 may be sent straight after step 1
# with no `columns` at all: the organisation's remembered mapping (else the guess from the header text) is used,
# exactly the mapping screen's initial values.

PayrollRole = Literal[tuple(role for role, _ in importing.ROLES)]


class PayrollColumnOut(Schema):
    header: str = Field(..., description="表头（已去掉空格和*）")
    role: PayrollRole = Field(..., description="建议的用途：本组织上次保存的列对应，否则按表头文字推测")
    role_label: str


class PayrollUploadOut(Schema):
    job: ImportJobOut
    org: Ref
    columns: list[PayrollColumnOut]


class PayrollImportIn(In):
    org: Id = Field(..., description="单位（党组织，您任组织管理员或书记、未撤销、不是党小组）")
    effective_month: Month = Field(..., description="工资月份：导入的基数自该月起适用")
    columns: dict[Text(100), PayrollRole] = Field(
        default_factory=dict, description="表头 → 用途（" + "；".join(f"{r} {label}" for r, label in importing.ROLES)
        + "）。未列出的列沿用上传时返回的建议用途。保存为本组织的列对应关系，下次导入时沿用")


def _require_payroll_writer(request):
    """As on the payroll pages: an 组织管理员 or 书记 somewhere (others 403)."""
    if not scoping.scope_paths(request.user, WRITE_ROLES):
        raise PermissionDenied("您没有导入工资表的权限。")


def _payroll_org(request, org_id):
    """The pages' choice of organisations: writable, not dissolved, not a 党小组; any other → 422 on `org`."""
    org = writable_orgs(request.user).exclude(kind=OrgKind.GROUP).filter(pk=org_id).first() if org_id else None
    if org is None:
        raise ValidationError({"org": "不存在或无权访问。"})
    return org


def _columns_out(columns):
    return [{"header": h, "role": role, "role_label": importing.ROLE_LABELS[role]} for h, role in columns.items()]


@router.post("/dues/payroll", response={201: PayrollUploadOut, **ERRORS}, summary="上传工资表（导入党费基数第一步）")
def dues_payroll_upload(request, org: Form[int], file: File[UploadedFile]):
    """multipart/form-data：字段 org（单位，党组织 id）和 file（.xlsx 工资表，第一行为表头），与“工资表导入”页面相同的检查
    （大小、确为 .xlsx、行数），否则 422（errors 的键为 file 或 org）。仅组织管理员、书记（否则 403）。
    返回导入任务（只有上传人本人可见）和每一列的建议用途；第二步 `POST /api/dues/payroll/{job_id}/import`。"""
    _require_payroll_writer(request)
    chosen = _payroll_org(request, org)
    job = importing.payroll_submit(actor=request.user, upload=file)
    columns = importing.payroll_columns(job, chosen)
    job = ImportJob.objects.defer("content").get(pk=job.pk)
    return Status(201, {"job": job_dict(job), "org": ref_dict(chosen), "columns": _columns_out(columns)})


@router.post("/dues/payroll/{job_id}/import", response={200: ImportJobOut, **ERRORS},
             summary="确认列对应并导入党费基数（第二步）")
def dues_payroll_import(request, job_id: int, payload: PayrollImportIn):
    """保存本组织的列对应关系，然后校验每一行：全部无误才写入基数（自工资月份起），并重算该月起未缴的账单，记入审计。
    任何一行有误则不写入任何基数，答 422：detail 说明错误数，errors 按“第N行 列名”列出每一处错误；完整清单也可用
    `GET /api/imports/{job_id}` 查询（任务状态为 failed，可改正列对应后再次提交）。已导入完毕的任务 409。
    仅上传人本人（其他账户 404）。"""
    _require_payroll_writer(request)
    job = get_object(request, ImportJob.objects.all(), job_id)
    org = _payroll_org(request, payload.org)
    columns = importing.payroll_columns(job, org, payload.columns)
    job = importing.payroll_confirm(actor=request.user, job=job, org=org, month=payload.effective_month,
                                    columns=columns)
    if job.status == ImportJob.State.FAILED:
        errors = {}
        for row, column, reason in job.errors or []:
            key = f"第{row}行 {column}".strip() if row else (column or "__all__")
            errors.setdefault(key, []).append(reason)
        return error_response(422, f"工资表有 {len(job.errors)} 处错误，未导入任何数据。", errors)
    return job_dict(ImportJob.objects.defer("content").get(pk=job.pk))
