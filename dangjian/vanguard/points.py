"""Quantities for 党员积分 (see dangjian/points/sources.py): lessons given, articles published, honours received.

Each `count` is one GROUP BY query over records dated start..end (inclusive), whatever the number of people.
"""

from decimal import Decimal

from django.db.models import Count

from dangjian.points.sources import Source

from .models import Article, Honour, Lesson

ONE = Decimal(1)


def _grouped(queryset, key):
    return {row[key]: Decimal(row["n"]) for row in queryset.values(key).annotate(n=Count("id")).order_by()}


def lessons_count(person_ids, start, end):
    return _grouped(Lesson.objects.filter(teacher_id__in=person_ids, date__gte=start, date__lte=end), "teacher_id")


def lessons_explain(person, start, end):
    rows = Lesson.objects.filter(teacher=person, date__gte=start, date__lte=end).order_by("date", "id")
    return [(r.date, f"{r.get_level_display()}{r.get_kind_display()}《{r.title}》"
                     + (f"（{r.result}）" if r.result else ""), ONE) for r in rows]


def articles_count(person_ids, start, end):
    through = Article.authors.through.objects.filter(person_id__in=person_ids, article__date__gte=start,
                                                     article__date__lte=end)
    return _grouped(through, "person_id")


def articles_explain(person, start, end):
    rows = Article.objects.filter(authors=person, date__gte=start, date__lte=end).order_by("date", "id")
    return [(r.date, f"{r.get_platform_display()}（{r.get_level_display()}）《{r.title}》", ONE) for r in rows]


def honours_count(person_ids, start, end):
    return _grouped(Honour.objects.filter(person_id__in=person_ids, date__gte=start, date__lte=end), "person_id")


def honours_explain(person, start, end):
    rows = Honour.objects.filter(person=person, date__gte=start, date__lte=end).order_by("date", "id")
    return [(r.date, f"{r.get_level_display()}“{r.title}”（{r.issuer}）", ONE) for r in rows]


SOURCES = [
    Source("vanguard.lessons", "上示范课/公开课", "次", lessons_count, lessons_explain),
    Source("vanguard.articles", "发表宣传稿件", "篇", articles_count, articles_explain),
    Source("vanguard.honours", "获得荣誉", "项", honours_count, honours_explain),
]
