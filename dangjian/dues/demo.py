"""Demo and synthetic dues records: categories and bases, bills for the last `years`×12 months up to the
demo reference date, mostly paid (monthly or quarterly), a few members 3 and 6 months in arrears on the reference
date, one approved waiver and a few voluntary payments. Deterministic from `seed`.

Bills and payments are written with executemany on plain rows: at 12 000 members × 12 months the ORM's
per-value preparation in bulk_create would dominate the whole synthetic build.
"""

import random
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection
from django.utils import timezone

from dangjian.demo.builder import REFERENCE_DATE

from . import billing, rates
from .models import Category, DuesBase, DuesBill, DuesPayment, VoluntaryPayment

BATCH = 2000
PEOPLE_PER_WRITE = 10_000
BILL_FIELDS = ["person", "month", "org", "category", "base", "base_month", "rate", "tier", "source",
               "standard_amount", "amount", "waived", "adjusted", "approved_by", "approved_on", "approval_no",
               "adjust_reason", "payment", "created_at"]
PAYMENT_FIELDS = ["person", "org", "paid_on", "amount", "months", "payer_name", "approved_by", "approved_on",
                  "approval_no", "note", "created_at"]
WAIVER = ("上级党委", REFERENCE_DATE - timedelta(days=20), "党费减免〔2026〕1号", "因病生活困难")


