"""Writes to dues records. Each validates (Chinese errors, nothing changed on bad input), writes and
records its audit row in the same transaction."""

from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, scoping
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person
from dangjian.orgs.models import Organisation

from . import billing, rates
from .billing import month_label
from .models import FIXED_CATEGORIES, Category, DuesBase, DuesBill, DuesPayment, VoluntaryPayment

MAX_VOLUNTARY = Decimal("10000000")
# Words that name an organisation, not a person: organisations may not pay dues for members (费规).
ORG_WORDS = ("党支部", "党总支", "党委", "支部", "学校", "单位", "公司", "工会", "组织", "财务")


def _require_write(actor, org, message="您无权为该组织的党员登记党费。"):
    if actor is not None and not scoping.can_write(actor, org):
        raise ValidationError(message)


def _money(value, field, label):
    if value is None or value == "":
        raise ValidationError({field: f"请填写{label}。"})
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label}不是有效的数字。"}) from None
    if not amount.is_finite():
        raise ValidationError({field: f"{label}不是有效的数字。"})
    if abs(amount) >= Decimal("1e12"):  # beyond any real amount; also keeps quantize() from overflowing
        raise ValidationError({field: f"{label}数额过大。"})
    return amount


def _today():
    return timezone.localdate()


def _approval(approved_by, approved_on, approval_no):
    return bool((approved_by or "").strip() and approved_on and (approval_no or "").strip())


# --- bases ----------------------------------------------------------------------------------------------

def clean_base(category, base):
    """(category, Decimal base) or ValidationError: negative or absurd bases are refused."""
    if category not in Category.values:
        raise ValidationError({"category": "请选择党费类别。"})
    if category in FIXED_CATEGORIES:
        return category, Decimal("0.00")
    amount = _money(base, "base", "计算基数")
    if amount < 0:
        raise ValidationError({"base": "计算基数不能为负数。"})
    if amount > rates.MAX_BASE:
        raise ValidationError({"base": "计算基数超过每月100万元，请核对（单位为元/月）。"})
    if amount != amount.quantize(rates.CENT):
        raise ValidationError({"base": "计算基数最多保留两位小数（元、角、分）。"})
    return category, amount


def _check_month(month, field="effective_month"):
    if month is None:
        raise ValidationError({field: "请选择月份。"})
    month = billing.month_start(month)
    if month.year < 1949 or month > billing.month_start(_today()) + billing.relativedelta(months=12):
        raise ValidationError({field: "月份超出范围（最晚为12个月以后）。"})
    return month


@transaction.atomic
def base_set(*, actor, person, category, base, effective_month, note="", source=DuesBase.Source.MANUAL):
    """Record a member's category and base from a month on (the same month again corrects it), then
    recompute the member's unpaid, unadjusted bills from that month on."""
    person = Person.objects.select_for_update(of=("self",)).select_related("org").get(pk=person.pk)
    _require_write(actor, person.org, "您无权维护该党员的党费基数。")
    if person.status not in PARTY_MEMBER_STATUSES:
        raise ValidationError(f"{person.name}不是党员（{person.get_status_display()}），无须登记党费基数。")
    category, base = clean_base(category, base)
    month = _check_month(effective_month)
    row = DuesBase.objects.filter(person=person, effective_month=month).first()
    before = None
    if row is None:
        row = DuesBase(person=person, effective_month=month)
    else:
        before = {"category": row.get_category_display(), "base": str(row.base)}
    row.category, row.base, row.source = category, base, source
    row.note = (note or "").strip()[:200]
    row.created_by = actor if getattr(actor, "is_authenticated", False) else None
    row.save()
    changed = recompute_bills(person=person, from_month=month)
    audit.record(actor=actor, event=audit.Event.UPDATE if before else audit.Event.CREATE, obj=person,
                 object_repr=f"{person.name} 党费基数", changes={
                     "before": before or {}, "after": {"category": row.get_category_display(), "base": str(base),
                                                       "effective_month": month.isoformat()},
                     "bills_recomputed": changed})
    return row


def recompute_bills(*, person, from_month):
    """Recompute one person's unpaid, unadjusted bills from `from_month` on (the caller holds the transaction)."""
    return recompute_bills_bulk(people=[person], from_month=from_month)


