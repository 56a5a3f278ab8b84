"""Reads for the roster screens (the roster page and its Excel export share one query)."""

from datetime import date

from dateutil.relativedelta import relativedelta

from dangjian.orgs.models import Organisation

from .models import PARTY_MEMBER_STATUSES, Person, Status

# ?status=: a Status value, or one of these.
STATUS_MEMBERS = "members"  # 正式党员 + 预备党员
STATUS_ALL = "all"  # everyone, including people who left the roster
STATUS_CHOICES = [("", "在册人员"), (STATUS_MEMBERS, "党员（正式+预备）"), *Status.choices, (STATUS_ALL, "全部（含已离册）")]

# ?post=
POSTS = {
    "class_teacher": ("is_class_teacher", "班主任"),
    "research_lead": ("is_research_lead", "教研组长"),
    "backbone": ("is_backbone", "骨干教师"),
    "administrative": ("is_administrative", "行政"),
}
POST_CHOICES = [(key, label) for key, (_, label) in POSTS.items()]

# ?age=: inclusive age bands of the official statistics (DOMAIN §7): (min age, max age); None = open.
AGE_BANDS = {
    "30": (None, 30, "30岁及以下"),
    "31-35": (31, 35, "31至35岁"),
    "36-40": (36, 40, "36至40岁"),
    "41-45": (41, 45, "41至45岁"),
    "46-50": (46, 50, "46至50岁"),
    "51-55": (51, 55, "51至55岁"),
    "56-60": (56, 60, "56至60岁"),
    "61": (61, None, "61岁及以上"),
}
AGE_CHOICES = [(key, label) for key, (_, _, label) in AGE_BANDS.items()]

# ?years=: 党龄 (whole years since 转正) bands: lower bound inclusive, upper bound exclusive.
YEARS_BANDS = {
    "lt5": (None, 5, "不满5年"),
    "5-10": (5, 10, "5年以上不满10年"),
    "10-20": (10, 20, "10年以上不满20年"),
    "ge20": (20, None, "20年及以上"),
}
YEARS_CHOICES = [(key, label) for key, (_, _, label) in YEARS_BANDS.items()]

Q_MAX_LENGTH = 50


def _text(params, key):
    value = params.get(key) if params is not None else None
    if value is None:
        return ""
    return str(value).replace("\x00", "").strip()


def _whole_years_range(field, low, high, today):
    """Lookups for "whole years elapsed since `field`" in [low, high] (inclusive; None = open).

    Whole years since d on `today` ≥ n  ⇔  d ≤ today − n years (relativedelta clamps 29 Feb the way
    Person.age_on counts it), so every band becomes a date range on an indexed column."""
    lookups = {}
    if low is not None:
        lookups[f"{field}__lte"] = today - relativedelta(years=low)
    if high is not None:
        lookups[f"{field}__gt"] = today - relativedelta(years=high + 1)
    return lookups


def roster_queryset(user, params, *, today=None):
    """The roster the user may see, filtered by `params` (request.GET or a dict).

    Returns (queryset, filters): the queryset is ordered by organisation path then name; `filters`
    holds the cleaned values actually applied ("" when a filter is not applied; "org" is the
    Organisation or None). Invalid values are ignored, never an error.
    """
    today = today or date.today()
    qs = Person.objects.visible_to(user).select_related("org", "group")
    filters = {"org": None, "status": "", "post": "", "age": "", "years": "", "q": ""}

    org_id = _text(params, "org")
    if org_id.isdigit():
        org = Organisation.objects.visible_to(user).filter(pk=int(org_id)).first()
        if org is not None:
            qs = qs.filter(org__path__startswith=org.path)
            filters["org"] = org

    status = _text(params, "status")
    if status == STATUS_ALL:
        filters["status"] = status
    elif status == STATUS_MEMBERS:
        qs = qs.filter(status__in=PARTY_MEMBER_STATUSES)
        filters["status"] = status
    elif status in Status.values:
        qs = qs.filter(status=status)
        filters["status"] = status
    else:
        qs = qs.on_roster()

    post = _text(params, "post")
    if post in POSTS:
        qs = qs.filter(**{POSTS[post][0]: True})
        filters["post"] = post

    age = _text(params, "age")
    if age in AGE_BANDS:
        low, high, _ = AGE_BANDS[age]
        qs = qs.filter(**_whole_years_range("birth_date", low, high, today))
        filters["age"] = age

    years = _text(params, "years")
    if years in YEARS_BANDS:
        low, high, _ = YEARS_BANDS[years]
        # Bands are [low, high): "under `high` whole years" is "at most high − 1".
        qs = qs.filter(full_member_on__isnull=False,
                       **_whole_years_range("full_member_on", low, None if high is None else high - 1, today))
        filters["years"] = years

    q = _text(params, "q")[:Q_MAX_LENGTH]
    if q:
        qs = qs.filter(name__icontains=q)
        filters["q"] = q

    return qs.order_by("org__path", "name", "id"), filters


