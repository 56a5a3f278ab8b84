"""Quantities for 党员积分 from service activities (see dangjian/points/sources.py).

- service.hours: the hours a person served, summed over his or her participant rows (every activity kind);
- service.activities: the number of activities he or she took part in.
Both count activities dated start..end inclusive, in one query whatever the number of people.
"""

from decimal import Decimal

from django.db.models import Count, Sum

from dangjian.points.sources import Source

from .models import Participant


def _rows(person_ids, start, end):
    return Participant.objects.filter(person_id__in=list(person_ids), activity__date__gte=start,
                                      activity__date__lte=end)


def count_hours(person_ids, start, end):
    rows = _rows(person_ids, start, end).values("person_id").annotate(n=Sum("hours")).order_by()
    return {row["person_id"]: Decimal(row["n"] or 0) for row in rows}


def count_activities(person_ids, start, end):
    rows = _rows(person_ids, start, end).values("person_id").annotate(n=Count("activity", distinct=True)).order_by()
    return {row["person_id"]: Decimal(row["n"]) for row in rows}


def _explain(person, start, end):
    rows = _rows([person.pk], start, end).select_related("activity").order_by("activity__date", "activity_id")
    return [(p.activity.date, f"{p.activity.get_kind_display()}：{p.activity.title}", p.hours) for p in rows]


def explain_hours(person, start, end):
    return [(d, f"{text}（{hours} 小时）", hours) for d, text, hours in _explain(person, start, end)]


def explain_activities(person, start, end):
    return [(d, text, Decimal(1)) for d, text, _ in _explain(person, start, end)]


SOURCES = [
    Source("service.hours", "志愿服务时长", "小时", count_hours, explain_hours),
    Source("service.activities", "参加服务活动", "次", count_activities, explain_activities),
]
