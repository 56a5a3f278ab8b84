"""What organisational life contributes to 党员积分 (see dangjian.points.sources): attendance at held meetings,
absences without approved leave (a deduction by default) and completed study tasks. One query per source."""

from decimal import Decimal

from django.db.models import Count, Q

from dangjian.points.sources import Source

from .models import Attendance, Meeting, StudyLog

PRESENT = Q(status=Attendance.Status.PRESENT)
# As the attendance findings count it (life/checks.py): absent, or on leave that was not approved.
ABSENT = Q(status=Attendance.Status.ABSENT) | Q(status=Attendance.Status.LEAVE, leave_approved=False)


def _attendance(person_ids, start, end, status_q):
    return (Attendance.objects.filter(status_q, person_id__in=person_ids, meeting__status=Meeting.Status.HELD,
                                      meeting__date__gte=start, meeting__date__lte=end))


def _counts(queryset):
    return {row["person_id"]: Decimal(row["n"]) for row in queryset.values("person_id").annotate(n=Count("id"))}


def _explain_attendance(person, start, end, status_q):
    rows = _attendance([person.pk], start, end, status_q).select_related("meeting", "meeting__org")
    out = []
    for row in rows.order_by("meeting__date", "meeting_id"):
        meeting = row.meeting
        note = "" if row.status != Attendance.Status.LEAVE else "（请假未获批准）"
        out.append((meeting.date, f"{meeting.type_label}：{meeting.theme}（{meeting.org.name}）{note}", Decimal(1)))
    return out


def count_attendance(person_ids, start, end):
    return _counts(_attendance(person_ids, start, end, PRESENT))


def explain_attendance(person, start, end):
    return _explain_attendance(person, start, end, PRESENT)


def count_absence(person_ids, start, end):
    return _counts(_attendance(person_ids, start, end, ABSENT))


def explain_absence(person, start, end):
    return _explain_attendance(person, start, end, ABSENT)


def _study(person_ids, start, end):
    return StudyLog.objects.filter(person_id__in=person_ids, task__isnull=False, date__gte=start, date__lte=end)


def count_study(person_ids, start, end):
    return _counts(_study(person_ids, start, end))


def explain_study(person, start, end):
    rows = _study([person.pk], start, end).select_related("task").order_by("date", "id")
    return [(row.date, f"完成学习任务：{row.task.title}（{row.hours}学时）", Decimal(1)) for row in rows]


SOURCES = [
    Source("life.attendance", "出席组织生活", "次", count_attendance, explain_attendance,
           default_points=Decimal("2"), default_cap=Decimal("40")),
    Source("life.absence", "无故缺席组织生活", "次", count_absence, explain_absence,
           default_points=Decimal("-5"), default_cap=Decimal("30")),
    Source("life.study", "完成学习任务", "个", count_study, explain_study,
           default_points=Decimal("2"), default_cap=Decimal("20")),
]
