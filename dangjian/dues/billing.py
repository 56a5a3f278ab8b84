"""Pure helpers shared by the services, the demo and the benchmark: months, who owes for a month,
which base applies (under the jurisdiction's policy) and the bill's fields."""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db.models import Q

from dangjian.members.models import ENDED_STATUSES, PARTY_MEMBER_STATUSES, Person

from . import rates, rules
from .models import DuesBill


def month_start(day):
    return day.replace(day=1)


def next_month(month):
    return month + relativedelta(months=1)


def month_index(day):
    return day.year * 12 + day.month - 1


def parse_month(text):
    """'2026-11' (or '2026-11-xx') → date(2026, 11, 1); ValidationError in Chinese otherwise."""
    text = (text or "").strip()
    try:
        year, month = text[:7].split("-")
        value = date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise ValidationError({"month": f"“{text[:20]}”不是有效的月份，请按 YYYY-MM 填写，如 2026-11。"}) from None
    if not 1949 <= value.year <= 2100:
        raise ValidationError({"month": "月份超出范围。"})
    return value


def month_label(month):
    return f"{month.year}年{month.month}月"


def billable_q(month):
    """People who owe dues for `month`: 党员 whose 支部大会 date (joined_on) falls before the month ends
    (费规 第八条: from that date on), plus those who left (转出, 死亡, 除名 …) after the month began."""
    end = next_month(month)
    joined = Q(joined_on__isnull=True) | Q(joined_on__lt=end)
    current = Q(status__in=PARTY_MEMBER_STATUSES) & joined
    left = Q(status__in=ENDED_STATUSES, status_since__gt=month, joined_on__isnull=False, joined_on__lt=end)
    return current | left


def billable_people(month, org=None):
    qs = Person.objects.filter(billable_q(month))
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    return qs


class Policy:
    """The dues settings of the rulebook at each organisation (resolved once per organisation)."""

    def __init__(self, rulebook):
        self.rulebook = rulebook
        self._cache = {}

    def at(self, org):
        if org.pk not in self._cache:
            _, yearly = self.rulebook.setting(org, rules.YEARLY_FIXED)
            _, farmer = self.rulebook.setting(org, rules.FARMER_AMOUNT)
            _, backpay = self.rulebook.setting(org, rules.BACKPAY_LIMIT)
            _, centre = self.rulebook.setting(org, rules.CENTRE_THRESHOLD)
            _, deductions = self.rulebook.setting(org, rules.DEDUCTIONS)
            self._cache[org.pk] = {
                "yearly": bool(yearly["yearly"]),
                "farmer_amount": Decimal(farmer["fen"]) / 100,
                "backpay_months": backpay["months"],
                "centre_threshold": Decimal(centre["yuan"]),
                "deduct_social_insurance": bool(deductions["social_insurance"]),
                "deduct_annuity": bool(deductions["annuity"]),
            }
        return self._cache[org.pk]


def policy_for(orgs):
    from dangjian.compliance.engine import Rulebook

    return Policy(Rulebook(list(orgs)))


def base_in_effect(history, month, *, yearly):
    """The base row (anything with .effective_month) that applies to `month`. `history` is sorted by
    effective_month. Yearly policy: the base in effect in January applies all year (when the member had no
    base yet in January, the first one of the year in effect at `month`)."""
    def latest(on):
        found = None
        for row in history:
            if row.effective_month <= on:
                found = row
            else:
                break
        return found

    if yearly:
        january = latest(date(month.year, 1, 1))
        if january is not None:
            return january
    return latest(month)


class BaseRow(NamedTuple):
    """A base as read for billing (a DuesBase row without the model overhead)."""

    effective_month: date
    category: str
    base: Decimal


def bill_for(person_id, org_id, month, base_row, policy, cache=None):
    """An unsaved DuesBill for a person, month and base row under a policy dict. `cache` (a dict) reuses the
    assessment of a (category, base, farmer amount) already seen."""
    key = (base_row.category, base_row.base, policy["farmer_amount"])
    assessment = cache.get(key) if cache is not None else None
    if assessment is None:
        assessment = rates.assess(base_row.category, base_row.base, farmer_amount=policy["farmer_amount"])
        if cache is not None:
            cache[key] = assessment
    return DuesBill(person_id=person_id, org_id=org_id, month=month, category=assessment.category,
                    base=assessment.base, base_month=base_row.effective_month, rate=assessment.rate,
                    tier=assessment.tier[:40], source=assessment.source, standard_amount=assessment.amount,
                    amount=assessment.amount)
