"""dues.selectors.summary equals independent sums over the same bills and payments; fixed query count."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from dangjian.dues import selectors
from dangjian.dues.models import DuesBill, DuesPayment, VoluntaryPayment
from tests.factories import make_person

pytestmark = pytest.mark.django_db

START, END = date(2025, 9, 15), date(2026, 6, 30)


def seed(tree, rng):
    orgs = [tree["branch_a1"], tree["branch_a2"], tree["school_b"]]
    for org in orgs:
        for _ in range(3):
            person = make_person(org)
            for k in range(-3, 14):
                month = date(2025 + (8 + k) // 12, (8 + k) % 12 + 1, 1)
                amount = Decimal(rng.randint(20, 9000)) / 100
                state = rng.choice(["paid", "paid", "unpaid", "waived"])
                payment = None
                if state == "paid":
                    payment = DuesPayment.objects.create(person=person, org=org, amount=amount,
                                                         paid_on=month + timedelta(days=rng.randint(0, 40)))
                DuesBill.objects.create(person=person, month=month, org=org, category="employed",
                                        standard_amount=amount, amount=Decimal(0) if state == "waived" else amount,
                                        waived=state == "waived", adjusted=state == "waived", payment=payment)
            VoluntaryPayment.objects.create(person=person, org=org, amount=Decimal(rng.choice([50, 1200])),
                                            paid_on=START + timedelta(days=rng.randint(-30, 320)),
                                            remit_to_centre=rng.random() < 0.5)


def test_summary_equals_independent_sums(tree):
    seed(tree, random.Random(5))
    org = tree["school_a"]
    f = selectors.summary(org, START, END)
    inside = lambda o: o.path.startswith(org.path)  # noqa: E731
    bills = [b for b in DuesBill.objects.select_related("org") if inside(b.org) and date(2025, 9, 1) <= b.month <= END]
    paid = [b for b in bills if b.payment_id]
    assert f["bills"]["count"] == len(bills)
    assert f["bills"]["paid"] == len(paid)
    assert f["bills"]["waived"] == sum(1 for b in bills if b.waived)
    assert f["bills"]["due"] == sum((b.amount for b in bills), Decimal(0))
    assert f["bills"]["collected"] == sum((b.amount for b in paid), Decimal(0))
    assert f["bills"]["owed"] == sum((b.amount for b in bills if not b.payment_id and not b.waived), Decimal(0))
    assert f["bills"]["rate"] == round(Decimal(len(paid) * 100) / len(bills), 1)
    payments = [p for p in DuesPayment.objects.select_related("org") if inside(p.org) and START <= p.paid_on <= END]
    assert f["payments"] == {"count": len(payments), "people": len({p.person_id for p in payments}),
                             "amount": sum((p.amount for p in payments), Decimal(0))}
    vol = [v for v in VoluntaryPayment.objects.select_related("org") if inside(v.org) and START <= v.paid_on <= END]
    assert f["voluntary"]["count"] == len(vol)
    assert f["voluntary"]["amount"] == sum((v.amount for v in vol), Decimal(0))
    assert f["voluntary"]["centre"] == sum((v.amount for v in vol if v.remit_to_centre), Decimal(0))


def test_empty_period_has_no_rate(tree):
    f = selectors.summary(tree["school_a"], START, END)
    assert f["bills"]["count"] == 0 and f["bills"]["rate"] is None
    assert f["payments"]["amount"] == Decimal("0.00") and f["voluntary"]["amount"] == Decimal("0.00")


def test_query_count_is_fixed(tree, django_assert_num_queries):
    with django_assert_num_queries(3):
        selectors.summary(tree["school_a"], START, END)
    seed(tree, random.Random(1))
    with django_assert_num_queries(3):
        selectors.summary(tree["school_a"], START, END)
