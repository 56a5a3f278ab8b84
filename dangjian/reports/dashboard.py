"""The cockpit (党建驾驶舱) of one organisation's subtree: the figures, their break-down by unit, and the chart data.

One dashboard for every level: a district (or 片区) breaks its figures down by school, a school by branch; a branch
has no units and shows its own figures only. Every figure comes from grouped queries over the whole subtree —
never one query per organisation — rolled up to the units in Python along the materialised paths:

- members over time (正式+预备 at each month end), 1 query: the `members.StatusEvent` history — each event moves
  the count by [its new status is a party status] − [its old status was]; the count at a date is the sum of the
  moves effective by then (one row of conditional sums);
- organisations over time, by kind, 1: `Organisation.founded_on` / `dissolved_on` (conditional counts);
- members now, per unit, 1: `Person.status` grouped by organisation;
- compliance by unit and month, 3: `compliance.matrix.build_matrix`, the matrix page's own judgement (green,
  amber, red); a unit's rate is met ÷ (met + missed) periods as the matrix counts them, a month's rate the same
  over that month's marks;
- dues collection rate by month, 1: `DuesBill` grouped by month (paid bills ÷ bills, as the 公示 counts it);
  the year per unit, 2: `dues.selectors.publication`;
- pipeline by stage, per unit, 1: open `DevelopmentFile`s, the stage as `pipeline.steps.board_stage` decides it
  (steps ⑰ / ⑦ / ③ recorded);
- service work by type, 8: `service.selectors.summary`; activities per unit, 1.

People and records count where they are now (`Person.org`, the organisation of the record or bill), so a member who
moved between two schools of the district counts in the new school's history: the district's own figures are exact.
"""

import calendar
import os
from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Sum, Value, When
from django.urls import reverse

from dangjian.compliance.matrix import build_matrix
from dangjian.dues import selectors as dues_selectors
from dangjian.dues.models import DuesBill
from dangjian.life.checks import CURRENT, MET, MISSED, SOON
from dangjian.life.models import MeetingType
from dangjian.life.rules import OBLIGATIONS
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person, Status, StatusEvent
from dangjian.orgs.models import BRANCH_KINDS, Organisation, OrgKind
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from dangjian.pipeline.steps import BoardStage
from dangjian.service import selectors as service_selectors
from dangjian.service.models import Activity

WINDOW_MONTHS = 12
COMMITTEE_KINDS = {OrgKind.WORK_COMMITTEE, OrgKind.AREA_COMMITTEE}
SCHOOL_KINDS = {OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH}
PARTY = sorted(PARTY_MEMBER_STATUSES)
STAGES = [key for key, _ in BoardStage.CHOICES]
# Ranking columns: ?sort= key -> (label, the Figures attribute). Higher first; units without a value last.
SORTS = {
    "compliance": ("组织生活合规率", "compliance"),
    "dues": ("党费收缴率", "dues"),
    "members": ("党员数", "members"),
    "pipeline": ("发展党员", "pipeline"),
    "service": ("服务活动", "activities"),
}
DEFAULT_SORT = "compliance"
# A committee with more schools than this (a province-sized tree) breaks down by its direct sub-organisations
# instead (片区, districts), so the top level stays readable; drilling down reaches the schools.
MAX_SCHOOL_UNITS = 300
CHART_ROWS = 50      # heatmap rows (the worst units) and pipeline bars (the most open files) drawn at most
RANKING_PAGE = 50    # ranking rows per page


