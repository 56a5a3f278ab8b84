"""The compliance matrix: organisations × months × meeting types for one subtree and one year.

One grouped query over meetings (org, type → a count for each month) for the whole subtree, plus the overrides
(Rulebook) and the committee applicability; the organisation list is the caller's. Each period is judged
as `life.checks.period_status` judges it for the findings (expected? met? else missed / due / not yet due),
inlined in the loop below with the time-dependent part computed once per period (a district has ~30 000
periods a year); tests/test_compliance_matrix.py checks that the matrix and the findings agree.

Colours: met (green), soon / current period not yet met (amber), missed (red), not applicable (grey),
not yet due (white). A period longer than a month (quarter, semester, year) is one cell spanning its
months in the single-type view; in the all-types view each month shows one mark per type, coloured by
the period that month belongs to.
"""

from dataclasses import dataclass, field
from datetime import date

from django.urls import reverse

from dangjian.life.checks import (
    CHECKED_KINDS, CURRENT, FUTURE, MET, MISSED, NA, SOON, applicable_obligations, meeting_month_grid,
)
from dangjian.life.rules import OBLIGATION_BY_TYPE, OBLIGATIONS, Frequency, periods_overlapping

from .engine import Rulebook

STATUS_LABELS = {
    MET: "已召开", SOON: "即将到期", CURRENT: "本期尚未召开", MISSED: "未召开（逾期）", FUTURE: "未到期", NA: "不适用",
}
LEGEND = [(MET, "已召开"), (SOON, "本期尚未召开/即将到期"), (MISSED, "未召开（逾期）"), (FUTURE, "未到期"),
          (NA, "不适用")]


@dataclass(slots=True, frozen=True)
class Cell:
    """One period's mark. Cells carry no organisation: equal cells are one shared object across the rows (a
    district has ~30 000 periods a year, but only a few hundred distinct cells); the template appends the row's
    organisation id to `link`."""

    status: str
    meeting_type: str
    label: str            # the meeting type's name
    period: object        # life.rules.Period (None for a grey placeholder)
    n: int = 0
    colspan: int = 1
    links: tuple = ("", "")   # (meeting list URL, new meeting URL)

    @property
    def period_label(self):
        return self.period.label if self.period is not None else ""

    @property
    def link(self):
        """Met: the meetings of the period; a gap (missed, due, not yet due): plan a meeting; grey: none.
        Ends with "org=" (ids, type codes and ISO dates need no escaping)."""
        if self.status == MET:
            return (f"{self.links[0]}?type={self.meeting_type}"
                    f"&start={self.period.start}&end={self.period.end}&org=")
        if self.status == NA:
            return ""
        return f"{self.links[1]}?type={self.meeting_type}&org="

    def url_for(self, org_id):
        return f"{self.link}{org_id}" if self.status != NA else ""

    @property
    def title(self):
        if self.period is None:
            return f"{self.label}：{STATUS_LABELS[self.status]}"
        return f"{self.label} {self.period.label}：{STATUS_LABELS[self.status]}（{self.n}次）"

    @property
    def css(self):
        return "soon" if self.status == CURRENT else self.status


@dataclass
class Row:
    org: object
    indent: int
    applied: list = field(default_factory=list)
    cells: list = field(default_factory=list)     # single-type view: period cells; all-types view: 12 tuples
    met: int = 0
    missed: int = 0
    pending: int = 0
    results: list = field(default_factory=list, repr=False)   # the shared judgements behind `cells` (see fill_cells)
    drill: bool = False   # set by the view: the organisation has sub-organisations in the matrix

    @property
    def percent(self):
        done = self.met + self.missed
        return round(100 * self.met / done) if done else None

    @property
    def applicable(self):
        return bool(self.applied)


