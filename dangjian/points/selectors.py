"""党员积分 computed from the records: base + Σ quantity × points per unit (each source capped), under the
rule set that applies to the member's organisation. Nothing is stored; every page recomputes.

A subtree's scores take a fixed number of queries: the members (1), the rule sets (2), and one per source,
whatever the number of members.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from dangjian.members.models import PARTY_MEMBER_STATUSES, Person

from .rulebook import Rulebook
from .sources import all_sources

Q_MAX_LENGTH = 50
ZERO = Decimal("0")


def year_period(year):
    return date(year, 1, 1), date(year, 12, 31)


@dataclass
class Line:
    rule: object            # rulebook.RuleLine
    quantity: Decimal
    raw: Decimal            # quantity × points
    subtotal: Decimal       # after the cap
    records: list = field(default_factory=list)

    @property
    def capped(self):
        return self.raw != self.subtotal


@dataclass
class Score:
    person_id: int
    name: str
    org_name: str
    base: Decimal
    lines: list
    total: Decimal
    effective: object = None
    rank: int = 0

    def line(self, key):
        return next((line for line in self.lines if line.rule.key == key), None)


def apply_rules(effective, quantities):
    """(lines, total) for {source key: quantity} under one rule set."""
    lines, total = [], effective.base
    for rule in effective.rules:
        quantity = quantities.get(rule.key, ZERO)
        raw = quantity * rule.points
        raw = raw if raw else abs(raw)          # 0 × −3.0 is "-0.0"; show 0.0
        subtotal = raw
        if rule.cap is not None and abs(raw) > rule.cap:
            subtotal = rule.cap if raw > 0 else -rule.cap
        lines.append(Line(rule, quantity, raw, subtotal))
        total += subtotal
    return lines, total


def rank(scores):
    """Sort by total (highest first) and number them; equal totals share a rank (1, 1, 3)."""
    scores.sort(key=lambda s: (-s.total, s.name, s.person_id))
    for i, score in enumerate(scores):
        score.rank = scores[i - 1].rank if i and score.total == scores[i - 1].total else i + 1
    return scores


def members(org):
    return Person.objects.filter(org__path__startswith=org.path, status__in=PARTY_MEMBER_STATUSES)


def subtree_scores(org, start, end, *, q=""):
    """Every party member now in `org`'s subtree, scored for start..end and ranked (ranks over the whole subtree;
    `q` filters by name afterwards, so a member keeps his rank)."""
    people = list(members(org).values_list("id", "name", "org__name", "org__path").order_by("org__path", "name", "id"))
    rulebook = Rulebook(subtree=org)
    ids = [row[0] for row in people]
    counts = {key: source.count(ids, start, end) if ids else {} for key, source in all_sources().items()}
    scores = []
    for person_id, name, org_name, org_path in people:
        effective = rulebook.at_path(org_path)
        lines, total = apply_rules(effective, {key: found.get(person_id, ZERO) for key, found in counts.items()})
        scores.append(Score(person_id, name, org_name, effective.base, lines, total, effective))
    rank(scores)
    q = (q or "").strip()[:Q_MAX_LENGTH]
    return [s for s in scores if q in s.name] if q else scores


def person_score(person, start, end):
    """One member's score with the records behind each quantity (Source.explain)."""
    effective = Rulebook([person.org]).at(person.org)
    sources = all_sources()
    quantities = {key: source.count([person.pk], start, end).get(person.pk, ZERO) for key, source in sources.items()}
    lines, total = apply_rules(effective, quantities)
    for line in lines:
        if line.quantity:
            line.records = sources[line.rule.key].explain(person, start, end)
    return Score(person.pk, person.name, person.org.name, effective.base, lines, total, effective)
