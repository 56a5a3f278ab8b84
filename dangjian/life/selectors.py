"""Scoped reads of the life app. Every page's queries are fixed in number whatever the data size."""

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Q

from dangjian.core import scoping
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person
from dangjian.orgs.models import WRITE_ROLES, Organisation

from .models import Attendance, Meeting, MeetingType, StudyLog, StudyTask

Q_MAX_LENGTH = 50


def linked_person(user):
    if not user.is_authenticated:
        return None
    return Person.objects.select_related("org").filter(user_id=user.pk).first()


def meetings_for(user):
    """Meetings the user may read: those of their org scope, or (a member without scope) those they are expected at."""
    if scoping.has_party_scope(user):
        return Meeting.objects.visible_to(user)
    if not user.is_authenticated:
        return Meeting.objects.none()
    return Meeting.objects.filter(Exists(Attendance.objects.filter(meeting=OuterRef("pk"), person__user_id=user.pk)))


def can_list_meetings(user):
    return scoping.has_party_scope(user) or (user.is_authenticated and Person.objects.filter(user_id=user.pk).exists())


def _parse_date(value):
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


def scoped_orgs(user):
    return Organisation.objects.visible_to(user).filter(dissolved_on__isnull=True)


def meeting_list(user, params):
    """(queryset, filters) for the list page; bad filter values are ignored."""
    qs = meetings_for(user).select_related("org")
    filters = {"org": None, "type": "", "status": "", "start": None, "end": None, "q": "", "secretary": False}
    org_id = params.get("org")
    if org_id and str(org_id).isdigit():
        org = Organisation.objects.visible_to(user).filter(pk=org_id).first()
        if org is not None:
            filters["org"] = org
            qs = qs.filter(org__path__startswith=org.path)
    if params.get("type") in MeetingType.values:
        filters["type"] = params["type"]
        qs = qs.filter(type=filters["type"])
    if params.get("secretary") == "1":  # 书记讲党课 (the reports count them apart)
        filters["secretary"] = True
        qs = qs.filter(type=MeetingType.LECTURE, by_secretary=True)
    if params.get("status") in Meeting.Status.values:
        filters["status"] = params["status"]
        qs = qs.filter(status=filters["status"])
    start, end = _parse_date(params.get("start")), _parse_date(params.get("end"))
    if start:
        filters["start"] = start
        qs = qs.filter(date__gte=start)
    if end:
        filters["end"] = end
        qs = qs.filter(date__lte=end)
    q = str(params.get("q") or "").strip()[:Q_MAX_LENGTH]
    if q:
        filters["q"] = q
        qs = qs.filter(Q(theme__icontains=q) | Q(other_type__icontains=q))
    qs = qs.annotate(
        expected=Count("attendance", distinct=True),
        present=Count("attendance", filter=Q(attendance__status=Attendance.Status.PRESENT), distinct=True),
    ).order_by("-date", "-start_time", "-id")
    return qs, filters


def meeting_detail(meeting):
    """Attendance, votes, attachments and change log of one meeting (fixed number of queries)."""
    attendance = list(meeting.attendance.select_related("person").order_by("person__name", "person_id"))
    counts = {s: 0 for s in Attendance.Status.values}
    for row in attendance:
        counts[row.status] += 1
    return {
        "attendance": attendance,
        "counts": counts,
        "votes": list(meeting.votes.select_related("subject_person").order_by("id")),
        "attachments": list(meeting.attachments.order_by("kind", "id")),
        "changes": list(meeting.changes.select_related("actor")[:50]),
    }


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    meetings: list


def parse_month(value, today):
    try:
        year, month = (int(x) for x in str(value).split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)