def percent(part, whole):
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Figures:
    """The figures of one organisation's subtree (a unit, or the whole dashboard)."""

    org: object
    full: int = 0
    probationary: int = 0
    met: int = 0          # compliance periods met / missed this year (as the matrix counts them)
    missed: int = 0
    month_met: list = field(default_factory=lambda: [0] * 12)     # marks per month of the year
    month_missed: list = field(default_factory=lambda: [0] * 12)
    month_pending: list = field(default_factory=lambda: [0] * 12)
    bills: int = 0        # dues bills of the year and how many are paid
    paid_bills: int = 0
    stages: dict = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    activities: int = 0
    by_type: dict = field(default_factory=dict)   # the whole subtree only: {meeting type: (met, missed, pending)}

    @property
    def members(self):
        return self.full + self.probationary

    @property
    def compliance(self):
        return percent(self.met, self.met + self.missed)

    def month_rate(self, i):
        return percent(self.month_met[i], self.month_met[i] + self.month_missed[i])

    @property
    def dues(self):
        return percent(self.paid_bills, self.bills)

    @property
    def pipeline(self):
        return sum(self.stages.values())

    def sort_value(self, key):
        return getattr(self, SORTS[key][1])


@dataclass
class Dashboard:
    root: object
    today: date
    year: int
    months: list                  # first days of the window's months, oldest first
    units: list                   # [Figures] of the units (schools, or branches), path order
    total: Figures                # the whole subtree
    members_series: list          # 正式+预备 at each month's end (today for the current month)
    org_series: dict              # {kind: [active organisations at each month's end]}
    dues_series: list             # [(bills, paid)] per month
    service: dict                 # service.selectors.summary of the window
    service_start: date
    unit_label: str               # what the units are: "学校" or "党支部"

    @property
    def month_ends(self):
        return [month_end(m, self.today) for m in self.months]

    @property
    def year_months(self):
        """How many months of the compliance year have begun (1–12)."""
        return self.today.month if self.year == self.today.year else 12

    @property
    def orgs_now(self):
        return sum(series[-1] for series in self.org_series.values())

    def ranked(self, key=DEFAULT_SORT):
        key = key if key in SORTS else DEFAULT_SORT
        with_value = [u for u in self.units if u.sort_value(key) is not None]
        without = [u for u in self.units if u.sort_value(key) is None]
        with_value.sort(key=lambda u: (-u.sort_value(key), u.org.path))
        return with_value + without


def month_end(month, today):
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return min(last, today)


def window(today, months=WINDOW_MONTHS):
    current = today.replace(day=1)
    return [current - relativedelta(months=n) for n in range(months - 1, -1, -1)]


def units_of(root, orgs):
    """The organisations the dashboard breaks down by: below a 工委 or 片区, the schools (the topmost
    organisations that are not committees) — or, when there are more than MAX_SCHOOL_UNITS of them and the root
    has sub-committees, its direct sub-organisations; below a school (党委, 党总支), its direct sub-organisations;
    a branch has none. `orgs`: the subtree in path order."""
    if root.kind in COMMITTEE_KINDS:
        units = []
        for o in orgs:
            if o.kind in COMMITTEE_KINDS or o.kind == OrgKind.GROUP or o.pk == root.pk:
                continue
            if units and o.path.startswith(units[-1].path):
                continue
            units.append(o)
        if len(units) > MAX_SCHOOL_UNITS:
            children = [o for o in orgs if o.depth == root.depth + 1 and o.kind != OrgKind.GROUP]
            if any(o.kind in COMMITTEE_KINDS for o in children):
                return children
        return units
    if root.kind in SCHOOL_KINDS:
        return [o for o in orgs if o.depth == root.depth + 1 and o.kind != OrgKind.GROUP]
    return []


class _UnitFinder:
    """The unit an organisation path falls in (units are disjoint subtrees of different depths)."""

    def __init__(self, units):
        self.by_path = {u.org.path: u for u in units}
        self.lengths = sorted({len(p) for p in self.by_path})

    def __call__(self, path):
        for n in self.lengths:
            unit = self.by_path.get(path[:n])
            if unit is not None:
                return unit
        return None


