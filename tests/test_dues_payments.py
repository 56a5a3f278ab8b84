"""Payments: one by one or in bulk, several months at once, by proxy, back-payment limit, reductions and
waivers with approval, voluntary payments; bad input changes nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.models import AuditLog
from dangjian.dues import services
from dangjian.dues.models import Category, DuesBill, DuesPayment, VoluntaryPayment
from dangjian.orgs.models import Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def secretary(tree):
    return make_user("pay_sec", Role.SECRETARY, tree["school_a"])


def member(org, actor, base="4000", months=range(1, 4), **extra):
    person = make_person(org, **extra)
    services.base_set(actor=actor, person=person, category=Category.EMPLOYED, base=base,
                      effective_month=date(2026, 1, 1))
    for m in months:
        services.bills_generate(actor=actor, month=date(2026, m, 1), org=org)
    return person


def snapshot():
    return (DuesPayment.objects.count(), DuesBill.objects.filter(payment__isnull=False).count(),
            DuesBill.objects.filter(adjusted=True).count(), VoluntaryPayment.objects.count())


def test_a_member_pays_several_months_at_once(tree, secretary):
    person = member(tree["branch_a1"], secretary)
    payment = services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1), date(2026, 2, 1)],
                                      paid_on=date(2026, 2, 10))
    assert (payment.amount, payment.months, payment.org_id) == (D("80.00"), 2, tree["branch_a1"].pk)
    assert list(DuesBill.objects.unpaid().filter(person=person).values_list("month", flat=True)) == [date(2026, 3, 1)]
    assert AuditLog.objects.filter(object_type="dues.duespayment", object_id=str(payment.pk)).exists()


def test_a_proxy_payment_names_the_payer_and_the_member(tree, secretary):
    person = member(tree["branch_a1"], secretary)
    payment = services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1)],
                                      paid_on=date(2026, 1, 20), payer_name="李四")
    assert payment.by_proxy and payment.payer_name == "李四" and payment.person == person


def test_an_organisation_may_not_pay_for_a_member(tree, secretary):
    person = member(tree["branch_a1"], secretary)
    with pytest.raises(ValidationError, match="组织不得代党员交纳党费"):
        services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1)],
                                paid_on=date(2026, 1, 20), payer_name="实验中学第一党支部")
    assert snapshot() == (0, 0, 0, 0)


def test_a_payment_without_a_member_is_refused(tree, secretary):
    with pytest.raises(ValidationError, match="须指明"):
        services.payment_record(actor=secretary, person=None, months=[date(2026, 1, 1)], paid_on=date(2026, 1, 20))


def test_a_payment_for_a_month_without_a_bill_is_refused_and_changes_nothing(tree, secretary):
    person = member(tree["branch_a1"], secretary)
    with pytest.raises(ValidationError, match="2026年5月没有党费账单"):
        services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1), date(2026, 5, 1)],
                                paid_on=date(2026, 5, 10))
    assert snapshot() == (0, 0, 0, 0)


def test_a_double_payment_is_refused_and_changes_nothing(tree, secretary):
    person = member(tree["branch_a1"], secretary)
    services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1)], paid_on=date(2026, 1, 20))
    with pytest.raises(ValidationError, match="2026年1月党费已缴纳，不能重复缴纳"):
        services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1), date(2026, 2, 1)],
                                paid_on=date(2026, 2, 20))
    assert snapshot() == (1, 1, 0, 0)


def test_a_payment_for_another_organisations_member_is_refused(tree, secretary):
    other_secretary = make_user("b_sec", Role.SECRETARY, tree["school_b"])
    person = member(tree["school_b"], other_secretary)
    with pytest.raises(ValidationError, match="无权"):
        services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1)], paid_on=date(2026, 1, 20))
    with pytest.raises(ValidationError, match="管理范围"):
        services.payments_record_bulk(actor=secretary, person_ids=[person.pk], month=date(2026, 1, 1),
                                      paid_on=date(2026, 1, 20))
    assert snapshot() == (0, 0, 0, 0)


def test_a_payment_dated_in_the_future_is_refused(tree, secretary):
    person = member(tree["branch_a1"], secretary)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1)], paid_on=date(2099, 1, 1))


def test_back_payment_beyond_six_months_needs_an_approval(tree, secretary):
    person = member(tree["branch_a1"], secretary, months=[1, 2])
    # January paid on 2026-07-31: 6 months later, allowed; February too.
    services.payment_record(actor=secretary, person=person, months=[date(2026, 2, 1)], paid_on=date(2026, 8, 31))
    with pytest.raises(ValidationError, match="超过6个月.*批准"):
        services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1)], paid_on=date(2026, 8, 1))
    payment = services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1)],
                                      paid_on=date(2026, 8, 1), approved_by="区委教育工委",
                                      approved_on=date(2026, 7, 20), approval_no="教工委〔2026〕9号")
    assert payment.approval_no == "教工委〔2026〕9号"


def test_back_payment_of_exactly_six_months_needs_no_approval(tree, secretary):
    person = member(tree["branch_a1"], secretary, months=[1])
    services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1)], paid_on=date(2026, 7, 31))


def test_bulk_payment_ticks_several_members_for_one_month(tree, secretary):
    people = [member(tree["branch_a1"], secretary, months=[3]) for _ in range(3)]
    payments = services.payments_record_bulk(actor=secretary, person_ids=[p.pk for p in people],
                                             month=date(2026, 3, 1), paid_on=date(2026, 3, 15))
    assert len(payments) == 3 and not DuesBill.objects.unpaid().exists()


def test_bulk_payment_is_all_or_nothing(tree, secretary):
    people = [member(tree["branch_a1"], secretary, months=[3]) for _ in range(3)]
    services.payment_record(actor=secretary, person=people[1], months=[date(2026, 3, 1)], paid_on=date(2026, 3, 5))
    with pytest.raises(ValidationError, match="不能重复缴纳"):
        services.payments_record_bulk(actor=secretary, person_ids=[p.pk for p in people], month=date(2026, 3, 1),
                                      paid_on=date(2026, 3, 15))
    assert snapshot() == (1, 1, 0, 0)


def test_a_reduction_needs_the_approval_recorded(tree, secretary):
    person = member(tree["branch_a1"], secretary, months=[1])
    bill = DuesBill.objects.get(person=person)
    with pytest.raises(ValidationError) as exc:
        services.bill_adjust(actor=secretary, bill=bill, waive=False, amount="10")
    assert set(exc.value.message_dict) == {"approved_by", "approved_on", "approval_no", "reason"}
    assert snapshot() == (0, 0, 0, 0)
    services.bill_adjust(actor=secretary, bill=bill, waive=False, amount="10", approved_by="区委教育工委",
                         approved_on=date(2026, 1, 10), approval_no="减〔2026〕1号", reason="生活困难")
    bill.refresh_from_db()
    assert (bill.amount, bill.standard_amount, bill.adjusted, bill.waived) == (D("10.00"), D("40.00"), True, False)
    payment = services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1)],
                                      paid_on=date(2026, 1, 20))
    assert payment.amount == D("10.00")


def test_a_reduced_amount_must_be_below_the_standard(tree, secretary):
    person = member(tree["branch_a1"], secretary, months=[1])
    bill = DuesBill.objects.get(person=person)
    with pytest.raises(ValidationError, match="须大于0且小于标准金额"):
        services.bill_adjust(actor=secretary, bill=bill, waive=False, amount="50", approved_by="工委",
                             approved_on=date(2026, 1, 10), approval_no="1号", reason="困难")


def test_a_waived_month_is_not_owed_and_cannot_be_paid(tree, secretary):
    person = member(tree["branch_a1"], secretary, months=[1])
    bill = DuesBill.objects.get(person=person)
    services.bill_adjust(actor=secretary, bill=bill, waive=True, approved_by="区委教育工委",
                         approved_on=date(2026, 1, 10), approval_no="免〔2026〕1号", reason="因病")
    assert not DuesBill.objects.unpaid().exists()
    with pytest.raises(ValidationError, match="已批准免交"):
        services.payment_record(actor=secretary, person=person, months=[date(2026, 1, 1)], paid_on=date(2026, 1, 20))


def test_voluntary_payments_are_kept_apart_and_large_ones_go_to_the_centre(tree, secretary):
    person = member(tree["branch_a1"], secretary, months=[1])
    small = services.voluntary_record(actor=secretary, person=person, amount="999.99", paid_on=date(2026, 1, 5))
    large = services.voluntary_record(actor=secretary, person=person, amount="1000", paid_on=date(2026, 1, 6))
    assert (small.remit_to_centre, large.remit_to_centre) == (False, True)
    assert DuesBill.objects.unpaid().count() == 1  # the monthly bill is untouched


@pytest.mark.parametrize("amount, message", [("0", "须大于0"), ("-5", "须大于0"), ("x", "不是有效的数字"),
                                             ("99999999", "金额过大")])
def test_bad_voluntary_amounts_are_refused(tree, secretary, amount, message):
    person = member(tree["branch_a1"], secretary, months=[])
    with pytest.raises(ValidationError, match=message):
        services.voluntary_record(actor=secretary, person=person, amount=amount, paid_on=date(2026, 1, 5))
    assert snapshot() == (0, 0, 0, 0)



@pytest.mark.parametrize("amount", ["1e300", "-1e300", "9" * 400])
def test_an_absurd_reduction_amount_is_refused_not_a_crash(tree, secretary, amount):
    """Such amounts used to overflow Decimal.quantize inside bill_adjust (a 500 through the 减免 form)."""
    person = member(tree["branch_a1"], secretary, months=[1])
    bill = DuesBill.objects.get(person=person)
    with pytest.raises(ValidationError, match="数额过大"):
        services.bill_adjust(actor=secretary, bill=bill, waive=False, amount=amount, approved_by="工委",
                             approved_on=date(2026, 1, 10), approval_no="1号", reason="困难")
    bill.refresh_from_db()
    assert not bill.adjusted