def calendar_weeks(user, org, month):
    """Weeks (Monday first) of the month with the planned and held meetings of the org's subtree."""
    first_weekday, days = pycalendar.monthrange(month.year, month.month)
    start = month - timedelta(days=first_weekday)
    last = month.replace(day=days)
    end = last + timedelta(days=6 - last.weekday())
    qs = meetings_for(user).filter(date__gte=start, date__lte=end).exclude(status=Meeting.Status.CANCELLED)
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    by_day = {}
    for meeting in qs.select_related("org").order_by("date", "start_time", "id"):
        by_day.setdefault(meeting.date, []).append(meeting)
    weeks, day = [], start
    while day <= end:
        weeks.append([CalendarDay(day + timedelta(days=i), (day + timedelta(days=i)).month == month.month,
                                  by_day.get(day + timedelta(days=i), [])) for i in range(7)])
        day += timedelta(days=7)
    return weeks


# --- study ---------------------------------------------------------------------------------


def _ancestor_paths(path, steplen=Organisation.steplen):
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


def tasks_for(user):
    """Study tasks the user may read: issued inside their scope or by an ancestor of it (it reaches their
    subtree); for a member, the tasks issued to their own organisation's line."""
    paths = scoping.scope_paths(user)
    if paths:
        ancestors = {a for p in paths for a in _ancestor_paths(p)}
        return StudyTask.objects.filter(scoping.scope_q(user, "org__path") | Q(org__path__in=ancestors))
    person = linked_person(user)
    if person is None:
        return StudyTask.objects.none()
    return StudyTask.objects.filter(org__path__in=_ancestor_paths(person.org.path))


def task_scope_path(user, task):
    """The part of the task's subtree the user may see (the task's org, or their narrower scope)."""
    for path in scoping.scope_paths(user):
        if path.startswith(task.org.path):
            return path
    return task.org.path


def task_completion(user, task):
    """[{org, total, done, rate}] per organisation of the visible subtree (one GROUP BY query) and the
    list of party members who have not completed (capped)."""
    path = task_scope_path(user, task) if scoping.has_party_scope(user) else None
    if path is None:
        return [], [], 0
    done_q = Exists(StudyLog.objects.filter(task=task, person=OuterRef("pk")))
    people = Person.objects.filter(org__path__startswith=path, status__in=PARTY_MEMBER_STATUSES)
    rows = list(people.values("org_id", "org__name", "org__path").annotate(
        total=Count("id"), done=Count("id", filter=done_q)).order_by("org__path"))
    for row in rows:
        row["rate"] = round(100 * row["done"] / row["total"]) if row["total"] else 0
    missing_qs = people.filter(~done_q).select_related("org").order_by("org__path", "name", "id")
    missing = list(missing_qs[:200])
    return rows, missing, sum(r["total"] - r["done"] for r in rows)


def open_tasks_for_person(person, on):
    """Tasks issued to the person's line that have started and that the person has not completed."""
    return (StudyTask.objects.filter(org__path__in=_ancestor_paths(person.org.path), starts_on__lte=on)
            .exclude(Exists(StudyLog.objects.filter(task=OuterRef("pk"), person=person)))
            .order_by("due_on", "id"))


def writable_task_orgs(user):
    return Organisation.objects.filter(scoping.scope_q(user, "path", WRITE_ROLES), dissolved_on__isnull=True)


# --- the year-end report ------------------------------------------------------------------------


def _months(start, end):
    month, last, out = start.replace(day=1), end.replace(day=1), []
    while month <= last:
        out.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return out