def build(root, orgs, *, today):
    """The dashboard of `root`'s subtree as of `today`. `orgs`: the subtree's active organisations in path
    order, `root` first."""
    months = window(today)
    ends = [month_end(m, today) for m in months]
    total = Figures(root)
    unit_orgs = units_of(root, orgs)
    units = [Figures(o) for o in unit_orgs]
    find = _UnitFinder(units)
    path_of = {o.pk: o.path for o in orgs}

    def targets(org_id):
        """The figures a row of this organisation adds to: the total, and its unit if any."""
        path = path_of.get(org_id)
        unit = find(path) if path is not None else None
        return (total,) if unit is None else (total, unit)

    in_tree = Q(org__path__startswith=root.path)

    # Members over time: the sum of each status event's move in and out of the party, up to each month end.
    move = (Case(When(status__in=PARTY, then=Value(1)), default=Value(0), output_field=IntegerField())
            - Case(When(previous_status__in=PARTY, then=Value(1)), default=Value(0), output_field=IntegerField()))
    sums = StatusEvent.objects.filter(person__org__path__startswith=root.path).aggregate(
        **{f"m{i}": Sum(move, filter=Q(effective_on__lte=end)) for i, end in enumerate(ends)})
    members_series = [sums[f"m{i}"] or 0 for i in range(len(ends))]

    # Organisations over time, by kind (the root itself not counted).
    alive = [Q(founded_on__lte=end) & (Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=end)) for end in ends]
    org_rows = (Organisation.objects.filter(path__startswith=root.path).exclude(pk=root.pk).order_by()
                .values("kind").annotate(**{f"m{i}": Count("id", filter=q) for i, q in enumerate(alive)}))
    org_series = {row["kind"]: [row[f"m{i}"] for i in range(len(ends))] for row in org_rows}
    org_series = {kind: org_series[kind] for kind in OrgKind.values if kind in org_series}

    # Members now.
    for org_id, status, n in (Person.objects.filter(in_tree, status__in=PARTY).order_by()
                              .values_list("org_id", "status").annotate(n=Count("id"))):
        for f in targets(org_id):
            if status == Status.FULL:
                f.full += n
            else:
                f.probationary += n

    # Compliance: the matrix of the year, its periods per unit and its marks per month.
    year = today.year
    matrix = build_matrix(orgs, root, year, today)
    counters = {MET: 0, MISSED: 1, SOON: 2, CURRENT: 2}
    for row in matrix.rows:
        figures = targets(row.org.pk)
        for f in figures:
            f.met += row.met
            f.missed += row.missed
        for i, marks in enumerate(row.cells[:12]):
            for cell in marks:
                which = counters.get(cell.status)
                if which is None:
                    continue
                for f in figures:
                    (f.month_met, f.month_missed, f.month_pending)[which][i] += 1
                per_type = total.by_type.get(cell.meeting_type)
                if per_type is None:
                    per_type = total.by_type[cell.meeting_type] = ([0] * 12, [0] * 12, [0] * 12)
                per_type[which][i] += 1

    # Dues: collection by month over the window, and the year per unit (the 公示's figures).
    by_month = {row["month"]: (row["bills"], row["paid"]) for row in (
        DuesBill.objects.filter(in_tree, month__gte=months[0], month__lte=months[-1]).order_by()
        .values("month").annotate(bills=Count("id"), paid=Count("id", filter=Q(payment__isnull=False))))}
    dues_series = [by_month.get(m, (0, 0)) for m in months]
    rows, _ = dues_selectors.publication(root, year)
    for row in rows:
        for f in targets(row["org_id"]):
            f.bills += row["bills"]
            f.paid_bills += row["paid_bills"]

    # Pipeline: open files by board stage.
    steps = DevelopmentStep.objects.filter(file_id=OuterRef("pk"))
    stage = Case(
        When(Exists(steps.filter(number=17)), then=Value(BoardStage.PROBATIONARY)),
        When(Exists(steps.filter(number=7)), then=Value(BoardStage.CANDIDATE)),
        When(Exists(steps.filter(number=3)), then=Value(BoardStage.ACTIVIST)),
        default=Value(BoardStage.APPLICANT))
    for org_id, key, n in (DevelopmentFile.objects.open().filter(in_tree).annotate(stage=stage).order_by()
                           .values_list("org_id", "stage").annotate(n=Count("id"))):
        for f in targets(org_id):
            f.stages[key] += n

    # Service work over the window.
    service_start = months[0]
    service = service_selectors.summary(root, service_start, today)
    for org_id, n in (Activity.objects.filter(in_tree, date__gte=service_start, date__lte=today).order_by()
                      .values_list("org_id").annotate(n=Count("id"))):
        for f in targets(org_id):
            f.activities += n

    return Dashboard(root=root, today=today, year=year, months=months, units=units, total=total,
                     members_series=members_series, org_series=org_series, dues_series=dues_series,
                     service=service, service_start=service_start,
                     unit_label=unit_label(root, unit_orgs))