def describe_filters(filters):
    """Chinese descriptions of the applied filters, for page headings, file names and the audit row."""
    parts = []
    if filters.get("org") is not None:
        parts.append(f"组织：{filters['org'].name}")
    status = filters.get("status")
    if status:
        parts.append("政治面貌：" + dict(STATUS_CHOICES).get(status, status))
    if filters.get("post"):
        parts.append("岗位：" + POSTS[filters["post"]][1])
    if filters.get("age"):
        parts.append("年龄：" + AGE_BANDS[filters["age"]][2])
    if filters.get("years"):
        parts.append("党龄：" + YEARS_BANDS[filters["years"]][2])
    if filters.get("q"):
        parts.append(f"姓名包含：{filters['q']}")
    return parts


def summary(org, start, end):
    """The roster at `end` for `org`'s subtree (the year-end report's 基本情况). One query.

    Who belongs: people whose 组织关系 (`OrgMembership`) was in the subtree on `end` (started on or before,
    ended after), and people without any membership record whose current organisation is in the subtree.
    Their status on `end` is the latest `StatusEvent` effective on or before `end` (Person.status is the
    projection of that history); people without any event count with their current status; people whose
    events all come after `end` were not yet on the roster. `start` is not used (a roster is a snapshot) but
    kept so every app's summary has the same signature.

    Returns full / probationary / members (the two together), pipeline (申请人 + 积极分子 + 发展对象), and
    by_status: every status with its count (zeros included).
    """
    from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, When

    from .models import OrgMembership, StatusEvent

    active = OrgMembership.objects.filter(org__path__startswith=org.path, started_on__lte=end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=end))
    no_history = ~Exists(OrgMembership.objects.filter(person=OuterRef("pk")))
    # A correlated EXISTS (an index probe per person), not `pk IN (subquery)`: under the OR PostgreSQL cannot turn
    # the IN into a join, and once the subquery's ids outgrow work_mem (a province: 1.2 million) it rescans them
    # for every person — quadratic (EXPLAIN at 100×: a materialised SubPlan under the person scan).
    people = Person.objects.filter(Exists(active.filter(person=OuterRef("pk")))
                                   | (Q(org__path__startswith=org.path) & no_history))
    last = (StatusEvent.objects.filter(person=OuterRef("pk"), effective_on__lte=end)
            .order_by("-effective_on", "-id").values("status")[:1])
    has_events = Exists(StatusEvent.objects.filter(person=OuterRef("pk")))
    rows = (people.annotate(at_end=Case(When(has_events, then=Subquery(last)), default=F("status")))
            .values("at_end").annotate(n=Count("id")).order_by())
    counts = {row["at_end"]: row["n"] for row in rows if row["at_end"]}
    by_status = [{"key": key, "label": label, "count": counts.get(key, 0)} for key, label in Status.choices]
    full, probationary = counts.get(Status.FULL, 0), counts.get(Status.PROBATIONARY, 0)
    return {"org": org, "on": end, "full": full, "probationary": probationary, "members": full + probationary,
            "pipeline": sum(counts.get(s, 0) for s in (Status.APPLICANT, Status.ACTIVIST, Status.CANDIDATE)),
            "by_status": by_status}
