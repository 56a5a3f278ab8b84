"""民主评议 findings: an open 不合格 follow-up (限期改正 or another measure with a due date) is "soon" in the last
`soon_days` days up to and including its due date and overdue from the day after (章 第九条; DOMAIN §8).
One query whatever the number of organisations."""

from datetime import timedelta

from dangjian.compliance.engine import Finding
from dangjian.compliance.rulebook import Severity, rules_by_id
from dangjian.orgs.models import OrgKind

from . import rules
from .models import FollowUp


def check_follow_ups(orgs, rulebook, on):
    holders = {o.pk: o for o in orgs if o.kind != OrgKind.GROUP and not o.is_dissolved}
    if not holders:
        return
    rows = (FollowUp.objects.filter(subject__round__org_id__in=list(holders), closed_on__isnull=True,
                                    due_on__isnull=False)
            .values_list("subject__round__org_id", "subject__person__name", "subject__round__year", "measure",
                         "due_on").order_by("due_on", "id"))
    rule = rules_by_id()[rules.FOLLOW_UP_DUE]
    for org_id, name, year, measure, due_on in rows:
        org = holders[org_id]
        enabled, params = rulebook.setting(org, rules.FOLLOW_UP_DUE)
        if not enabled:
            continue
        label = FollowUp.Measure(measure).label
        if on > due_on:
            yield Finding(org.pk, org.name, name, rule.id, Severity.OVERDUE,
                          f"{name}在{year}年度民主评议中被评定为不合格，{label}期限{due_on:%Y-%m-%d}已过，尚未登记办结情况。",
                          due_on)
        elif on >= due_on - timedelta(days=params["soon_days"]):
            yield Finding(org.pk, org.name, name, rule.id, Severity.SOON,
                          f"{name}在{year}年度民主评议中被评定为不合格，{label}期限为{due_on:%Y-%m-%d}，请及时跟进。",
                          due_on)


CHECKS = [check_follow_ups]