@dataclass
class Matrix:
    root: object
    year: int
    on: date
    meeting_type: str | None
    rows: list
    types: list          # [(type, label, rule)] the columns' types (all-types view: every obligation type present)
    local_rules: list = field(default_factory=list)   # organisations' own settings in force in this subtree
    fill: object = field(default=None, repr=False)      # fills a row's cells from its judgements (see fill_cells)

    def fill_cells(self, rows):
        """Give `rows` (rows of this matrix, e.g. one page of them) their cells. build_matrix(cells=False) judges
        every row (the totals need them all) but lays out no cells: the page's rows get them here, from the
        same shared judgements, without a query."""
        for row in rows:
            if not row.cells and row.results:
                self.fill(row)
        return rows

    @property
    def met(self):
        return sum(r.met for r in self.rows)

    @property
    def missed(self):
        return sum(r.missed for r in self.rows)

    @property
    def percent(self):
        done = self.met + self.missed
        return round(100 * self.met / done) if done else None


def _links():
    base = reverse("life:meetings")
    return base, f"{base}new/"


def _type_label(meeting_type):
    from dangjian.life.models import MeetingType

    return MeetingType(meeting_type).label


def build_matrix(orgs, root, year, on, meeting_type=None, *, cells=True):
    """The matrix for `root`'s subtree (`orgs`: the subtree's organisations, ordered by path, `root` first)
    and calendar `year`, as of `on`. `meeting_type`: one obligation type, or None for all types.
    `cells=False`: every row is judged (met / missed / pending, so the totals cover the whole subtree) but only
    the rows later passed to `Matrix.fill_cells` get their cells — the page shows a page of rows, not all."""
    year_start, year_end = date(year, 1, 1), date(year, 12, 31)
    as_of = min(on, year_end)
    rulebook = Rulebook(orgs)
    checked = [o for o in orgs if o.kind in CHECKED_KINDS
               and (o.dissolved_on is None or o.dissolved_on > year_start)]
    applied = applicable_obligations(checked, rulebook, as_of)
    if meeting_type is not None:
        applied = {pk: [a for a in items if a.meeting_type == meeting_type] for pk, items in applied.items()}
        applied = {pk: items for pk, items in applied.items() if items}

    # The obligation lists are shared between organisations (see applicable_obligations): visit each once.
    distinct = list({id(a): a for items in {id(items): items for items in applied.values()}.values()
                     for a in items}.values())
    frequencies = {a.frequency for a in distinct}
    start = date(year - 1, 9, 1) if Frequency.SEMESTER in frequencies else year_start
    end = min(date(year + 1, 1, 31) if Frequency.SEMESTER in frequencies else year_end, on)
    months, counts = [], {}
    if applied and start <= end:
        types = {a.meeting_type for a in distinct}
        months, counts = meeting_month_grid(start=start, end=end, path=root.path, types=types)
    column = {key: i for i, key in enumerate(months)}

    links = _links()
    labels = {rule.meeting_type: _type_label(rule.meeting_type) for rule in OBLIGATIONS}
    periods_cache = {}

    def periods(frequency, soon_days):
        """[(period, its months within the year, its month keys, the status when not met)] of a frequency,
        computed once per build: whether an unmet period is missed, due or not yet due depends on `on`
        only, not on the organisation (the hot loop below then only counts)."""
        key = (frequency, soon_days)
        if key not in periods_cache:
            out = []
            for p in periods_overlapping(frequency, year_start, year_end):
                if p.end < on:
                    unmet = MISSED
                elif p.start > on:
                    unmet = FUTURE
                elif (p.end - on).days < soon_days:
                    unmet = SOON
                else:
                    unmet = CURRENT
                columns = tuple(column[k] for k in p.month_keys if k in column)   # months up to `on` only
                out.append((p, sum(1 for (y, _) in p.months if y == year), columns, unmet))
            periods_cache[key] = out
        return periods_cache[key]

    rows = []
    shared = {}   # (status, type, id(period), n) -> Cell; periods live as long as periods_cache
    by_item = {}  # id(Applied) -> its periods (Applied objects are shared, see applicable_obligations)
    judged = {}   # (id(Applied), month counts, founding/dissolution) -> (cells, met, missed, pending)
    zipped = {}   # all-types view: (kind, ids of the row's judged results) -> the row's 12 tuples
    empty = (0,) * len(months)
    na_row = {rule.meeting_type: [Cell(NA, rule.meeting_type, labels[rule.meeting_type], None)] * 12
              for rule in OBLIGATIONS}
    compact = meeting_type is None

    def judge(item, grid, founded, dissolved):
        """One obligation's cells over the year for one organisation's month counts. A district has ~30 000
        periods a year but only a few hundred distinct (obligation, counts) pairs: `judged` keeps each."""
        kind = item.meeting_type
        label = labels[kind]
        item_periods = by_item.get(id(item))
        if item_periods is None:
            item_periods = by_item[id(item)] = periods(item.frequency, item.soon_days)
        cells, met, missed, pending = [], 0, 0, 0
        for period, span, columns, unmet in item_periods:
            if (founded is not None and founded > period.last_month_start) or (
                    dissolved is not None and dissolved <= period.end):
                status, n = NA, 0   # not expected to meet this period (see life.checks.expected_in)
            else:
                n = grid[columns[0]] if len(columns) == 1 else sum([grid[i] for i in columns])
                status = MET if n >= period.required else unmet
            if status == MET:
                met += 1
            elif status == MISSED:
                missed += 1
            elif status == SOON or status == CURRENT:
                pending += 1
            key = (status, kind, id(period), n)
            c = shared.get(key)
            if c is None:
                c = shared[key] = Cell(status, kind, label, period, n, span, links)
            if compact:
                cells += [c] * span
            else:
                cells.append(c)
        return cells, met, missed, pending

    def fill(row):
        """Lay out a judged row's cells (single-type view: its periods in order; all-types view: 12 tuples)."""
        results = row.results
        if not compact:
            row.cells = [c for result in results for c in result[0]]
            return
        key = (row.org.kind, *map(id, results))   # `judged` keeps the results alive: their ids are stable
        shared_cells = zipped.get(key)
        if shared_cells is None:
            # Fixed slots per kind: an obligation that does not apply here (e.g. 支委会 without a committee,
            # or switched off) is a grey mark, so the marks line up down the column.
            per_kind = {item.meeting_type: result[0] for item, result in zip(row.applied, results)}
            ordered = [per_kind.get(rule.meeting_type) or na_row[rule.meeting_type]
                       for rule in OBLIGATIONS if row.org.kind in rule.kinds]
            shared_cells = zipped[key] = list(zip(*ordered))
        row.cells = shared_cells   # shared between rows with the same marks: read only

    for org in orgs:
        if org.dissolved_on is not None and org.dissolved_on <= year_start:
            continue
        org_id = org.pk
        row = Row(org=org, indent=min(org.depth - root.depth, 6), applied=applied.get(org_id, []))
        # Every period starts its last month on or after 1 January: an organisation founded by then is
        # expected in all of them, so its founding date does not enter the memo key.
        founded = org.founded_on if org.founded_on > year_start else None
        dissolved = org.dissolved_on
        results = []
        met = missed = pending = 0
        for item in row.applied:
            grid = counts.get((org_id, item.meeting_type), empty)
            key = (id(item), grid, founded, dissolved)
            result = judged.get(key)
            if result is None:
                result = judged[key] = judge(item, grid, founded, dissolved)
            results.append(result)
            met += result[1]
            missed += result[2]
            pending += result[3]
        row.met, row.missed, row.pending = met, missed, pending
        row.results = results
        if cells and results:
            fill(row)
        rows.append(row)

    present = {a.meeting_type for a in distinct}
    types = [(rule.meeting_type, _type_label(rule.meeting_type), rule) for rule in OBLIGATIONS
             if rule.meeting_type in present or rule.meeting_type == meeting_type]
    local = {}
    for a in distinct:
        if not a.effective.is_default:
            key = (a.rule.id, a.effective.override_id)
            local[key] = {"rule": a.rule, "label": _type_label(a.meeting_type), "frequency": a.frequency_label,
                          "org": a.effective.from_org_name, "reason": a.effective.reason}
    return Matrix(root=root, year=year, on=on, meeting_type=meeting_type, rows=rows, types=types,
                  local_rules=sorted(local.values(), key=lambda d: (d["org"], d["rule"].id)), fill=fill)


def default_rules():
    """[(type label, rule, default frequency label)] for the legend of sources."""
    return [(_type_label(r.meeting_type), r, Frequency.LABELS[r.params["frequency"]]) for r in OBLIGATIONS]


def obligation_types():
    """[(type, label)] of every meeting type with an obligation, for the type picker."""
    return [(t, _type_label(t)) for t in OBLIGATION_BY_TYPE]
