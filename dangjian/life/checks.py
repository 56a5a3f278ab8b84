"""Findings about organisational life, for any "as of" date `on`.

1. Meetings missing in a period (`life.<type>` obligations, life/rules.py), per applicable organisation:
   - the current period, when not yet met in its last N days → 即将到期 (due: the period's last day);
   - every missed period that ended in the calendar year of `on` → 逾期, one finding per period, plus the latest
     complete period even when it ended the year before (on 10 Jan 2025 the missed Q4 2024 and the 2024 组织生活会
     are still listed). Earlier years are not listed: the matrix shows them.
   Only held meetings dated on or before `on` count. An organisation is expected to meet a period when it was
   founded by the first day of the period's last month and not dissolved by its end (a new branch gets at least
   a month). 支委会 is expected of branches that have a committee: at least 2 committee seats on `on`, or at
   least the 正式党员 count of rule org.branch_committee_required (a branch that must have one but has none is
   expected too — it is flagged twice, and rightly so).
2. Members absent (`life.absence`): for each 党员 whose 所在党组织 is checked, the calendar months of the 12 months
   up to `on` in which they were expected at a held meeting (had an attendance row) are the counted months; a
   counted month is an "absent month" when every one of their rows that month is 缺席 or 请假 without approval
   (approved leave is not absence). Months without any meeting are skipped, they neither count nor break the run.
   The run is the number of most recent counted months that are all absent months: ≥ warn_months (3) → 即将到期
   (warning), ≥ risk_months (6) → 逾期 with the 自行脱党 risk (党章 第九条).
3. A held meeting (in the calendar year of `on` or the year before, up to `on`) with a vote that lacked quorum.

Queries, whatever the number of organisations: 1 for committee applicability, 1 grouped count of meetings,
1 grouped count of attendance, 1 for unquorate votes (none when nothing of the kind is checked).
"""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db.models import CharField, Count, F, Func, IntegerField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from dangjian.compliance.engine import Finding
from dangjian.compliance.rulebook import Severity

from .rules import (
    ABSENCE, BRANCH_KINDS, GROUP_KINDS, OBLIGATIONS, VOTE_QUORUM, Frequency, period_of, previous_period,
)

MET, MISSED, SOON, CURRENT, FUTURE, NA = "met", "missed", "soon", "current", "future", "na"
ABSENCE_WINDOW_MONTHS = 12
CHECKED_KINDS = BRANCH_KINDS | GROUP_KINDS


class MonthKey(Func):
    """'YYYY-MM' of a date column, computed by the database without a Python function
    (Django's TruncMonth on SQLite calls back into Python for every row)."""

    output_field = CharField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 7)", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM')", **extra)


def month_of(key):
    return int(key[:4]), int(key[5:7])


def _held(*, start, end, org_ids=None, path=None, types=None):
    from .models import Meeting

    rows = Meeting.objects.filter(status=Meeting.Status.HELD, date__gte=start, date__lte=end)
    if org_ids is not None:
        rows = rows.filter(org_id__in=list(org_ids))
    if path is not None:
        rows = rows.filter(org__path__startswith=path)
    if types is not None:
        rows = rows.filter(type__in=sorted(types))
    return rows


def _fetch(rows):
    """Run a values_list query with a plain cursor (tens of thousands of rows: model-row iteration, even
    Django's values_list iteration, would cost more than the query)."""
    from django.db import connections

    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def meeting_month_counts(*, start, end, org_ids=None, path=None, types=None):
    """{(org_id, type): {"YYYY-MM": number of held meetings}} dated in [start, end], for organisations in
    `org_ids` or under the tree `path`. One grouped query."""
    rows = (_held(start=start, end=end, org_ids=org_ids, path=path, types=types)
            .annotate(month=MonthKey("date")).values_list("org_id", "type", "month").annotate(n=Count("id"))
            .order_by())
    out = {}
    for org_id, kind, month, n in _fetch(rows):
        key = (org_id, kind)
        inner = out.get(key)
        if inner is None:
            inner = out[key] = {}
        inner[month] = n
    return out


