"""The 积分办法 that applies at an organisation: its own rule set, else the nearest ancestor's, else the platform
default (base points here, each source's default rule on the source). Resolved like the compliance rulebook
(dangjian.compliance.engine.Rulebook): one query for every rule set that could apply."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from dangjian.compliance.engine import _ancestor_paths

from .models import RuleSet
from .sources import all_sources

TENTH = Decimal("0.1")
DEFAULT_BASE = Decimal("60.0")
DEFAULT_BASIS = ("平台默认积分办法。党员积分制管理没有全国统一标准（DOMAIN §5，地方做法 [L]），由各级党组织结合实际"
                 "自行制定；本默认值仅供参考：基础分60分，出席组织生活、完成学习任务加分，无故缺席、欠缴党费扣分。")


@dataclass(frozen=True)
class RuleLine:
    key: str
    label: str
    unit: str
    points: Decimal
    cap: Decimal | None
    default: bool          # taken from the platform default (the rule set does not name this source)

    @property
    def is_deduction(self):
        return self.points < 0


@dataclass(frozen=True)
class Effective:
    """The rule set in force at one organisation, and where it comes from."""

    base: Decimal
    rules: tuple            # RuleLine per source, in source order
    basis: str = DEFAULT_BASIS
    rule_set_id: int | None = None
    from_org_id: int | None = None
    from_org_name: str = ""
    own: bool = False

    @property
    def is_default(self):
        return self.rule_set_id is None

    @property
    def origin_label(self):
        if self.is_default:
            return "平台默认"
        if self.own:
            return "本组织制定"
        return f"沿用{self.from_org_name}的办法"

    def rule(self, key):
        return next((line for line in self.rules if line.key == key), None)


def _lines(own_rules):
    lines = []
    for key, source in all_sources().items():
        points, cap = own_rules.get(key, (source.default_points, source.default_cap))
        lines.append(RuleLine(key, source.label, source.unit, Decimal(points).quantize(TENTH),
                              None if cap is None else Decimal(cap).quantize(TENTH), key not in own_rules))
    return tuple(lines)


def default():
    return Effective(DEFAULT_BASE, _lines({}))


def of_rule_set(rule_set, org=None):
    own_rules = {r.source_key: (r.points, r.cap) for r in rule_set.rules.all()}
    return Effective(rule_set.base, _lines(own_rules), rule_set.basis, rule_set.pk, rule_set.org_id,
                     rule_set.org.name, own=org is not None and org.pk == rule_set.org_id)


class Rulebook:
    """The rule sets for organisations (their ancestors) and, with `subtree`, for everything under it.
    Two queries (rule sets, their rules) whatever the number of organisations."""

    def __init__(self, orgs=(), *, subtree=None):
        from dangjian.orgs.models import Organisation

        self._steplen = Organisation.steplen
        paths = {o.path for o in orgs} | ({subtree.path} if subtree is not None else set())
        query = Q(org__path__in={a for p in paths for a in _ancestor_paths(p, self._steplen)})
        if subtree is not None:
            query |= Q(org__path__startswith=subtree.path)
        rows = RuleSet.objects.filter(query).select_related("org").prefetch_related("rules") if paths else []
        self._by_path = {row.org.path: row for row in rows}
        self._cache = {}

    def governing(self, path):
        """The rule set that decides at the organisation with this path (None: the platform default)."""
        for end in range(len(path), 0, -self._steplen):
            row = self._by_path.get(path[:end])
            if row is not None:
                return row
        return None

    def at(self, org):
        row = self.governing(org.path)
        if row is None:
            return self._cache.setdefault(None, default())
        if row.org_id == org.pk:
            return of_rule_set(row, org)
        if row.pk not in self._cache:
            self._cache[row.pk] = of_rule_set(row)
        return self._cache[row.pk]

    def at_path(self, path):
        """As `at`, for a member's organisation known only by its path (`own` is not decided)."""
        row = self.governing(path)
        key = row.pk if row is not None else None
        if key not in self._cache:
            self._cache[key] = default() if row is None else of_rule_set(row)
        return self._cache[key]


def effective(org):
    return Rulebook([org]).at(org)
