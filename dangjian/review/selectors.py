"""Scoped reads of the review app; every page issues a fixed number of queries whatever the data size."""

from django.db.models import Count, Exists, OuterRef, Q, Sum

from dangjian.core import scoping
from dangjian.members.models import Person
from dangjian.orgs.models import BRANCH_KINDS, WRITE_ROLES, Organisation

from .models import Comment, FollowUp, Grade, Round, Satisfaction, Source, StaffCode, Subject, Voter

PEER_FIELDS = [f"peer_{g}" for g in Grade.values]
STAFF_FIELDS = [f"staff_{g}" for g in Grade.values]
BRANCH_FIELDS = [f"staff_{s}" for s in Satisfaction.values]


def linked_person(user):
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user_id=user.pk).first()


def rounds_for(user):
    """Rounds of the user's organisation scope."""
    return Round.objects.visible_to(user)


def writable_branches(user):
    return (Organisation.objects.filter(scoping.scope_q(user, "path", WRITE_ROLES), kind__in=BRANCH_KINDS,
                                        dissolved_on__isnull=True).order_by("path"))


def _with_counts(qs):
    return qs.annotate(
        reviewed=Count("subjects", filter=Q(subjects__exempt=False), distinct=True),
        self_reviewed=Count("subjects", filter=Q(subjects__exempt=False) & ~Q(subjects__self_review=""),
                            distinct=True),
    )


def round_list(user, params):
    """(queryset, filters) of the list page; bad filter values are ignored."""
    qs = rounds_for(user).select_related("org")
    filters = {"year": None, "status": "", "q": ""}
    year = str(params.get("year") or "")
    if year.isdigit() and len(year) == 4:
        filters["year"] = int(year)
        qs = qs.filter(year=filters["year"])
    if params.get("status") in Round.Status.values:
        filters["status"] = params["status"]
        qs = qs.filter(status=filters["status"])
    q = str(params.get("q") or "").strip()[:50]
    if q:
        filters["q"] = q
        qs = qs.filter(org__name__icontains=q)
    return _with_counts(qs).order_by("-year", "org__path", "-id"), filters


def my_subjects(user):
    """The user's own entries in rounds (newest first), with whether they still have something to do."""
    if not getattr(user, "is_authenticated", False):
        return []
    voted = Voter.objects.filter(round=OuterRef("round"), person=OuterRef("person"), voted=True)
    return list(Subject.objects.filter(person__user_id=user.pk).select_related("round__org")
                .annotate(voted=Exists(voted)).order_by("-round__year", "-round_id")[:20])


def participation(round_):
    """Counts of the evaluation so far: 3 queries."""
    n = round_.subjects.aggregate(
        n_total=Count("id"), n_exempt=Count("id", filter=Q(exempt=True)),
        n_self=Count("id", filter=Q(exempt=False) & ~Q(self_review="")))
    voted = Voter.objects.filter(round=round_, voted=True).count()
    codes = StaffCode.objects.filter(round=round_).aggregate(total=Count("id"), used=Count("id", filter=Q(used=True)))
    return {"total": n["n_total"], "exempt": n["n_exempt"], "reviewed": n["n_total"] - n["n_exempt"],
            "self_reviewed": n["n_self"], "voted": voted, "codes_total": codes["total"], "codes_used": codes["used"]}


def subject_rows(round_):
    """Every entry of the round with its person, tally and follow-up (one query), voters marked (one query)."""
    rows = list(round_.subjects.select_related("person", "tally", "follow_up").order_by("exempt", "person__name", "id"))
    voted = set(Voter.objects.filter(round=round_, voted=True).values_list("person_id", flat=True))
    for row in rows:
        row.voted = row.person_id in voted
        row.follow = getattr(row, "follow_up", None) if hasattr(row, "follow_up") else None
        tally = getattr(row, "tally", None)
        row.peer = [getattr(tally, f, 0) for f in PEER_FIELDS] if tally else [0] * 4
        row.staff = [getattr(tally, f, 0) for f in STAFF_FIELDS] if tally else [0] * 4
        row.peer_total, row.staff_total = sum(row.peer), sum(row.staff)
    return rows


def comments(round_):
    """Comments grouped by subject id (None: the branch), sorted by text: one query."""
    grouped = {}
    for subject_id, source, text in Comment.objects.filter(round=round_).values_list("subject_id", "source", "text") \
            .order_by("text"):
        grouped.setdefault(subject_id, []).append((Source(source).label, text))
    return grouped


def branch_satisfaction(round_):
    values = [getattr(round_, f) for f in BRANCH_FIELDS]
    total = sum(values)
    return {"rows": list(zip(Satisfaction.labels, values)), "total": total,
            "rate": round(100 * (values[0] + values[1]) / total) if total else None}


def distribution(round_):
    """[(grade label, count)] of final grades among the members reviewed: one query."""
    counts = dict(round_.subjects.filter(exempt=False).exclude(final_grade="").values_list("final_grade")
                  .annotate(n=Count("id")).values_list("final_grade", "n"))
    return [(label, counts.get(value, 0)) for value, label in Grade.choices]


def follow_ups(round_):
    return list(FollowUp.objects.filter(subject__round=round_).select_related("subject__person")
                .order_by("due_on", "subject__person__name"))


def summary(org, start, end):
    """Figures of the year-end report for `org`'s subtree: rounds opened between start and end (inclusive).
    Four queries whatever the data size."""
    rounds = Round.objects.filter(org__path__startswith=org.path, opened_on__gte=start, opened_on__lte=end)
    totals = rounds.aggregate(n_held=Count("id"), n_closed=Count("id", filter=Q(status=Round.Status.CLOSED)),
                              **{f"sum_{f}": Sum(f) for f in BRANCH_FIELDS})
    people = Subject.objects.filter(round__in=rounds).aggregate(
        n_reviewed=Count("id", filter=Q(exempt=False)), n_exempt=Count("id", filter=Q(exempt=True)),
        **{f"g_{g}": Count("id", filter=Q(exempt=False, final_grade=g)) for g in Grade.values})
    follow = FollowUp.objects.filter(subject__round__in=rounds).aggregate(
        n_total=Count("id"), n_open=Count("id", filter=Q(closed_on__isnull=True)),
        **{f"m_{m}": Count("id", filter=Q(measure=m)) for m in FollowUp.Measure.values})
    staff = {Satisfaction(s).label: totals[f"sum_staff_{s}"] or 0 for s in Satisfaction.values}
    staff_total = sum(staff.values())
    branches_evaluated = rounds.filter(Q(staff_satisfied__gt=0) | Q(staff_basic__gt=0) | Q(staff_unsatisfied__gt=0)) \
        .count()
    return {
        "rounds_held": totals["n_held"],
        "rounds_closed": totals["n_closed"],
        "members_reviewed": people["n_reviewed"],
        "members_exempt": people["n_exempt"],
        "grades": {Grade(g).label: people[f"g_{g}"] for g in Grade.values},
        "unqualified_follow_ups": {"total": follow["n_total"], "open": follow["n_open"],
                                   **{FollowUp.Measure(m).label: follow[f"m_{m}"] for m in FollowUp.Measure.values}},
        "staff_satisfaction": staff,
        "staff_ballots": staff_total,
        "staff_satisfaction_rate": round(100 * (staff["满意"] + staff["基本满意"]) / staff_total) if staff_total else None,
        "branches_evaluated_by_staff": branches_evaluated,
    }