def recompute_bills_bulk(*, people, from_month):
    """Recompute the unpaid, unadjusted bills of these people from `from_month` on, in three queries and one
    bulk update (the caller holds the transaction). Under the yearly policy the January base still applies
    for the rest of the year."""
    by_id = {p.pk: p for p in people}
    bills = list(DuesBill.objects.select_for_update().filter(
        person_id__in=list(by_id), month__gte=from_month, payment__isnull=True, adjusted=False))
    if not bills:
        return 0
    history = defaultdict(list)
    for row in DuesBase.objects.filter(person_id__in=list(by_id)).order_by("person_id", "effective_month"):
        history[row.person_id].append(row)
    policy = billing.policy_for({p.org for p in people})
    fields = ("category", "base", "base_month", "rate", "tier", "source", "standard_amount", "amount")
    changed = []
    for bill in bills:
        person = by_id[bill.person_id]
        settings = policy.at(person.org)
        row = billing.base_in_effect(history[bill.person_id], bill.month, yearly=settings["yearly"])
        if row is None:
            continue
        fresh = billing.bill_for(person.pk, bill.org_id, bill.month, row, settings)
        if any(getattr(bill, f) != getattr(fresh, f) for f in fields):
            for f in fields:
                setattr(bill, f, getattr(fresh, f))
            changed.append(bill)
    DuesBill.objects.bulk_update(changed, list(fields), batch_size=1000)
    return len(changed)


# --- bills ----------------------------------------------------------------------------------------------

class GenerateResult:
    def __init__(self, month, created, existing, missing):
        self.month, self.created, self.existing, self.missing = month, created, existing, missing

    def message(self):
        text = f"{month_label(self.month)}：新生成账单 {self.created} 张，已有 {self.existing} 张未重复生成"
        if self.missing:
            names = "、".join(self.missing[:10]) + ("等" if len(self.missing) > 10 else "")
            text += f"；{len(self.missing)} 名党员未登记党费基数，未生成账单（{names}）"
        return text + "。"


def bills_generate(*, actor, month, org=None, batch_size=2000):
    """Generate the month's bills for every member of `org`'s subtree (every organisation when `org` is None:
    command line only). Idempotent: members who already have a bill for the month get no second one.
    A fixed number of queries and one bulk insert, whatever the number of members."""
    month = billing.month_start(month)
    if org is None and actor is not None:
        raise ValidationError({"org": "请选择组织。"})
    if org is not None:
        _require_write(actor, org, "您无权为该组织生成党费账单。")
    if month > billing.month_start(_today()):
        raise ValidationError({"month": "不能为将来的月份生成账单。"})
    with transaction.atomic():
        people = billing.billable_people(month, org)
        rows = list(people.values_list("id", "name", "org_id"))
        orgs = Organisation.objects.all() if org is None else Organisation.objects.filter(path__startswith=org.path)
        orgs = {o.pk: o for o in orgs.only("id", "path", "name", "depth")}
        policy = billing.policy_for(orgs.values())
        history = defaultdict(list)
        bases = (DuesBase.objects.filter(person__in=people.values("id"), effective_month__lte=month)
                 .values_list("person_id", "effective_month", "category", "base")
                 .order_by("person_id", "effective_month"))
        for person_id, effective_month, category, base in bases:
            history[person_id].append(billing.BaseRow(effective_month, category, base))
        existing = set(DuesBill.objects.filter(month=month, person__in=people.values("id"))
                       .values_list("person_id", flat=True))
        new, missing, assessed = [], [], {}
        for person_id, name, org_id in rows:
            if person_id in existing:
                continue
            settings = policy.at(orgs[org_id])
            row = billing.base_in_effect(history.get(person_id, ()), month, yearly=settings["yearly"])
            if row is None:
                missing.append(name)
                continue
            new.append(billing.bill_for(person_id, org_id, month, row, settings, cache=assessed))
        DuesBill.objects.bulk_create(new, batch_size=batch_size)
        result = GenerateResult(month, len(new), len(existing), missing)
        audit.record(actor=actor, event=audit.Event.CREATE, object_type="dues.duesbill",
                     object_id=str(org.pk) if org else "", username="(命令行)" if actor is None else None,
                     object_repr=f"{org.name if org else '全部组织'} {month_label(month)}党费账单",
                     changes={"month": month.isoformat(), "created": len(new), "existing": len(existing),
                              "missing_base": len(missing)})
    return result


