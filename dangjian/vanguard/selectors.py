"""Scoped reads of the vanguard app: the filtered lists of each record kind and the figures of `summary`.

Every list and the summary issue a fixed number of queries whatever the data size.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q

from dangjian.core import scoping
from dangjian.orgs.models import WRITE_ROLES, Organisation

from .models import Article, DutyPost, Honour, Lesson, LessonReview, Level, MentorPair
from .services import school_year_of

Q_MAX_LENGTH = 50


def recent_school_years(today, back=6):
    """The current school year, next year's and `back` earlier ones, newest first."""
    start = int(school_year_of(today)[:4]) + 1
    return [f"{y}-{y + 1}" for y in range(start, start - back - 2, -1)]


def _post_state(qs, value, today):
    current = Q(starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    return qs.filter(current) if value == "current" else qs.filter(ends_on__lt=today)


def _posts_between(qs, start, end):
    """Posts held at some time between start and end."""
    if start:
        qs = qs.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
    if end:
        qs = qs.filter(starts_on__lte=end)
    return qs


@dataclass(frozen=True)
class Filter:
    param: str
    label: str
    choices: object   # list of (value, label), or callable(today) -> list
    apply: object = None   # callable(qs, value, today) -> qs; default: filter param=value

    def options(self, today):
        return self.choices(today) if callable(self.choices) else list(self.choices)


@dataclass(frozen=True)
class Spec:
    model: type
    related: tuple
    search: tuple
    date_field: str = "date"
    filters: tuple = field(default_factory=tuple)
    between: object = None      # callable(qs, start, end) for records that span a period
    order: tuple = ("-date", "-id")
    prefetch: tuple = ()


LEVEL = Filter("level", "级别", Level.choices)
SPECS = {
    "pairs": Spec(MentorPair, ("org", "mentor", "apprentice"), ("mentor__name", "apprentice_name", "subject"),
                  date_field="", order=("-school_year", "mentor__name", "id"),
                  filters=(Filter("school_year", "学年", lambda today: [(y, y) for y in recent_school_years(today)]),)),
    "posts": Spec(DutyPost, ("org", "member"), ("name", "place", "member__name"), date_field="",
                  between=_posts_between, order=("kind", "org__path", "name", "id"),
                  filters=(Filter("kind", "类型", DutyPost.Kind.choices),
                           Filter("state", "状态", [("current", "在岗"), ("ended", "已结束")], _post_state))),
    "lessons": Spec(Lesson, ("org", "teacher"), ("title", "subject", "teacher__name", "result"),
                    filters=(Filter("kind", "课型", Lesson.Kind.choices), LEVEL)),
    "reviews": Spec(LessonReview, ("org", "person", "lesson"), ("lesson_title", "person__name"),
                    filters=(Filter("role", "方式", LessonReview.Role.choices),)),
    "articles": Spec(Article, ("org",), ("title", "author_names", "authors__name"), prefetch=("authors",),
                     filters=(Filter("platform", "平台", Article.Platform.choices), LEVEL)),
    "honours": Spec(Honour, ("org", "person", "recipient_org"), ("title", "issuer", "person__name",
                                                                  "recipient_org__name"),
                    filters=(Filter("kind", "类别", Honour.Kind.choices), LEVEL,
                             Filter("recipient", "获奖者", [("person", "个人"), ("org", "组织")],
                                    lambda qs, v, today: qs.filter(person__isnull=(v != "person"))))),
}


def parse_date(value):
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


def scoped_orgs(user):
    return Organisation.objects.visible_to(user).filter(dissolved_on__isnull=True)


def writable_orgs(user):
    return Organisation.objects.filter(scoping.scope_q(user, "path", WRITE_ROLES), dissolved_on__isnull=True)


def records(kind, user):
    """The records of `kind` the user may read (their organisation scope)."""
    spec = SPECS[kind]
    return spec.model.objects.visible_to(user).select_related(*spec.related).prefetch_related(*spec.prefetch)


def record_list(kind, user, params, today):
    """(queryset, filters) for a list page or the API; bad filter values are ignored."""
    spec = SPECS[kind]
    qs = records(kind, user)
    filters = {"org": None, "start": None, "end": None, "q": ""}
    org_id = params.get("org")
    if org_id and str(org_id).isdigit():
        org = Organisation.objects.visible_to(user).filter(pk=org_id).first()
        if org is not None:
            filters["org"] = org
            qs = qs.filter(org__path__startswith=org.path)
    for f in spec.filters:
        value = str(params.get(f.param) or "")
        filters[f.param] = ""
        if value in {v for v, _ in f.options(today)}:
            filters[f.param] = value
            qs = f.apply(qs, value, today) if f.apply else qs.filter(**{f.param: value})
    start, end = parse_date(params.get("start")), parse_date(params.get("end"))
    filters.update(start=start, end=end)
    if spec.between:
        qs = spec.between(qs, start, end)
    elif spec.date_field:
        if start:
            qs = qs.filter(**{f"{spec.date_field}__gte": start})
        if end:
            qs = qs.filter(**{f"{spec.date_field}__lte": end})
    q = str(params.get("q") or "").strip()[:Q_MAX_LENGTH]
    if q:
        filters["q"] = q
        match = Q()
        for name in spec.search:
            match |= Q(**{f"{name}__icontains": q})
        if any("__" in name and name.startswith("authors") for name in spec.search):
            qs = qs.filter(pk__in=spec.model.objects.filter(match).values("pk"))
        else:
            qs = qs.filter(match)
    return qs.order_by(*spec.order), filters


# --- summary ---------------------------------------------------------------------------------


def _zeros(choices):
    return {value: 0 for value, _ in choices}


def summary(org, start, end):
    """The figures the year-end report quotes for `org` and its subtree, for records dated start..end
    (inclusive). Mentor pairs: the school year containing `end`. Posts: those held at some time in the period.
    Seven queries whatever the data size."""
    where = {"org__path__startswith": org.path}
    school_year = school_year_of(end)
    pairs = MentorPair.objects.filter(**where, school_year=school_year).aggregate(
        pairs=Count("id"), mentors=Count("mentor", distinct=True))

    posts = {"total": 0, "by_kind": _zeros(DutyPost.Kind.choices)}
    held = _posts_between(DutyPost.objects.filter(**where), start, end)
    for row in held.values("kind").annotate(n=Count("id")).order_by():
        posts["by_kind"][row["kind"]] = row["n"]
        posts["total"] += row["n"]

    dated = {**where, "date__gte": start, "date__lte": end}
    lessons = {"total": 0, "by_kind": _zeros(Lesson.Kind.choices), "by_level": _zeros(Level.choices),
               "by_kind_level": {k: _zeros(Level.choices) for k in Lesson.Kind.values}, "awarded": 0}
    for row in (Lesson.objects.filter(**dated).values("kind", "level")
                .annotate(n=Count("id"), awarded=Count("id", filter=~Q(result=""))).order_by()):
        lessons["by_kind"][row["kind"]] += row["n"]
        lessons["by_level"][row["level"]] += row["n"]
        lessons["by_kind_level"][row["kind"]][row["level"]] = row["n"]
        lessons["total"] += row["n"]
        lessons["awarded"] += row["awarded"]

    reviews = {"total": 0, "by_role": _zeros(LessonReview.Role.choices)}
    for row in LessonReview.objects.filter(**dated).values("role").annotate(n=Count("id")).order_by():
        reviews["by_role"][row["role"]] = row["n"]
        reviews["total"] += row["n"]

    articles = {"total": 0, "by_platform": _zeros(Article.Platform.choices), "by_level": _zeros(Level.choices)}
    for row in Article.objects.filter(**dated).values("platform", "level").annotate(n=Count("id")).order_by():
        articles["by_platform"][row["platform"]] += row["n"]
        articles["by_level"][row["level"]] += row["n"]
        articles["total"] += row["n"]

    def honour_block():
        return {"total": 0, "by_level": _zeros(Level.choices), "by_kind": _zeros(Honour.Kind.choices)}

    honours = {"total": 0, "people": honour_block(), "orgs": honour_block()}
    honoured = Honour.objects.filter(**dated)
    for row in (honoured.values("kind", "level").annotate(n=Count("id"), people=Count("id", filter=Q(
            person__isnull=False))).order_by()):
        for block, n in ((honours["people"], row["people"]), (honours["orgs"], row["n"] - row["people"])):
            block["by_level"][row["level"]] += n
            block["by_kind"][row["kind"]] += n
            block["total"] += n
        honours["total"] += row["n"]
    honours.update(honoured.aggregate(people_honoured=Count("person", distinct=True),
                                      orgs_honoured=Count("recipient_org", distinct=True)))

    return {"org": org, "start": start, "end": end, "school_year": school_year,
            "mentor_pairs": pairs["pairs"], "mentors": pairs["mentors"], "posts": posts, "lessons": lessons,
            "lesson_reviews": reviews, "articles": articles, "honours": honours}


def default_org(user):
    """The top organisation of the user's scope (the first, when several)."""
    paths = scoping.scope_paths(user)
    return Organisation.objects.filter(path=paths[0]).first() if paths else None
