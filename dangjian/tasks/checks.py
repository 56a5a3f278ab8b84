"""Task findings: an open receipt (task not withdrawn) past its due date is 逾期 for the receiving organisation;
within `days` (7) days up to and including the due date it is 即将到期. One query whatever the number of
organisations."""

from datetime import timedelta

from dangjian.compliance.engine import Finding
from dangjian.compliance.rulebook import rules_by_id

from . import rules
from .models import Receipt


def check_receipts(orgs, rulebook, on):
    holders = {o.pk: o for o in orgs if not o.is_dissolved}
    if not holders:
        return
    horizon = max((rulebook.setting(o, rules.TASK_SOON)[1]["days"] for o in holders.values()), default=0)
    rows = (Receipt.objects.open().filter(org_id__in=list(holders), task__due_on__lte=on + timedelta(days=horizon))
            .values_list("org_id", "task__title", "task__org__name", "task__due_on").order_by("task__due_on", "pk"))
    for org_id, title, issuer, due_on in rows:
        org = holders[org_id]
        if due_on < on:
            enabled, _ = rulebook.setting(org, rules.TASK_OVERDUE)
            rule_id, message = rules.TASK_OVERDUE, (f"{issuer}下达的任务“{title}”已于{due_on:%Y年%m月%d日}到期，"
                                                    f"尚未反馈完成情况，已逾期{(on - due_on).days}天。")
        else:
            enabled, params = rulebook.setting(org, rules.TASK_SOON)
            enabled = enabled and (due_on - on).days <= params["days"]
            left = (due_on - on).days
            rule_id, message = rules.TASK_SOON, (f"{issuer}下达的任务“{title}”将于{due_on:%Y年%m月%d日}到期"
                                                 f"（{'今天' if left == 0 else f'还有{left}天'}），请及时完成并反馈。")
        if enabled:
            yield Finding(org.pk, org.name, title, rule_id, rules_by_id()[rule_id].severity, message, due_on)


CHECKS = [check_receipts]
