"""Dues findings (DOMAIN §4, §2 exit rules): members with consecutive months of unpaid dues.

A month's dues are due during the month and overdue from the 1st of the next month (DOMAIN §8).
Runs of consecutive overdue, unpaid (and not waived) months count: ≥ 3 → warning (地方做法),
≥ 6 → 自行脱党 risk (章 第九条). One query whatever the number of organisations.
"""

from dateutil.relativedelta import relativedelta

from dangjian.compliance.engine import Finding
from dangjian.compliance.rulebook import rules_by_id
from dangjian.orgs.models import OrgKind

from . import billing, rules
from .models import DuesBill
from .selectors import longest_run


def check_arrears(orgs, rulebook, on):
    holders = {o.pk: o for o in orgs if o.kind != OrgKind.GROUP and not o.is_dissolved}
    if not holders:
        return
    current = billing.month_start(on)
    rows = (DuesBill.objects.unpaid().filter(person__org_id__in=list(holders), month__lt=current)
            .values_list("person_id", "person__name", "person__org_id", "month").order_by("person_id", "month"))
    people = {}
    for person_id, name, org_id, month in rows:
        people.setdefault(person_id, (name, org_id, []))[2].append(month)
    for name, org_id, months in people.values():
        org = holders[org_id]
        start, end, run = longest_run(months)
        lapse_on, lapse = rulebook.setting(org, rules.ARREARS_LAPSE)
        warn_on, warn = rulebook.setting(org, rules.ARREARS_WARNING)
        if lapse_on and run >= lapse["months"]:
            rule_id = rules.ARREARS_LAPSE
            message = (f"{name}已连续{run}个月未交纳党费（{billing.month_label(start)}至{billing.month_label(end)}），"
                       f"有自行脱党风险，应及时谈话教育；无正当理由的，按章程第九条处理。")
            due_on = start + relativedelta(months=lapse["months"])
        elif warn_on and run >= warn["months"]:
            rule_id = rules.ARREARS_WARNING
            message = (f"{name}已连续{run}个月未交纳党费（{billing.month_label(start)}至{billing.month_label(end)}），"
                       f"请提醒按时交纳。")
            due_on = start + relativedelta(months=lapse["months"]) if lapse_on else None
        else:
            continue
        yield Finding(org.pk, org.name, name, rule_id, rules_by_id()[rule_id].severity, message, due_on)


CHECKS = [check_arrears]