def month_starts(start, end):
    """The first day of every month from `start`'s month to `end`'s month."""
    out, month = [], start.replace(day=1)
    while month <= end:
        out.append(month)
        month += relativedelta(months=1)
    return out


def meeting_month_grid(*, start, end, path, types=None):
    """(["YYYY-MM", ...], {(org_id, type): (n for each of those months)}) of the held meetings dated in
    [start, end] under the tree `path`. One grouped query with a conditional count per month: one row per
    organisation and type rather than per month, so a district's year reads a quarter of the rows."""
    months = month_starts(start, end)
    counts = {f"m{i}": Count("id", filter=Q(date__gte=max(first, start),
                                           date__lte=min(first + relativedelta(months=1, days=-1), end)))
              for i, first in enumerate(months)}
    rows = (_held(start=start, end=end, path=path, types=types).values_list("org_id", "type")
            .annotate(**counts).order_by())
    return [f"{m:%Y-%m}" for m in months], {(row[0], row[1]): row[2:] for row in _fetch(rows)}


def committee_branch_ids(branches, on, rulebook):
    """Branches expected to hold 支委会 on `on` (see the module docstring). One query."""
    from dangjian.members.models import Person, Status
    from dangjian.orgs.models import CommitteePost, Organisation

    if not branches:
        return set()
    seats = (CommitteePost.objects.filter(org_id=OuterRef("pk"), post__in=CommitteePost.COMMITTEE_POSTS,
                                          started_on__lte=on)
             .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
             .order_by().values("org_id").annotate(n=Count("person_id", distinct=True)).values("n"))
    full = (Person.objects.filter(org_id=OuterRef("pk"), status=Status.FULL)
            .order_by().values("org_id").annotate(n=Count("id")).values("n"))
    rows = (Organisation.objects.filter(pk__in=[b.pk for b in branches]).order_by()
            .annotate(seats=Coalesce(Subquery(seats, output_field=IntegerField()), Value(0)),
                      full=Coalesce(Subquery(full, output_field=IntegerField()), Value(0)))
            .values_list("pk", "seats", "full"))
    by_id = {b.pk: b for b in branches}
    out = set()
    for pk, n_seats, n_full in rows:
        enabled, params = rulebook.setting(by_id[pk], "org.branch_committee_required")
        if n_seats >= 2 or n_full >= params["threshold"]:
            out.add(pk)
    return out


@dataclass(frozen=True)
class Applied:
    """An obligation as it applies to one organisation: the effective frequency and where it comes from."""

    rule: object
    effective: object

    @property
    def frequency(self):
        return self.effective.params["frequency"]

    @property
    def frequency_label(self):
        return Frequency.LABELS.get(self.frequency, self.frequency)

    @property
    def soon_days(self):
        return self.rule.soon_days(self.effective.params)

    @property
    def meeting_type(self):
        return self.rule.meeting_type


def applicable_obligations(orgs, rulebook, on):
    """{org_id: [Applied]} for the enabled obligations of each organisation's kind. One query (committees)
    when a committee obligation could apply."""
    needs_committee = [o for o in orgs if o.kind in BRANCH_KINDS
                       and any(r.needs_committee and o.kind in r.kinds for r in OBLIGATIONS)]
    committees = committee_branch_ids(needs_committee, on, rulebook)
    out = {}
    shared = {}   # one Applied per (rule, Effective): organisations without own settings share the default's
    by_kind = {}  # (kind, has a committee) -> items, for organisations where every rule is the default

    def items_of(org):
        items = []
        for rule in OBLIGATIONS:
            if org.kind not in rule.kinds or (rule.needs_committee and org.pk not in committees):
                continue
            effective = rulebook.resolve(org, rule.id)
            if effective.enabled:
                key = (rule.id, id(effective))
                applied = shared.get(key)
                if applied is None:
                    applied = shared[key] = Applied(rule, effective)
                items.append(applied)
        return items

    for org in orgs:
        if rulebook.uses_defaults(org):
            key = (org.kind, org.pk in committees)
            items = by_kind.get(key)
            if items is None:
                items = by_kind[key] = items_of(org)   # shared between organisations: read only
        else:
            items = items_of(org)
        if items:
            out[org.pk] = items
    return out