def unit_label(root, units):
    if root.kind in COMMITTEE_KINDS:
        return "下级组织" if any(o.kind in COMMITTEE_KINDS for o in units) else "学校"
    return "党支部" if all(o.kind in BRANCH_KINDS for o in units) else "下级组织"


# --- links to the records and the chart data ---------------------------------------------------------------

def dashboard_url(org):
    return reverse("reports:dashboard_org", args=[org.pk])


def links(dash):
    """Where each figure of the whole subtree leads: the existing list pages, filtered."""
    root, today = dash.root, dash.today
    return {
        "members": f"{reverse('members:roster')}?org={root.pk}&status=members",
        "orgs": reverse("orgs:detail", args=[root.pk]),
        "compliance": f"{reverse('compliance:matrix')}?org={root.pk}&year={dash.year}",
        "findings": f"{reverse('compliance:findings')}?org={root.pk}",
        "dues": f"{reverse('dues:publication')}?org={root.pk}&year={dash.year}",
        "arrears": f"{reverse('dues:arrears')}?org={root.pk}",
        "pipeline": f"{reverse('pipeline:board')}?org={root.pk}",
        "service": f"{reverse('service:home')}?org={root.pk}&start={dash.service_start}&end={today}",
        "service_summary": f"{reverse('service:summary')}?org={root.pk}&start={dash.service_start}&end={today}",
    }


def unit_links(unit, dash):
    org = unit.org
    return {
        "dashboard": dashboard_url(org),
        "members": f"{reverse('members:roster')}?org={org.pk}&status=members",
        "compliance": f"{reverse('compliance:matrix')}?org={org.pk}&year={dash.year}",
        "dues": f"{reverse('dues:publication')}?org={org.pk}&year={dash.year}",
        "pipeline": f"{reverse('pipeline:board')}?org={org.pk}",
        "service": f"{reverse('service:home')}?org={org.pk}&start={dash.service_start}&end={dash.today}",
    }


# Where a shared name prefix may be cut: after the name of a school, a committee or a place.
NAME_BREAKS = ("中学", "小学", "学校", "幼儿园", "党委", "党总支", "片区", "区", "镇", "乡", "街道")


def short_names(names):
    """Axis labels: the names without the school (or place) they all share ("青山区阳光中学初一年级党支部" →
    "初一年级党支部" among the school's branches), so that truncated labels on a phone still tell the rows apart."""
    if len(names) < 2:
        return list(names)
    prefix = os.path.commonprefix(list(names))
    cut = max((prefix.rfind(word) + len(word) for word in NAME_BREAKS if word in prefix), default=0)
    if cut < 2 or any(len(n) - cut < 2 for n in names):
        return list(names)
    return [n[cut:] for n in names]


def _label(month):
    return f"{month.year}年{month.month}月"


