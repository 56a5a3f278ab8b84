"""Demo/synthetic dues records: bases, a year of bills up to the reference date, mostly paid, a few arrears."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Count, Q

from dangjian.compliance.engine import findings_for
from dangjian.demo.builder import REFERENCE_DATE, build
from dangjian.demo.plans import synth_plan, synth_region_code
from dangjian.dues import demo, rates, rules
from dangjian.dues.models import DuesBase, DuesBill, DuesPayment, VoluntaryPayment
from dangjian.orgs.models import Organisation

pytestmark = pytest.mark.django_db


def district(seed=7, members=300):
    result = build(synth_plan(schools=6, members=members, seed=seed), seed=seed, region_code=synth_region_code(seed))
    demo.extend(result, seed=seed, years=1)
    return result


def test_every_billed_month_lies_in_the_year_up_to_the_reference_date():
    result = district()
    months = set(DuesBill.objects.values_list("month", flat=True))
    assert min(months) == date(2025, 10, 1) and max(months) == date(2026, 9, 1) and len(months) == 12
    assert result.counts["dues_bills"] == DuesBill.objects.count() > 0


def test_bills_agree_with_the_rates_and_payments_with_their_bills():
    district()
    for bill in DuesBill.objects.filter(waived=False)[:500]:
        assert bill.amount == rates.assess(bill.category, bill.base).amount
    assert not DuesPayment.objects.annotate(n=Count("bills")).filter(n=0).exists()
    assert not DuesBill.objects.filter(Q(waived=True) & Q(payment__isnull=False)).exists()
    for payment in DuesPayment.objects.prefetch_related("bills")[:300]:
        bills = list(payment.bills.all())
        assert payment.months == len(bills) and payment.amount == sum((b.amount for b in bills), Decimal("0"))
        assert all(b.person_id == payment.person_id for b in bills)


def test_most_bills_are_paid_and_a_few_members_are_in_arrears():
    result = district()
    total = DuesBill.objects.count()
    unpaid = DuesBill.objects.unpaid().count()
    assert unpaid < total * 0.1
    assert DuesBill.objects.filter(waived=True).count() == 1
    assert result.counts["dues_arrears"] >= 1
    found = {f.rule_id for f in findings_for(Organisation.objects.subtree_of(result.root), on=REFERENCE_DATE)}
    assert found & {rules.ARREARS_WARNING, rules.ARREARS_LAPSE}


def test_probationary_members_are_billed_from_their_branch_meeting_month():
    result = district()
    for person in [p for p in result.people if p.status == "probationary"][:20]:
        first = DuesBill.objects.filter(person=person).order_by("month").values_list("month", flat=True).first()
        assert first == max(date(2025, 10, 1), person.joined_on.replace(day=1))


def test_the_records_are_deterministic_from_the_seed():
    def fingerprint():
        return (list(DuesBase.objects.order_by("person__id_number_masked", "effective_month")
                     .values_list("person__id_number_masked", "category", "base", "effective_month")),
                list(DuesBill.objects.unpaid().order_by("person__id_number_masked", "month")
                     .values_list("person__id_number_masked", "month", "amount")),
                VoluntaryPayment.objects.count())

    from django.db import transaction

    runs = []
    for _ in range(2):
        with transaction.atomic():
            district(seed=11, members=120)
            runs.append(fingerprint())
            transaction.set_rollback(True)
    assert runs[0] == runs[1] and runs[0][0] and runs[0][1]


def test_writing_in_batches_of_members_gives_the_same_records_as_one_write(monkeypatch):
    """The demo writes PEOPLE_PER_WRITE members' bills at a time (memory at 100×): the rows, their payment links and
    the random draws must not depend on the batch size."""
    from django.db import transaction

    def records():
        # Ordered by every compared field: masked numbers repeat and one person pays several times a day, so a
        # shorter ordering leaves ties that PostgreSQL returns in any order.
        bill_fields = ("person__id_number_masked", "month", "amount", "waived", "payment__paid_on", "payment__amount")
        payment_fields = ("person__id_number_masked", "paid_on", "amount", "months")
        bills = list(DuesBill.objects.order_by(*bill_fields).values_list(*bill_fields))
        payments = list(DuesPayment.objects.order_by(*payment_fields).values_list(*payment_fields))
        return bills, payments

    runs = []
    for per_write in (10_000_000, 7):
        monkeypatch.setattr(demo, "PEOPLE_PER_WRITE", per_write)
        with transaction.atomic():
            result = district(seed=13, members=120)
            runs.append((records(), result.counts["dues_bills"], result.counts["dues_payments"]))
            transaction.set_rollback(True)
    (bills, payments), n_bills, n_payments = runs[0]
    assert (n_bills, n_payments) == (len(bills), len(payments)) and n_payments > 7
    assert runs[1] == runs[0]