def expected_in(org, period):
    """Whether the organisation is expected to meet this period at all."""
    if org.founded_on > period.last_month_start:
        return False
    return org.dissolved_on is None or org.dissolved_on > period.end


def period_status(org, applied, period, months, on):
    """(status, number of meetings) of one period as of `on`; `months`: {"YYYY-MM": n} of this
    organisation and meeting type (from meeting_month_counts)."""
    if not expected_in(org, period):
        return NA, 0
    n = 0
    for key in period.month_keys:
        n += months.get(key, 0)
    if n >= period.required:
        return MET, n
    if period.end < on:
        return MISSED, n
    if period.start > on:
        return FUTURE, n
    if (period.end - on).days < applied.soon_days:
        return SOON, n
    return CURRENT, n


def _type_label(meeting_type):
    from .models import MeetingType

    return MeetingType(meeting_type).label


def _shortfall(period, n):
    return f"（应至少{period.required}次，实际{n}次）" if period.required > 1 else ""


def check_meetings(orgs, rulebook, on):
    targets = [o for o in orgs if o.kind in CHECKED_KINDS and not o.is_dissolved]
    if not targets:
        return
    applied = applicable_obligations(targets, rulebook, on)
    if not applied:
        return
    year_start = date(on.year, 1, 1)
    counts = meeting_month_counts(start=date(on.year - 1, 1, 1), end=on, org_ids=list(applied),
                                  types={a.meeting_type for items in applied.values() for a in items})
    chains = {}  # frequency: (the current period, the earlier ones to check) — shared by every organisation

    def chain(frequency):
        if frequency not in chains:
            current = period_of(frequency, on)
            earlier = [previous_period(frequency, current)]
            while (before := previous_period(frequency, earlier[-1])).end >= year_start:
                earlier.append(before)
            chains[frequency] = current, earlier
        return chains[frequency]

    for org in targets:
        for item in applied.get(org.pk, ()):
            label = _type_label(item.meeting_type)
            months = counts.get((org.pk, item.meeting_type), {})
            current, earlier = chain(item.frequency)
            status, n = period_status(org, item, current, months, on)
            if status == SOON:
                yield Finding(org.pk, org.name, f"{label}（{current.label}）", item.rule.id, Severity.SOON,
                              f"{current.label}尚未召开{label}{_shortfall(current, n)}，须在{current.end:%Y年%m月%d日}"
                              f"前召开（{item.frequency_label}）。", current.end, item.effective.basis)
            missed = []
            for period in earlier:
                status, n = period_status(org, item, period, months, on)
                if status == NA:
                    break
                if status == MISSED:
                    missed.append(Finding(
                        org.pk, org.name, f"{label}（{period.label}）", item.rule.id, Severity.OVERDUE,
                        f"{period.label}未召开{label}{_shortfall(period, n)}（{item.frequency_label}），"
                        f"已于{period.end:%Y年%m月%d日}到期。", period.end, item.effective.basis))
            yield from reversed(missed)