def _raw_insert(model, names, rows):
    """INSERT rows (lists of values in `names` order) with executemany; values go through the backend's own
    adapters (dates, decimals, datetimes), so each database gets what the ORM would send."""
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in names]
    adapters = []
    for field in fields:
        kind = field.get_internal_type()
        if kind == "DateField":
            adapters.append(ops.adapt_datefield_value)
        elif kind == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        elif kind == "DecimalField":
            adapters.append(lambda v, f=field: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places))
        else:
            adapters.append(None)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    sql = (f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({columns}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    cache = {}

    def adapt(i, value):
        if value is None or adapters[i] is None:
            return value
        key = (i, value)
        if key not in cache:
            cache[key] = adapters[i](value)
        return cache[key]

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # COPY: the bulk path of PostgreSQL (psycopg adapts the values)
            with cursor.cursor.copy(f"COPY {ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        prepared = [[adapt(i, v) for i, v in enumerate(row)] for row in rows]
        if connection.vendor == "sqlite":  # executemany is a C loop there
            for start in range(0, len(prepared), BATCH):
                cursor.executemany(sql, prepared[start:start + BATCH])
            return
        # Elsewhere one multi-row INSERT per batch (executemany may be one round trip per row).
        per = max(1, min(1000, (connection.features.max_query_params or 60000) // len(fields)))
        one = f"({', '.join(['%s'] * len(fields))})"
        for start in range(0, len(prepared), per):
            chunk = prepared[start:start + per]
            cursor.execute(sql.rsplit(" VALUES ", 1)[0] + " VALUES " + ", ".join([one] * len(chunk)),
                           [v for row in chunk for v in row])


def _base_amount(rng, category):
    if category == Category.RETIRED:
        return Decimal(rng.randrange(3200_00, 8500_00, 50)) / 100
    return Decimal(rng.randrange(3000_00, 12500_00, 10)) / 100


def extend(result, *, seed, years=1):
    rng = random.Random(f"dangjian-dues-{seed}")
    last = billing.month_start(REFERENCE_DATE)
    first = last - relativedelta(months=12 * years - 1)
    months = [first + relativedelta(months=i) for i in range(12 * years)]
    raise_month = billing.month_start(REFERENCE_DATE.replace(month=1))
    policy = billing.policy_for([result.root]).at(result.root)
    members = [p for p in result.people if p.status in ("full", "probationary")]

    # Categories and bases: one base from the first month (or the 支部大会 month), a pay rise in January for some.
    bases, plans = [], []
    for person in members:
        start = max(first, billing.month_start(person.joined_on)) if person.joined_on else first
        if start > last:
            continue
        roll = rng.random()
        if person.occupation == "retired":
            category = Category.RETIRED
        elif roll < 0.01:
            category = Category.IRREGULAR
        elif roll < 0.015:
            category = Category.RELIEF
        else:
            category = Category.EMPLOYED
        amount = Decimal("0.00") if category == Category.RELIEF else _base_amount(rng, category)
        history = [DuesBase(person_id=person.pk, category=category, base=amount, effective_month=start,
                            source=DuesBase.Source.DEMO)]
        if category == Category.EMPLOYED and start < raise_month and rng.random() < 0.3:
            history.append(DuesBase(person_id=person.pk, category=category, effective_month=raise_month,
                                    base=amount + Decimal(rng.randrange(200, 900)), source=DuesBase.Source.DEMO))
        bases.extend(history)
        plans.append((person, history, start))
    DuesBase.objects.bulk_create(bases, batch_size=BATCH)

    # Bills, and who stops paying: on the reference date (1 September) the months before it are overdue.
    # Written PEOPLE_PER_WRITE members at a time (same rows, same ids and same random draws as one write; at 100× a
    # single write held ~14 million bills in memory).
    assessed = {}
    now = timezone.now()
    bills, payments, groups = [], [], []
    n_bills = n_payments = owed = 0
    waiver_done = False

    def write():
        nonlocal n_bills, n_payments
        before = DuesPayment.objects.order_by("-id").values_list("id", flat=True).first() or 0
        _raw_insert(DuesPayment, PAYMENT_FIELDS, payments)
        # (person, paid_on) is unique among the payments written here: each group ends in a different month.
        ids = {(person_id, paid_on): pk for pk, person_id, paid_on in
               DuesPayment.objects.filter(id__gt=before).values_list("id", "person_id", "paid_on")}
        for payment, group in zip(payments, groups):
            pk = ids[(payment[0], payment[2])]
            for bill in group:
                bill[17] = pk
        _raw_insert(DuesBill, BILL_FIELDS, bills)
        n_bills += len(bills)
        n_payments += len(payments)
        bills.clear()
        payments.clear()
        groups.clear()

    for index, (person, history, start) in enumerate(plans, 1):
        roll = rng.random()
        owed_from = None
        if roll < 0.006:
            owed_from = last - relativedelta(months=6)   # March–August overdue: 6 months
        elif roll < 0.02:
            owed_from = last - relativedelta(months=3)   # June–August overdue: 3 months
        owed += owed_from is not None
        quarterly = rng.random() < 0.4
        group = []

        def flush():
            if group:
                end = group[-1][1]
                paid_on = min(end + timedelta(days=rng.randint(2, 20)), REFERENCE_DATE)
                payments.append([person.pk, person.org_id, paid_on, sum((b[10] for b in group), Decimal("0")),
                                 len(group), "", "", None, "", "", now])
                groups.append(list(group))
                group.clear()

        for month in months:
            if month < start:
                continue
            row = billing.base_in_effect(history, month, yearly=policy["yearly"])
            key = (row.category, row.base)
            if key not in assessed:
                assessed[key] = rates.assess(row.category, row.base, farmer_amount=policy["farmer_amount"])
            a = assessed[key]
            bill = [person.pk, month, person.org_id, a.category, a.base, row.effective_month, a.rate, a.tier[:40],
                    a.source, a.amount, a.amount, False, False, "", None, "", "", None, now]
            bills.append(bill)
            if owed_from is not None and month >= owed_from:
                flush()
                if not waiver_done and month == owed_from:  # one approved waiver (费规 第七条)
                    bill[10], bill[11], bill[12] = Decimal("0.00"), True, True
                    bill[13], bill[14], bill[15], bill[16] = WAIVER
                    waiver_done = True
                continue
            group.append(bill)
            if not quarterly or month.month % 3 == 0 or month == last:
                flush()
        flush()
        if index % PEOPLE_PER_WRITE == 0:
            write()
    write()

    voluntary = []
    for person, _, _ in rng.sample(plans, min(3, len(plans))):
        amount = Decimal(rng.choice([200, 500, 1000]))
        voluntary.append(VoluntaryPayment(person_id=person.pk, org_id=person.org_id, amount=amount,
                                          paid_on=REFERENCE_DATE - timedelta(days=rng.randint(10, 200)),
                                          remit_to_centre=amount >= policy["centre_threshold"], note="自愿多交"))
    VoluntaryPayment.objects.bulk_create(voluntary)
    result.counts.update(dues_bills=n_bills, dues_payments=n_payments, dues_arrears=owed)
