"""Findings about 发展党员 files: the next legal deadline of every open file of the checked organisations —
逾期 once it has passed, 即将到期 within SOON_DAYS. Two queries (files with people and organisations; their
steps), whatever the number of organisations."""

from dangjian.compliance.engine import Finding
from dangjian.compliance.rulebook import Severity

from . import logic, selectors
from .models import DevelopmentFile

SOON_DAYS = 30


def deadlines(orgs, rulebook, on):
    orgs = list(orgs)
    if not orgs:
        return []
    by_id = {o.pk: o for o in orgs}
    files = selectors.open_files(DevelopmentFile.objects.filter(org_id__in=list(by_id)))
    out = []
    for f in files:
        org = by_id[f.org_id]
        d = logic.deadline(f, f.step_rows, logic.Settings(rulebook, org))
        if d is None:
            continue
        left = d.days_left(on)
        if left < 0:
            out.append(Finding(org.pk, org.name, f.person.name, d.rule.id, Severity.OVERDUE,
                               f"{f.person.name}：{d.label}已逾期（应于 {d.due_on:%Y-%m-%d} 前）", d.due_on))
        elif left <= SOON_DAYS:
            out.append(Finding(org.pk, org.name, f.person.name, d.rule.id, Severity.SOON,
                               f"{f.person.name}：{d.label}须于 {d.due_on:%Y-%m-%d} 前完成（还有{left}天）", d.due_on))
    return out


CHECKS = [deadlines]
