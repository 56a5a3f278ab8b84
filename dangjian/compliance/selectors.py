"""The findings a page shows for a scope, in a fixed number of queries whatever the scope's size.

A scope of at most `settings.FINDINGS_LIVE_MAX_ORGS` organisations (a school, an area of a district) is checked
live on every visit, so a secretary sees a finding go the moment the meeting is recorded. A larger scope (a
district or a province: tens of thousands of organisations, minutes of checking) reads the newest stored run of
the nightly `findings` job (`services.findings_store`): counts and pages come from the database, and the page says
which day the findings are for. A past date over a large scope is refused with the reason, not computed in the
request.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Min, Window
from django.db.models.functions import DenseRank
from django.utils import timezone

from .engine import SEVERITY_ORDER, findings_for
from .models import FindingRun, StoredFinding
from .rulebook import Severity, rules_by_id

SEVERITIES = tuple(SEVERITY_ORDER)   # overdue, soon, info
GROUP_ORGS = 3                       # organisations named per rule and severity on the 工作台


@dataclass
class FindingSet:
    """One scope's findings as of `on`, live (`items`, the engine's list) or stored (`rows`, a queryset of
    StoredFinding in the engine's order). `run` is the stored run read (None when live or when none exists yet)."""

    on: date
    live: bool
    items: list | None = None
    rows: object = None
    run: FindingRun | None = None

    @property
    def missing(self):
        """A large scope and no stored run yet (a new installation before its first nightly check)."""
        return not self.live and self.run is None

    def filtered(self, *, severity=None, rule_id=None):
        """The findings (a list, or a queryset a Paginator pages in the database) of one severity and/or rule."""
        if self.live:
            return [f for f in self.items
                    if (not severity or f.severity == severity) and (not rule_id or f.rule_id == rule_id)]
        rows = self.rows
        if severity:
            rows = rows.filter(severity=severity)
        if rule_id:
            rows = rows.filter(rule_id=rule_id)
        return rows

    def severity_counts(self, *, rule_id=None):
        """{severity: count} for every severity (0 included), optionally of one rule."""
        counts = dict.fromkeys(SEVERITIES, 0)
        if self.live:
            for f in self.items:
                if not rule_id or f.rule_id == rule_id:
                    counts[f.severity] += 1
        else:
            rows = self.rows.filter(rule_id=rule_id) if rule_id else self.rows
            for severity, n in rows.order_by().values_list("severity").annotate(n=Count("id")):
                counts[severity] = n
        return counts

    def groups(self):
        """One entry per rule and severity, in the engine's order of their first finding: the rule, the severity,
        how many and the first few organisations (by name) — the 工作台's summary. Two queries when stored."""
        if self.live:
            return _groups(self.items)
        rows = self.rows.order_by()
        heads = list(rows.values("rule_id", "severity").annotate(count=Count("id"), first=Min("position"))
                     .order_by("first"))
        named = rows.annotate(rank=Window(DenseRank(), partition_by=[F("rule_id"), F("severity")],
                                          order_by=F("org_name").asc())).filter(rank__lte=GROUP_ORGS)
        names = {}
        for rule_id, severity, name in named.values_list("rule_id", "severity", "org_name").order_by("org_name"):
            orgs = names.setdefault((rule_id, severity), [])
            if name not in orgs:
                orgs.append(name)
        rules = rules_by_id()
        return [{"rule": rules[head["rule_id"]], "severity": head["severity"],
                 "severity_label": Severity.LABELS[head["severity"]], "count": head["count"],
                 "orgs": names.get((head["rule_id"], head["severity"]), [])} for head in heads]


def _groups(findings):
    groups = {}
    for finding in findings:
        key = (finding.rule_id, finding.severity)
        group = groups.setdefault(key, {"rule": finding.rule, "severity": finding.severity,
                                        "severity_label": finding.severity_label, "count": 0, "orgs": []})
        group["count"] += 1
        if finding.org_name not in group["orgs"] and len(group["orgs"]) < GROUP_ORGS:
            group["orgs"].append(finding.org_name)
    return list(groups.values())


def live_limit():
    return settings.FINDINGS_LIVE_MAX_ORGS


def latest_run():
    return FindingRun.objects.order_by("-finished_at", "-pk").first()


def findings_in(orgs, *, on=None, extra=()):
    """The findings of the organisations of the queryset `orgs` as of `on` (default: today, or the newest run's
    day for a large scope). `extra`: organisations to check besides (e.g. a dissolved root), live only.
    Live: one query for the organisations (at most the limit + 1 are read) plus the engine's fixed queries.
    Stored: that query, one for the run, and the page's own queries on `rows`. A large scope with a date other
    than the newest run's is a ValidationError in Chinese."""
    limit = live_limit()
    loaded = list(orgs[:limit + 1])
    if len(loaded) <= limit:
        day = on or timezone.localdate()
        return FindingSet(on=day, live=True, items=findings_for([*extra, *loaded], on=day))
    run = latest_run()
    if on is not None and (run is None or run.on != on):
        newest = f"最近一次是 {run.on:%Y-%m-%d}" if run is not None else "目前还没有"
        raise ValidationError(
            f"所选范围超过 {limit} 个组织，不能在页面上按任意日期即时检查（{newest}的每日检查结果）。"
            "请选择下级组织，或不填日期查看每日检查结果；也可由管理员运行 dangjian findings 命令按日期检查。")
    if run is None:
        return FindingSet(on=on or timezone.localdate(), live=False, rows=StoredFinding.objects.none())
    rows = (StoredFinding.objects.filter(run=run, org_id__in=orgs.order_by().values("pk"))
            .order_by("position"))
    return FindingSet(on=run.on, live=False, rows=rows, run=run)