def summary(org, start, end):
    """The figures the year-end report quotes for `org` and its subtree, held meetings dated start..end
    (inclusive). Seven queries whatever the data size.

    meetings: per type (all types, zeros included) — count; `secretary_lectures` = 党课 given by the 书记
      (`by_secretary`), also counted in the 党课 total; `by_month` for every month the period touches.
    attendance (held meetings): expected rows, present rows (person-times), distinct people present, rate (%),
      per type and per month.
    theme_days: 主题党日 count, person-times present, distinct people present.
    study: study tasks issued by the subtree starting in the period, completions of tasks (logs with a task) and
      self-directed logs dated in the period by people now in the subtree, their hours and distinct people.
    """
    from django.db.models import Sum

    from .checks import MonthKey

    held = Meeting.objects.filter(org__path__startswith=org.path, status=Meeting.Status.HELD,
                                  date__gte=start, date__lte=end)
    counts = {row["type"]: row for row in held.values("type").annotate(
        n=Count("id"), by_secretary=Count("id", filter=Q(by_secretary=True))).order_by()}
    by_type = [{"key": key, "label": label, "count": counts.get(key, {}).get("n", 0)}
               for key, label in MeetingType.choices]
    secretary_lectures = counts.get(MeetingType.LECTURE, {}).get("by_secretary", 0)

    # A join from the period's meetings, not `meeting IN (subquery)`: with the latter PostgreSQL scans every
    # attendance row of the district at 10× (benchmarks/growth_bench.py --explain).
    rows = Attendance.objects.filter(meeting__org__path__startswith=org.path, meeting__status=Meeting.Status.HELD,
                                     meeting__date__gte=start, meeting__date__lte=end)
    present = Q(status=Attendance.Status.PRESENT)
    att_type = {row["meeting__type"]: row for row in rows.values("meeting__type").annotate(
        expected=Count("id"), present=Count("id", filter=present),
        people=Count("person", distinct=True, filter=present)).order_by()}
    overall = rows.aggregate(expected=Count("id"), present=Count("id", filter=present),
                             people=Count("person", distinct=True, filter=present))

    # Months as "YYYY-MM" computed by the database (TruncMonth calls back into Python per row on SQLite).
    meetings_month = {row["month"]: row["n"] for row in held.annotate(month=MonthKey("date")).values("month")
                      .annotate(n=Count("id")).order_by()}
    att_month = {row["month"]: row for row in rows.annotate(month=MonthKey("meeting__date")).values("month")
                 .annotate(expected=Count("id"), present=Count("id", filter=present)).order_by()}

    def rate(p, e):
        return round(100 * p / e, 1) if e else None

    by_month = []
    for month in _months(start, end):
        a = att_month.get(f"{month:%Y-%m}", {})
        by_month.append({"month": month, "count": meetings_month.get(f"{month:%Y-%m}", 0),
                         "expected": a.get("expected", 0),
                         "present": a.get("present", 0), "rate": rate(a.get("present", 0), a.get("expected", 0))})
    attendance_by_type = {}
    for key, _ in MeetingType.choices:
        a = att_type.get(key, {})
        attendance_by_type[key] = {"expected": a.get("expected", 0), "present": a.get("present", 0),
                                   "people": a.get("people", 0), "rate": rate(a.get("present", 0), a.get("expected", 0))}
    theme = attendance_by_type[MeetingType.THEME_DAY]

    logs = StudyLog.objects.filter(person__org__path__startswith=org.path, date__gte=start, date__lte=end)
    study = logs.aggregate(completions=Count("id", filter=Q(task__isnull=False)),
                           self_logs=Count("id", filter=Q(task__isnull=True)), hours=Sum("hours"),
                           people=Count("person", distinct=True))
    study["hours"] = study["hours"] or 0
    study["tasks_issued"] = StudyTask.objects.filter(org__path__startswith=org.path, starts_on__gte=start,
                                                     starts_on__lte=end).count()
    return {
        "org": org, "start": start, "end": end,
        "meetings": {"by_type": by_type, "total": sum(t["count"] for t in by_type),
                     "secretary_lectures": secretary_lectures, "by_month": by_month},
        "attendance": {**overall, "rate": rate(overall["present"], overall["expected"]),
                       "by_type": attendance_by_type},
        "theme_days": {"count": counts.get(MeetingType.THEME_DAY, {}).get("n", 0),
                       "person_times": theme["present"], "people": theme["people"]},
        "study": study,
    }
