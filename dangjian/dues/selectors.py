"""Reads for the dues screens: one query shape per screen, whatever the number of members."""

from decimal import Decimal

from django.db.models import Count, Q, Sum

from dangjian.core import scoping
from dangjian.orgs.models import Organisation, OrgKind
from dangjian.orgs.picker import OrgChoice

from . import billing
from .rates import round_money
from .models import DuesBase, DuesBill, DuesPayment, VoluntaryPayment

ZERO = Decimal("0.00")


def money(value):
    """A sum from the database as Decimal with two places (SQLite returns 64 for 64.00; None for no rows)."""
    return round_money(value) if value is not None else ZERO


def runs(months):
    """Runs of consecutive months in a sorted list of month dates: [(start, end, length)]."""
    out = []
    for month in months:
        if out and billing.month_index(month) == billing.month_index(out[-1][1]) + 1:
            start, _, length = out[-1]
            out[-1] = (start, month, length + 1)
        else:
            out.append((month, month, 1))
    return out


def longest_run(months):
    found = max(runs(months), key=lambda r: (r[2], r[0]), default=None)
    return found or (None, None, 0)


def scope_orgs(user):
    """Organisations the user may pick on the dues screens (党小组 excluded), path order (a queryset)."""
    return (Organisation.objects.visible_to(user).active().exclude(kind=OrgKind.GROUP)
            .only("id", "name", "path", "depth", "kind"))


def choose_org(orgs, value):
    """The chosen organisation among `orgs` (never trusting the id), default the first (the widest), with its
    picker (`.org`, `.picker()`; one query for a small scope, bounded above ORG_PICKER_FULL_MAX)."""
    return OrgChoice(orgs, value, default="first")


def pick_org(orgs, value):
    """The chosen organisation among `orgs` (never trusting the id), default the first (the widest)."""
    return choose_org(orgs, value).org


def month_overview(org, month):
    """The month at a glance for an organisation's subtree: totals, per-branch summary, and the bills
    queryset for the member table (paginated by the caller). Bills count where they were generated."""
    bills = DuesBill.objects.filter(month=month, org__path__startswith=org.path)
    totals = bills.aggregate(
        count=Count("id"), paid=Count("id", filter=Q(payment__isnull=False)),
        waived_count=Count("id", filter=Q(waived=True)), due=Sum("amount"),
        collected=Sum("amount", filter=Q(payment__isnull=False)),
        owed=Sum("amount", filter=Q(payment__isnull=True, waived=False)))
    totals = {k: money(v) if k in ("due", "collected", "owed") else v for k, v in totals.items()}
    totals["unpaid"] = totals["count"] - totals["paid"] - totals["waived_count"]
    branches = list(bills.values("org_id", "org__name", "org__path").annotate(
        count=Count("id"), paid=Count("id", filter=Q(payment__isnull=False)),
        due=Sum("amount"), collected=Sum("amount", filter=Q(payment__isnull=False))).order_by("org__path"))
    for row in branches:
        row["due"], row["collected"] = money(row["due"]), money(row["collected"])
    unbilled = billing.billable_people(month, org).exclude(dues_bills__month=month).count()
    rows = bills.select_related("person", "org", "payment").order_by("org__path", "person__name", "person_id")
    return {"totals": totals, "branches": branches, "unbilled": unbilled, "rows": rows}


def arrears(org, on):
    """Members (now in `org`'s subtree) with overdue unpaid bills: months owed, amount, longest run.
    One query; sorted by the longest run of consecutive unpaid months."""
    current = billing.month_start(on)
    rows = (DuesBill.objects.unpaid().filter(person__org__path__startswith=org.path, month__lt=current)
            .values_list("person_id", "person__name", "person__org__name", "month", "amount")
            .order_by("person_id", "month"))
    people = {}
    for person_id, name, org_name, month, amount in rows:
        entry = people.setdefault(person_id, {"person_id": person_id, "name": name, "org_name": org_name,
                                              "months": [], "amount": ZERO})
        entry["months"].append(month)
        entry["amount"] = money(entry["amount"] + amount)
    result = []
    for entry in people.values():
        start, end, length = longest_run(entry["months"])
        entry.update(count=len(entry["months"]), run=length, run_start=start, run_end=end,
                     labels="、".join(f"{m.year}.{m.month:02d}" for m in entry["months"][-12:]))
        result.append(entry)
    result.sort(key=lambda e: (-e["run"], -e["count"], e["name"]))
    return result


