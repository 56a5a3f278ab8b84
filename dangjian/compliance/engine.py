"""Findings: what the rules say about the records, computed on demand.

Each app's `checks.py` yields `Finding`s for a set of organisations; the engine
resolves the effective rule settings (nearest ancestor override) once per request.
"""

from dataclasses import dataclass
from datetime import date

from .models import RuleOverride
from .rulebook import RULES_BY_ID, Severity


@dataclass(frozen=True)
class Finding:
    org_id: int
    org_name: str
    subject: str
    rule_id: str
    severity: str
    message: str
    due_on: date | None = None

    @property
    def rule(self):
        return RULES_BY_ID[self.rule_id]

    @property
    def source(self):
        return self.rule.source

    @property
    def severity_label(self):
        return Severity.LABELS[self.severity]


class Rulebook:
    """Effective settings for organisations, from one query of overrides on their ancestors."""

    def __init__(self, orgs):
        paths = {o.path for o in orgs}
        ancestor_paths = {p[: i] for p in paths for i in range(4, len(p) + 1, 4)}
        self._overrides = {}
        for row in RuleOverride.objects.filter(org__path__in=ancestor_paths).values(
                "org__path", "rule_id", "enabled", "params"):
            self._overrides[(row["org__path"], row["rule_id"])] = row

    def setting(self, org, rule_id):
        """(enabled, params) for a rule at an organisation."""
        rule = RULES_BY_ID[rule_id]
        for end in range(len(org.path), 0, -4):
            row = self._overrides.get((org.path[:end], rule_id))
            if row is not None:
                return row["enabled"], {**rule.params, **(row["params"] or {})}
        return rule.enabled, dict(rule.params)


def findings_for(orgs, on=None):
    """All findings for these organisations (each app contributes its checks)."""
    from dangjian.orgs import checks as org_checks

    orgs = list(orgs)
    rulebook = Rulebook(orgs)
    on = on or date.today()
    results = list(org_checks.check_setup(orgs, rulebook, on))
    order = {Severity.OVERDUE: 0, Severity.SOON: 1, Severity.INFO: 2}
    results.sort(key=lambda f: (order[f.severity], f.org_name, f.rule_id))
    return results
