"""Findings: what the rules say about the records, computed on demand.

Each app's `checks.py` yields `Finding`s for a set of organisations; the engine
resolves the effective rule settings (nearest ancestor override) once per request,
with a single query for all overrides that could apply.
"""

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from .models import RuleOverride
from .rulebook import FindingText, Severity, rules_by_id

# Above this many candidate ancestor paths, load every override instead of an IN list:
# overrides are configuration (few rows), and a huge IN list strains both databases.
_MAX_PATHS_IN_QUERY = 500


@dataclass(frozen=True)
class Finding(FindingText):
    org_id: int
    org_name: str
    subject: str
    rule_id: str
    severity: str
    message: str
    due_on: date | None = None
    basis: str = ""          # the local decision the rule comes from, when an organisation changed it


@dataclass(frozen=True)
class Effective:
    """The setting of one rule at one organisation, and where it comes from."""

    rule_id: str
    enabled: bool
    params: dict = field(default_factory=dict)
    override_id: int | None = None       # the override that decides it (None: the rulebook default)
    from_org_id: int | None = None
    from_org_name: str = ""
    reason: str = ""
    own: bool = False                     # the override sits on the organisation itself

    @property
    def is_default(self):
        return self.override_id is None

    @property
    def rule(self):
        return rules_by_id()[self.rule_id]

    @property
    def origin_label(self):
        if self.is_default:
            return "默认"
        if self.own:
            return "本组织调整"
        return f"继承自{self.from_org_name}"

    @property
    def basis(self):
        """Where a changed setting comes from, e.g. "新华小学党支部规定：党支部工作制度"; "" for the default."""
        if self.is_default:
            return ""
        return f"{self.from_org_name}规定" + (f"：{self.reason}" if self.reason else "")


def _ancestor_paths(path, steplen):
    return [path[:end] for end in range(steplen, len(path) + 1, steplen)]


class Rulebook:
    """Effective settings for organisations, from one query of overrides on their ancestors."""

    def __init__(self, orgs):
        from dangjian.orgs.models import Organisation

        self._steplen = Organisation.steplen
        paths = {o.path for o in orgs}
        ancestor_paths = {a for p in paths for a in _ancestor_paths(p, self._steplen)}
        self._overrides = {}
        self._overridden = set()       # rule ids with at least one override here
        self._override_paths = set()   # paths of the organisations with at least one override
        self._defaults = {}            # rule id -> the shared default Effective
        if not ancestor_paths:
            return
        rows = RuleOverride.objects.all()
        if len(ancestor_paths) <= _MAX_PATHS_IN_QUERY:
            rows = rows.filter(org__path__in=ancestor_paths)
        for row in rows.values("id", "org_id", "org__path", "org__name", "rule_id", "enabled", "params", "reason"):
            self._overrides[(row["org__path"], row["rule_id"])] = row
            self._overridden.add(row["rule_id"])
            self._override_paths.add(row["org__path"])

    def resolve(self, org, rule_id):
        """The `Effective` setting of a rule at an organisation: the nearest override on the
        organisation or an ancestor wins; without one, the rulebook default."""
        if rule_id not in self._overridden:   # the common case: no organisation changed this rule
            default = self._defaults.get(rule_id)
            if default is None:
                rule = rules_by_id()[rule_id]
                default = self._defaults[rule_id] = Effective(rule_id, rule.enabled, dict(rule.params))
            return default
        rule = rules_by_id()[rule_id]
        for end in range(len(org.path), 0, -self._steplen):
            row = self._overrides.get((org.path[:end], rule_id))
            if row is not None:
                return Effective(rule_id, row["enabled"], {**rule.params, **(row["params"] or {})},
                                 override_id=row["id"], from_org_id=row["org_id"], from_org_name=row["org__name"],
                                 reason=row["reason"], own=row["org_id"] == org.pk)
        return Effective(rule_id, rule.enabled, dict(rule.params))

    def uses_defaults(self, org):
        """True when neither the organisation nor an ancestor changed any rule: every rule resolves to its
        default here (callers may then share work between such organisations)."""
        if not self._override_paths:
            return True
        return not any(org.path[:end] in self._override_paths for end in range(len(org.path), 0, -self._steplen))

    def setting(self, org, rule_id):
        """(enabled, params) for a rule at an organisation."""
        effective = self.resolve(org, rule_id)
        return effective.enabled, effective.params


SEVERITY_ORDER = {Severity.OVERDUE: 0, Severity.SOON: 1, Severity.INFO: 2}


def findings_for(orgs, on=None, *, only=None):
    """All findings for these organisations (each app contributes its checks).
    Query count does not depend on how many organisations are passed.
    `only`: app names (e.g. ["orgs"]) to run only those apps' checks."""
    from dangjian.core.registry import app_modules

    orgs = list(orgs)
    rulebook = Rulebook(orgs)
    on = on or timezone.localdate()
    modules = [m for m in app_modules("checks")
               if only is None or m.__name__.split(".")[-2] in set(only)]
    results = [finding for module in modules for check in module.CHECKS
               for finding in check(orgs, rulebook, on)]
    results.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.org_name, f.rule_id, f.due_on or date.min))
    return results