def person_account(person, on):
    """Everything the member's dues page shows: bases, bills (newest first), payments, voluntary payments,
    and what is owed now. Five queries."""
    bases = list(DuesBase.objects.filter(person=person).order_by("-effective_month"))
    bills = list(DuesBill.objects.filter(person=person).select_related("org", "payment").order_by("-month"))
    payments = list(DuesPayment.objects.filter(person=person).select_related("org"))
    voluntary = list(VoluntaryPayment.objects.filter(person=person).select_related("org"))
    current = billing.month_start(on)
    unpaid = [b for b in bills if b.state == "unpaid"]
    overdue = sorted(b.month for b in unpaid if b.month < current)
    _, _, run = longest_run(overdue)
    return {
        "bases": bases, "bills": bills, "payments": payments, "voluntary": voluntary,
        "unpaid": unpaid, "owed": sum((b.amount for b in unpaid), ZERO), "overdue_count": len(overdue), "run": run,
        "current_base": bases[0] if bases else None,
    }


def publication(org, year):
    """The yearly collection per organisation where the bills were generated (公示): members billed,
    amounts due, collected and outstanding, voluntary payments and the part remitted to the Centre."""
    from datetime import date

    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    bills = DuesBill.objects.filter(org__path__startswith=org.path, month__gte=start, month__lt=end)
    rows = {r["org_id"]: {**r, "voluntary": ZERO, "centre": ZERO} for r in bills.values(
        "org_id", "org__name", "org__path").annotate(
        members=Count("person_id", distinct=True), bills=Count("id"),
        paid_bills=Count("id", filter=Q(payment__isnull=False)), due=Sum("amount"),
        collected=Sum("amount", filter=Q(payment__isnull=False)),
        owed=Sum("amount", filter=Q(payment__isnull=True, waived=False)))}
    for r in (VoluntaryPayment.objects.filter(org__path__startswith=org.path, paid_on__gte=start, paid_on__lt=end)
              .values("org_id", "org__name", "org__path")
              .annotate(total=Sum("amount"), centre=Sum("amount", filter=Q(remit_to_centre=True)))):
        entry = rows.setdefault(r["org_id"], {"org_id": r["org_id"], "org__name": r["org__name"],
                                              "org__path": r["org__path"], "members": 0, "bills": 0,
                                              "paid_bills": 0, "due": ZERO, "collected": ZERO, "owed": ZERO,
                                              "voluntary": ZERO, "centre": ZERO})
        entry["voluntary"] = money(r["total"])
        entry["centre"] = money(r["centre"])
    out = sorted(rows.values(), key=lambda r: r["org__path"])
    for r in out:
        for key in ("due", "collected", "owed"):
            r[key] = money(r[key])
        r["rate"] = f"{r['paid_bills'] * 100 / r['bills']:.1f}%" if r["bills"] else "—"
    totals = {key: sum((r[key] for r in out), ZERO if key not in ("members", "bills", "paid_bills") else 0)
              for key in ("members", "bills", "paid_bills", "due", "collected", "owed", "voluntary", "centre")}
    totals["rate"] = f"{totals['paid_bills'] * 100 / totals['bills']:.1f}%" if totals["bills"] else "—"
    return out, totals


def can_write_any(user):
    from dangjian.orgs.models import WRITE_ROLES

    return bool(scoping.scope_paths(user, WRITE_ROLES))


def summary(org, start, end):
    """The dues figures of the year-end report for `org`'s subtree. Three queries.

    bills: the monthly bills of the months start..end touches, counted where they were generated (as on the
      公示): bills, paid, waived, amounts due / collected / owed, and `rate` = paid bills ÷ bills in % (one
      decimal, as on the 公示; None without bills).
    payments: payments received by organisations of the subtree dated start..end: count, people, amount.
    voluntary: 自愿多交 received in the period: count, amount, the part remitted to the Centre.
    """
    bills = DuesBill.objects.filter(org__path__startswith=org.path, month__gte=billing.month_start(start),
                                    month__lte=end)
    b = bills.aggregate(count=Count("id"), paid=Count("id", filter=Q(payment__isnull=False)),
                        waived_count=Count("id", filter=Q(waived=True)), due=Sum("amount"),
                        collected=Sum("amount", filter=Q(payment__isnull=False)),
                        owed=Sum("amount", filter=Q(payment__isnull=True, waived=False)))
    for key in ("due", "collected", "owed"):
        b[key] = money(b[key])
    b["waived"] = b.pop("waived_count")
    b["unpaid"] = b["count"] - b["paid"] - b["waived"]
    b["rate"] = round(Decimal(b["paid"] * 100) / b["count"], 1) if b["count"] else None
    p = DuesPayment.objects.filter(org__path__startswith=org.path, paid_on__gte=start, paid_on__lte=end).aggregate(
        count=Count("id"), people=Count("person", distinct=True), total=Sum("amount"))
    p["amount"] = money(p.pop("total"))
    v = VoluntaryPayment.objects.filter(org__path__startswith=org.path, paid_on__gte=start,
                                        paid_on__lte=end).aggregate(
        count=Count("id"), total=Sum("amount"), to_centre=Sum("amount", filter=Q(remit_to_centre=True)))
    v = {"count": v["count"], "amount": money(v["total"]), "centre": money(v["to_centre"])}
    return {"org": org, "start": start, "end": end, "bills": b, "payments": p, "voluntary": v}
