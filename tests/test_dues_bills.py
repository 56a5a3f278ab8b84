"""Monthly bills: who owes, which base applies under each policy, idempotent generation, transfers."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dangjian.compliance.models import RuleOverride
from dangjian.core.models import AuditLog
from dangjian.dues import rules, services
from dangjian.dues.models import Category, DuesBase, DuesBill
from dangjian.members import services as member_services
from dangjian.members.models import Status
from dangjian.orgs.models import Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
D = Decimal


def setup_member(org, actor, base="4000", category=Category.EMPLOYED, month=date(2026, 1, 1), **extra):
    person = make_person(org, **extra)
    services.base_set(actor=actor, person=person, category=category, base=base, effective_month=month)
    return person


@pytest.fixture
def district_admin(tree):
    return make_user("dues_district", Role.ORG_ADMIN, tree["district"])


@pytest.fixture
def secretary(tree):
    return make_user("dues_sec", Role.SECRETARY, tree["school_a"])


def bill(person, month):
    return DuesBill.objects.get(person=person, month=month)


def test_generating_bills_creates_one_bill_per_member_with_base_tier_rate_and_source(tree, secretary):
    a = setup_member(tree["branch_a1"], secretary, base="5100")
    b = setup_member(tree["branch_a2"], secretary, base="2997", category=Category.EMPLOYED)
    c = setup_member(tree["branch_a2"], secretary, base="0", category=Category.RELIEF)
    result = services.bills_generate(actor=secretary, month=date(2026, 3, 1), org=tree["school_a"])
    assert (result.created, result.existing, result.missing) == (3, 0, [])
    first = bill(a, date(2026, 3, 1))
    assert (first.amount, first.rate, first.tier, first.source, first.org_id) == (
        D("76.50"), D("0.015"), "5000元以上至10000元（含）", "费规 第一条、第二条", tree["branch_a1"].pk)
    assert bill(b, date(2026, 3, 1)).amount == D("14.99")
    assert bill(c, date(2026, 3, 1)).amount == D("0.20")


def test_running_generation_twice_makes_no_second_bill(tree, secretary):
    setup_member(tree["branch_a1"], secretary)
    services.bills_generate(actor=secretary, month=date(2026, 3, 1), org=tree["school_a"])
    again = services.bills_generate(actor=secretary, month=date(2026, 3, 1), org=tree["school_a"])
    assert (again.created, again.existing) == (0, 1)
    assert DuesBill.objects.count() == 1


def test_generation_is_a_fixed_number_of_queries(tree, secretary, django_assert_num_queries):
    for i in range(3):
        setup_member(tree["branch_a1"], secretary)
    # 5 reads, 1 bulk insert, 2 for the audit row (+1 advisory lock on PostgreSQL), 4 savepoints.
    expected = 12 + (connection.vendor == "postgresql")
    with django_assert_num_queries(expected):
        services.bills_generate(actor=secretary, month=date(2026, 3, 1), org=tree["school_a"])
    for i in range(7):
        setup_member(tree["branch_a2"], secretary)
    with django_assert_num_queries(expected):
        services.bills_generate(actor=secretary, month=date(2026, 4, 1), org=tree["school_a"])
    assert DuesBill.objects.filter(month=date(2026, 4, 1)).count() == 10


def test_members_without_a_base_are_reported_not_billed(tree, secretary):
    make_person(tree["branch_a1"], name="无基数")
    result = services.bills_generate(actor=secretary, month=date(2026, 3, 1), org=tree["school_a"])
    assert result.created == 0 and result.missing == ["无基数"]
    assert "1 名党员未登记党费基数" in result.message()


def test_probationary_members_owe_from_the_month_of_the_branch_meeting(tree, secretary):
    person = make_person(tree["branch_a1"], status=Status.PROBATIONARY, joined_on=date(2026, 4, 30))
    services.base_set(actor=secretary, person=person, category=Category.EMPLOYED, base="4000",
                      effective_month=date(2026, 4, 1))
    assert services.bills_generate(actor=secretary, month=date(2026, 3, 1), org=tree["school_a"]).created == 0
    assert services.bills_generate(actor=secretary, month=date(2026, 4, 1), org=tree["school_a"]).created == 1


def test_non_members_and_pipeline_people_owe_nothing(tree, secretary):
    make_person(tree["branch_a1"], status=Status.ACTIVIST)
    assert services.bills_generate(actor=secretary, month=date(2026, 3, 1), org=tree["school_a"]).created == 0


def test_members_who_left_owe_nothing_after_their_effective_date(tree, secretary):
    person = setup_member(tree["branch_a1"], secretary)
    member_services.person_change_status(actor=secretary, person=person, status=Status.DECEASED,
                                         effective_on=date(2026, 5, 15))
    assert services.bills_generate(actor=secretary, month=date(2026, 5, 1), org=tree["school_a"]).created == 1
    assert services.bills_generate(actor=secretary, month=date(2026, 6, 1), org=tree["school_a"]).created == 0


def test_a_member_who_left_on_the_first_of_a_month_owes_nothing_for_it(tree, secretary):
    person = setup_member(tree["branch_a1"], secretary)
    member_services.person_change_status(actor=secretary, person=person, status=Status.TRANSFERRED_OUT,
                                         effective_on=date(2026, 6, 1))
    assert services.bills_generate(actor=secretary, month=date(2026, 6, 1), org=tree["school_a"]).created == 0


def _base_change_year(tree, secretary):
    person = setup_member(tree["branch_a1"], secretary, base="4000", month=date(2026, 1, 1))
    for m in range(1, 7):
        services.bills_generate(actor=secretary, month=date(2026, m, 1), org=tree["school_a"])
    # July: a pay rise, recorded in time for July's bill but after June's was generated and left unpaid.
    services.base_set(actor=secretary, person=person, category=Category.EMPLOYED, base="6000",
                      effective_month=date(2026, 6, 1))
    services.bills_generate(actor=secretary, month=date(2026, 7, 1), org=tree["school_a"])
    return person


def test_base_change_mid_year_recomputes_from_its_month_under_the_recompute_policy(tree, secretary):
    person = _base_change_year(tree, secretary)
    assert bill(person, date(2026, 5, 1)).amount == D("40.00")
    assert bill(person, date(2026, 6, 1)).amount == D("90.00")  # the open June bill was recomputed
    assert bill(person, date(2026, 7, 1)).amount == D("90.00")


def test_base_change_mid_year_waits_for_january_under_the_yearly_policy(tree, secretary):
    RuleOverride.objects.create(org=tree["district"], rule_id=rules.YEARLY_FIXED, params={"yearly": 1},
                                reason="本区按年核定")
    person = _base_change_year(tree, secretary)
    assert bill(person, date(2026, 6, 1)).amount == D("40.00")
    assert bill(person, date(2026, 7, 1)).amount == D("40.00")
    assert bill(person, date(2026, 7, 1)).base == D("4000.00")
    # Next January the new base applies (checked on the pure helper: January 2027 is in the future).
    from dangjian.dues import billing
    history = list(DuesBase.objects.filter(person=person).order_by("effective_month"))
    assert billing.base_in_effect(history, date(2027, 3, 1), yearly=True).base == D("6000.00")


def test_paid_bills_are_not_recomputed_when_the_base_changes(tree, secretary):
    person = setup_member(tree["branch_a1"], secretary, base="4000")
    services.bills_generate(actor=secretary, month=date(2026, 3, 1), org=tree["school_a"])
    services.payment_record(actor=secretary, person=person, months=[date(2026, 3, 1)], paid_on=date(2026, 3, 10))
    services.base_set(actor=secretary, person=person, category=Category.EMPLOYED, base="8000",
                      effective_month=date(2026, 3, 1))
    assert bill(person, date(2026, 3, 1)).amount == D("40.00")


def test_a_transfer_between_schools_mid_year_keeps_one_continuous_account(tree, district_admin):
    person = setup_member(tree["branch_a1"], district_admin, base="4000")
    for m in (4, 5, 6):
        services.bills_generate(actor=district_admin, month=date(2026, m, 1), org=tree["school_a"])
    services.payment_record(actor=district_admin, person=person, months=[date(2026, 4, 1), date(2026, 5, 1)],
                            paid_on=date(2026, 5, 20))
    member_services.person_move(actor=district_admin, person=person, new_org=tree["school_b"],
                                effective_on=date(2026, 7, 1))
    person.refresh_from_db()
    # Both schools generate July: the member gets exactly one July bill, at the new school.
    assert services.bills_generate(actor=district_admin, month=date(2026, 7, 1), org=tree["school_a"]).created == 0
    assert services.bills_generate(actor=district_admin, month=date(2026, 7, 1), org=tree["school_b"]).created == 1
    bills = list(DuesBill.objects.filter(person=person).order_by("month"))
    assert [b.month.month for b in bills] == [4, 5, 6, 7]
    assert [b.org_id for b in bills] == [tree["branch_a1"].pk] * 3 + [tree["school_b"].pk]
    # The new school's secretary sees and settles the June arrears carried over, in one payment.
    new_secretary = make_user("b_sec", Role.SECRETARY, tree["school_b"])
    assert DuesBill.objects.visible_to(new_secretary).filter(person=person).count() == 4
    payment = services.payment_record(actor=new_secretary, person=person, months=[date(2026, 6, 1), date(2026, 7, 1)],
                                      paid_on=date(2026, 7, 10))
    assert payment.org_id == tree["school_b"].pk and payment.amount == D("80.00")
    assert not DuesBill.objects.unpaid().filter(person=person).exists()


def test_only_writers_of_the_organisation_may_generate(tree):
    viewer = make_user("v", Role.VIEWER, tree["school_a"])
    other = make_user("o", Role.SECRETARY, tree["school_b"])
    for actor in (viewer, other):
        with pytest.raises(ValidationError):
            services.bills_generate(actor=actor, month=date(2026, 3, 1), org=tree["school_a"])
    assert not DuesBill.objects.exists()


def test_bills_for_a_future_month_are_refused(tree, secretary):
    with pytest.raises(ValidationError, match="将来"):
        services.bills_generate(actor=secretary, month=date(2099, 1, 1), org=tree["school_a"])


def test_generation_is_audited(tree, secretary):
    setup_member(tree["branch_a1"], secretary)
    services.bills_generate(actor=secretary, month=date(2026, 3, 1), org=tree["school_a"])
    entry = AuditLog.objects.filter(object_type="dues.duesbill").first()
    assert entry.changes["created"] == 1 and entry.username == "dues_sec"


def test_management_command_generates_bills_once(tree, secretary):
    setup_member(tree["branch_a1"], secretary)
    out = StringIO()
    call_command("dues", "bills", "--month", "2026-03", "--org", str(tree["school_a"].pk), stdout=out)
    assert "新生成账单 1 张" in out.getvalue()
    out = StringIO()
    call_command("dues", "bills", "--month", "2026-03", stdout=out)
    assert "新生成账单 0 张" in out.getvalue() and DuesBill.objects.count() == 1


def test_management_command_rejects_a_bad_month_or_org(tree):
    with pytest.raises(CommandError, match="不是有效的月份"):
        call_command("dues", "bills", "--month", "2026-13")
    with pytest.raises(CommandError, match="未找到"):
        call_command("dues", "bills", "--month", "2026-03", "--org", "999999")


@pytest.mark.parametrize("base, message", [("-1", "不能为负数"), ("1000000.01", "超过每月100万元"), ("abc", "不是有效的数字"),
                                           ("12.345", "两位小数"), ("", "请填写计算基数")])
def test_bad_bases_are_refused_and_change_nothing(tree, secretary, base, message):
    person = make_person(tree["branch_a1"])
    with pytest.raises(ValidationError, match=message):
        services.base_set(actor=secretary, person=person, category=Category.EMPLOYED, base=base,
                          effective_month=date(2026, 1, 1))
    assert not DuesBase.objects.exists()


def test_bases_are_only_for_party_members_in_the_writers_scope(tree, secretary):
    with pytest.raises(ValidationError, match="不是党员"):
        services.base_set(actor=secretary, person=make_person(tree["branch_a1"], status=Status.APPLICANT),
                          category=Category.EMPLOYED, base="4000", effective_month=date(2026, 1, 1))
    with pytest.raises(ValidationError, match="无权"):
        services.base_set(actor=secretary, person=make_person(tree["school_b"]), category=Category.EMPLOYED,
                          base="4000", effective_month=date(2026, 1, 1))
    assert not DuesBase.objects.exists()


def test_setting_a_base_for_the_same_month_again_corrects_it(tree, secretary):
    person = setup_member(tree["branch_a1"], secretary, base="4000")
    services.base_set(actor=secretary, person=person, category=Category.RETIRED, base="6000",
                      effective_month=date(2026, 1, 1))
    row = DuesBase.objects.get(person=person)
    assert (row.category, row.base) == (Category.RETIRED, D("6000.00"))