def chart_data(dash):
    """What static/reports/dashboard.js draws: plain lists, labels in Chinese, and the link of every clickable
    element (a unit → its own dashboard; the whole subtree → the records, filtered)."""
    root, today = dash.root, dash.today
    link = links(dash)
    kinds = dict(OrgKind.choices)

    # Compliance heatmap, months of the year so far: rows are the units, worst first (→ their dashboards); without
    # units, the meeting types (→ that month's meetings of that type).
    year_months = [date(dash.year, m, 1) for m in range(1, dash.year_months + 1)]
    meetings = reverse("life:meetings")
    if dash.units:
        units = sorted(dash.units, key=lambda u: (u.compliance is None, u.compliance or 0, u.org.path))[:CHART_ROWS]
        rows = [{"name": u.org.name, "short": short, "rate": u.compliance, "url": dashboard_url(u.org)}
                for u, short in zip(units, short_names([u.org.name for u in units]))]
        grids = [(u.month_met, u.month_missed, u.month_pending, None) for u in units]
    else:
        types = [rule.meeting_type for rule in OBLIGATIONS if rule.meeting_type in dash.total.by_type]
        rows, grids = [], []
        for kind in types:
            met, missed, pending = dash.total.by_type[kind]
            rows.append({"name": MeetingType(kind).label, "short": MeetingType(kind).label,
                         "rate": percent(sum(met), sum(met) + sum(missed)), "url": None})
            grids.append((met, missed, pending, kind))
    cells = []   # a district has ~300 rows × 12 months: a unit's link sits on its row, not on each cell
    for y, (met, missed, pending, kind) in enumerate(grids):
        for x, month in enumerate(year_months):
            rate = percent(met[x], met[x] + missed[x])
            if rate is None:   # nothing due yet that month (or nothing expected)
                continue
            cell = {"value": [x, y, rate], "n": [met[x], missed[x], pending[x]]}
            if kind is not None:
                end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
                cell["url"] = f"{meetings}?org={root.pk}&type={kind}&start={month}&end={end}"
            cells.append(cell)

    # Pipeline: units with open files, most first (→ their dashboards); without units, the stages (→ the board).
    if dash.units:
        pipe_rows = sorted((u for u in dash.units if u.pipeline), key=lambda u: (-u.pipeline, u.org.path))[:CHART_ROWS]
        pipeline = {"rows": [u.org.name for u in pipe_rows], "short": short_names([u.org.name for u in pipe_rows]),
                    "urls": [dashboard_url(u.org) for u in pipe_rows],
                    "series": [{"name": BoardStage.LABELS[key], "data": [u.stages[key] for u in pipe_rows]}
                               for key in STAGES]}
    else:
        pipeline = {"stages": [{"name": BoardStage.LABELS[key], "value": dash.total.stages[key],
                                "url": link["pipeline"]} for key in STAGES]}
    pipeline["url"] = link["pipeline"]

    # Service: activities by kind, then 家访 and 慰问.
    service = dash.service
    span = f"org={root.pk}&start={dash.service_start}&end={today}"
    service_items = [{"name": a["label"], "value": a["count"], "person_times": a["person_times"],
                      "url": f"{reverse('service:home')}?{span}&kind={a['key']}"} for a in service["activities"]]
    service_items.append({"name": "家访", "value": service["home_visits"]["total"], "person_times": None,
                          "url": f"{reverse('service:visits')}?{span}"})
    service_items.append({"name": "慰问", "value": service["care"]["totals"]["visits"],
                          "person_times": service["care"]["totals"]["people"],
                          "url": f"{reverse('service:care')}?{span}"})

    dues_home = reverse("dues:home")
    return {
        "root": {"id": root.pk, "name": root.name},
        "unitLabel": dash.unit_label,
        "members": {
            "months": [_label(m) for m in dash.months],
            "members": dash.members_series,
            "orgs": [{"name": kinds[kind], "data": series} for kind, series in dash.org_series.items()],
            "membersUrl": link["members"], "orgsUrl": link["orgs"],
        },
        "compliance": {"months": [f"{m.month}月" for m in year_months], "rows": rows, "cells": cells,
                       "url": link["compliance"], "total": len(dash.units) if dash.units else len(rows)},
        "pipeline": pipeline,
        "dues": {
            "months": [_label(m) for m in dash.months],
            "points": [{"value": percent(paid, bills) if bills else "-", "bills": bills, "paid": paid,
                        "url": f"{dues_home}?org={root.pk}&month={m:%Y-%m}"}
                       for m, (bills, paid) in zip(dash.months, dash.dues_series)],
            "url": link["dues"],
        },
        "service": {"items": service_items, "url": link["service"]},
    }