@transaction.atomic
def bill_adjust(*, actor, bill, waive, amount=None, approved_by="", approved_on=None, approval_no="", reason=""):
    """Reduce (减交) or waive (免交) an unpaid bill: needs the approval recorded (费规 第七条)."""
    bill = DuesBill.objects.select_for_update(of=("self",)).select_related("person__org").get(pk=bill.pk)
    _require_write(actor, bill.person.org)
    if bill.payment_id:
        raise ValidationError(f"{month_label(bill.month)}党费已缴纳，不能再减免。")
    if bill.waived:
        raise ValidationError(f"{month_label(bill.month)}党费已免交。")
    errors = {}
    if not (approved_by or "").strip():
        errors["approved_by"] = "请填写批准机关（上一级党委）。"
    if not approved_on:
        errors["approved_on"] = "请填写批准日期。"
    elif approved_on > _today():
        errors["approved_on"] = "批准日期不能晚于今天。"
    if not (approval_no or "").strip():
        errors["approval_no"] = "请填写批准文号。"
    if not (reason or "").strip():
        errors["reason"] = "请填写减免理由。"
    new_amount = Decimal("0.00")
    if not waive:
        try:
            new_amount = _money(amount, "amount", "减交后金额")
        except ValidationError as exc:
            errors.update(exc.message_dict)
        else:
            if new_amount != new_amount.quantize(rates.CENT) or not Decimal("0") < new_amount < bill.standard_amount:
                errors["amount"] = f"减交后金额须大于0且小于标准金额{bill.standard_amount}元（全免请选择免交）。"
    if errors:
        raise ValidationError(errors)
    before = {"amount": str(bill.amount), "waived": bill.waived}
    bill.amount = new_amount
    bill.waived = bool(waive)
    bill.adjusted = True
    bill.approved_by, bill.approved_on = approved_by.strip()[:100], approved_on
    bill.approval_no, bill.adjust_reason = approval_no.strip()[:60], reason.strip()[:200]
    bill.save(update_fields=["amount", "waived", "adjusted", "approved_by", "approved_on", "approval_no",
                             "adjust_reason"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=bill, changes={
        "before": before, "after": {"amount": str(bill.amount), "waived": bill.waived},
        "approval": {"approved_by": bill.approved_by, "approved_on": approved_on, "approval_no": bill.approval_no}})
    return bill


# --- payments -------------------------------------------------------------------------------------------

def _payment(actor, person, months, paid_on, payer_name, approved_by, approved_on, approval_no, note, policy):
    """Validate and write one payment (inside the caller's transaction); errors as a list of messages."""
    errors = []
    if not months:
        return None, ["请选择要缴纳的月份。"]
    months = sorted({billing.month_start(m) for m in months})
    bills = {b.month: b for b in DuesBill.objects.select_for_update().filter(person=person, month__in=months)}
    approved = _approval(approved_by, approved_on, approval_no)
    limit = policy["backpay_months"]
    for month in months:
        bill = bills.get(month)
        if bill is None:
            errors.append(f"{person.name}：{month_label(month)}没有党费账单，请先生成账单。")
        elif bill.waived:
            errors.append(f"{person.name}：{month_label(month)}党费已批准免交，无须缴纳。")
        elif bill.payment_id:
            errors.append(f"{person.name}：{month_label(month)}党费已缴纳，不能重复缴纳。")
        elif billing.month_index(paid_on) - billing.month_index(month) > limit and not approved:
            errors.append(f"{person.name}：{month_label(month)}的党费补交已超过{limit}个月，须填写批准机关、批准日期和"
                          f"批准文号（费规 第十二条）。")
    if errors:
        return None, errors
    payment = DuesPayment.objects.create(
        person=person, org=person.org, paid_on=paid_on, amount=sum((bills[m].amount for m in months), Decimal("0")),
        months=len(months), payer_name=payer_name, approved_by=(approved_by or "").strip()[:100] if approved else "",
        approved_on=approved_on if approved else None, approval_no=(approval_no or "").strip()[:60] if approved else "",
        note=(note or "").strip()[:200], recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
    updated = DuesBill.objects.filter(pk__in=[bills[m].pk for m in months], payment__isnull=True,
                                      waived=False).update(payment=payment)
    if updated != len(months):  # a concurrent payment got there first
        raise ValidationError("账单已被其他操作更新，请刷新后重试。")
    audit.record(actor=actor, event=audit.Event.CREATE, obj=payment, object_repr=f"{person.name} 党费缴纳",
                 changes={"months": [m.isoformat() for m in months], "amount": str(payment.amount),
                          "paid_on": paid_on, "payer": payer_name or "本人"})
    return payment, []


def _check_paid_on(paid_on):
    if paid_on is None:
        raise ValidationError({"paid_on": "请填写缴纳日期。"})
    if paid_on > _today():
        raise ValidationError({"paid_on": "缴纳日期不能晚于今天。"})
    if paid_on < date(1949, 10, 1):
        raise ValidationError({"paid_on": "缴纳日期无效。"})


def _check_payer(payer_name):
    payer_name = (payer_name or "").strip()
    if len(payer_name) > 50:
        raise ValidationError({"payer_name": "代缴人姓名不能超过50字。"})
    if any(word in payer_name for word in ORG_WORDS):
        raise ValidationError({"payer_name": "组织不得代党员交纳党费：代缴人须为具体的人（填写姓名）。"})
    return payer_name


@transaction.atomic
def payment_record(*, actor, person, months, paid_on, payer_name="", approved_by="", approved_on=None,
                   approval_no="", note=""):
    """Record one member's payment for one or several months (by proxy: `payer_name` names who paid)."""
    if person is None or getattr(person, "pk", None) is None:
        raise ValidationError("须指明为哪一名党员缴纳党费。")
    person = Person.objects.select_for_update(of=("self",)).select_related("org").get(pk=person.pk)
    _require_write(actor, person.org)
    _check_paid_on(paid_on)
    payer_name = _check_payer(payer_name)
    policy = billing.policy_for([person.org]).at(person.org)
    payment, errors = _payment(actor, person, months, paid_on, payer_name, approved_by, approved_on, approval_no,
                               note, policy)
    if errors:
        raise ValidationError(errors)
    return payment


@transaction.atomic
def payments_record_bulk(*, actor, person_ids, month, paid_on):
    """Record payments of one month for several members at once: all or nothing."""
    _check_paid_on(paid_on)
    try:
        ids = sorted({int(i) for i in person_ids})
    except (TypeError, ValueError):
        raise ValidationError("所选党员无效。") from None
    if not ids:
        raise ValidationError("请勾选要登记缴费的党员。")
    people = list(Person.objects.select_for_update(of=("self",)).select_related("org").filter(pk__in=ids))
    unknown = len(ids) - len(people)
    denied = [p.name for p in people if actor is not None and not scoping.can_write(actor, p.org)]
    if unknown or denied:
        raise ValidationError("所选党员中有不属于您管理范围的人员，未做任何登记。")
    policy = billing.policy_for({p.org for p in people})
    payments, errors = [], []
    for person in people:
        payment, problems = _payment(actor, person, [month], paid_on, "", "", None, "", "", policy.at(person.org))
        errors += problems
        if payment is not None:
            payments.append(payment)
    if errors:
        transaction.set_rollback(True)
        raise ValidationError(errors)
    return payments


@transaction.atomic
def voluntary_record(*, actor, person, amount, paid_on, note=""):
    """自愿多交党费 (kept apart from the bills); ≥ the threshold (1 000 元) in one payment: remitted to the Centre."""
    person = Person.objects.select_related("org").get(pk=person.pk)
    _require_write(actor, person.org)
    if person.status not in PARTY_MEMBER_STATUSES:
        raise ValidationError(f"{person.name}不是党员，不能登记党费。")
    _check_paid_on(paid_on)
    amount = _money(amount, "amount", "金额")
    if amount <= 0:
        raise ValidationError({"amount": "金额须大于0。"})
    if amount > MAX_VOLUNTARY:
        raise ValidationError({"amount": "金额过大，请核对。"})
    if amount != amount.quantize(rates.CENT):
        raise ValidationError({"amount": "金额最多保留两位小数。"})
    policy = billing.policy_for([person.org]).at(person.org)
    payment = VoluntaryPayment.objects.create(
        person=person, org=person.org, paid_on=paid_on, amount=amount,
        remit_to_centre=amount >= policy["centre_threshold"], note=(note or "").strip()[:200],
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=payment, object_repr=f"{person.name} 自愿多交党费",
                 changes={"amount": str(amount), "paid_on": paid_on, "remit_to_centre": payment.remit_to_centre})
    return payment
