"""What dues contribute to 党员积分 (see dangjian.points.sources): months whose dues were still unpaid at the end
of the period (a deduction by default). A month's dues are overdue from the 1st of the next month (DOMAIN §8), so
"as of the period end" counts the months before the end's month that were neither paid by then nor waived.
One query."""

from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from dangjian.points.sources import Source

from . import billing
from .models import DuesBill


def _unpaid(person_ids, start, end):
    as_of = min(end, timezone.localdate())
    return (DuesBill.objects.filter(person_id__in=person_ids, waived=False, month__gte=billing.month_start(start),
                                    month__lt=billing.month_start(as_of))
            .filter(Q(payment__isnull=True) | Q(payment__paid_on__gt=as_of)))


def count_arrears(person_ids, start, end):
    rows = _unpaid(person_ids, start, end).values("person_id").annotate(n=Count("id"))
    return {row["person_id"]: Decimal(row["n"]) for row in rows}


def explain_arrears(person, start, end):
    out = []
    for bill in _unpaid([person.pk], start, end).select_related("payment").order_by("month"):
        late = f"，{bill.payment.paid_on:%Y-%m-%d}补缴" if bill.payment_id else ""
        out.append((bill.month, f"{billing.month_label(bill.month)}党费{bill.amount}元未按期交纳{late}", Decimal(1)))
    return out


SOURCES = [
    Source("dues.arrears", "欠缴党费", "个月", count_arrears, explain_arrears,
           default_points=Decimal("-3"), default_cap=Decimal("36")),
]