def absence_runs(person_ids_or_org_ids, on, *, by="org"):
    """{person_id: (name, org_id, run, (first_month, last_month))} for people with a run of absent months ≥ 1.
    One grouped query over attendance at held meetings in the 12 months up to `on`.

    Only people whose last expected attendance is an absence can have a run (their latest month must be all absent,
    so every attended meeting comes before it): a subquery grouped by person picks them — a hash of people, not a
    sort of every person-month — and only their months are grouped. Same result as grouping everyone's months (the
    EXPLAIN at 10× and 100× is in docs/SCALE.md)."""
    from dangjian.members.models import PARTY_MEMBER_STATUSES

    from .models import Attendance, Meeting

    start = on.replace(day=1) - relativedelta(months=ABSENCE_WINDOW_MONTHS - 1)
    absent = Q(status=Attendance.Status.ABSENT) | Q(status=Attendance.Status.LEAVE, leave_approved=False)
    rows = Attendance.objects.filter(meeting__status=Meeting.Status.HELD, meeting__date__gte=start,
                                     meeting__date__lte=on, person__status__in=PARTY_MEMBER_STATUSES)
    key = "person__org_id__in" if by == "org" else "person_id__in"
    rows = rows.filter(**{key: list(person_ids_or_org_ids)})
    last_absent_after_last_kept = (
        rows.order_by().values("person_id")
        .annotate(last_absent=Max("meeting__date", filter=absent), last_kept=Max("meeting__date", filter=~absent))
        .filter(Q(last_kept__isnull=True) | Q(last_absent__gt=F("last_kept")), last_absent__isnull=False)
        .values("person_id"))
    rows = (rows.filter(person_id__in=last_absent_after_last_kept)
            .annotate(month=MonthKey("meeting__date"))
            .values_list("person_id", "person__name", "person__org_id", "month")
            .annotate(expected=Count("id"), absent=Count("id", filter=absent)).order_by())
    months = {}
    for person_id, name, org_id, month, expected, n_absent in rows:
        months.setdefault(person_id, [name, org_id, []])[2].append((month, n_absent >= expected))
    out = {}
    for person_id, (name, org_id, items) in months.items():
        items.sort(reverse=True)
        run = 0
        for _, all_absent in items:
            if not all_absent:
                break
            run += 1
        if run:
            out[person_id] = (name, org_id, run, (month_of(items[run - 1][0]), month_of(items[0][0])))
    return out


def _ym(ym):
    return f"{ym[0]}年{ym[1]}月"


def check_absence(orgs, rulebook, on):
    targets = {o.pk: o for o in orgs if o.kind in BRANCH_KINDS and not o.is_dissolved}
    if not targets:
        return
    for person_id, (name, org_id, run, (first, last)) in sorted(absence_runs(targets, on).items(),
                                                                  key=lambda kv: kv[1][0]):
        org = targets[org_id]
        effective = rulebook.resolve(org, ABSENCE.id)
        if not effective.enabled or run < effective.params["warn_months"]:
            continue
        span = f"{_ym(first)}至{_ym(last)}" if first != last else _ym(first)
        if run >= effective.params["risk_months"]:
            yield Finding(org.pk, org.name, name, ABSENCE.id, Severity.OVERDUE,
                          f"{name}连续{run}个月（{span}）未参加组织生活（应到会议均缺席）。党章第九条：党员没有正当理由，"
                          f"连续六个月不参加党的组织生活，被认为是自行脱党。有自行脱党风险，请及时谈话教育并按规定处置。",
                          None, effective.basis)
        else:
            yield Finding(org.pk, org.name, name, ABSENCE.id, Severity.SOON,
                          f"{name}连续{run}个月（{span}）未参加组织生活（应到会议均缺席），请及时谈心谈话、了解情况。",
                          None, effective.basis)


def check_votes(orgs, rulebook, on):
    from .models import Meeting, Vote

    targets = {o.pk: o for o in orgs if not o.is_dissolved}
    checked = [o for o in targets.values() if rulebook.resolve(o, VOTE_QUORUM.id).enabled]
    if not checked or not any(o.kind in CHECKED_KINDS for o in checked):
        return
    rows = (Vote.objects.filter(quorum_met=False, meeting__status=Meeting.Status.HELD,
                                meeting__org_id__in=[o.pk for o in checked],
                                meeting__date__gte=date(on.year - 1, 1, 1), meeting__date__lte=on)
            .order_by("meeting__date", "id")
            .values_list("meeting__org_id", "meeting__date", "meeting__type", "meeting__theme", "subject",
                         "voters_due", "voters_present"))
    for org_id, day, kind, theme, subject, due, present in rows:
        org = targets[org_id]
        label = _type_label(kind)
        yield Finding(org.pk, org.name, f"{day:%Y-%m-%d} {label}“{theme}”", VOTE_QUORUM.id, Severity.OVERDUE,
                      f"{day:%Y年%m月%d日}{label}“{theme}”表决“{subject}”：应到有表决权的党员{due}人，实到{present}人，"
                      f"未超过半数，表决无效，应另行召开会议表决。", day, rulebook.resolve(org, VOTE_QUORUM.id).basis)


CHECKS = [check_meetings, check_absence, check_votes]

