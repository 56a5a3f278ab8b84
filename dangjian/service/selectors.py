"""Scoped reads of the service app; every list and the summary take a fixed number of queries."""

from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from dangjian.core import scoping
from dangjian.orgs.models import WRITE_ROLES, Organisation, Role

from .models import (Activity, ActivityKind, CareVisit, HardshipFile, HomeVisit, MentorPair, Participant,
                     PartnerKind, Partnership, RecipientKind, VisitCategory)

Q_MAX_LENGTH = 50
TENTH, CENT = Decimal("0.1"), Decimal("0.01")
ZERO1 = Value(Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=1))


def parse_date(value):
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


def writable_orgs(user):
    return Organisation.objects.filter(scoping.scope_q(user, "path", WRITE_ROLES), dissolved_on__isnull=True)


# --- 困难职工档案: restricted ---------------------------------------------------------------------


def hardship_paths(user):
    """Where the user may read hardship files: the subtrees where he or she is 书记 or 组织管理员, and the
    whole district for read roles held on a root organisation (the 教育工委). Never viewers or members below."""
    district_readers = [p for p in scoping.scope_paths(user, {Role.VIEWER, Role.DISCIPLINE})
                        if len(p) == Organisation.steplen]
    paths = sorted(set(scoping.scope_paths(user, WRITE_ROLES)) | set(district_readers))
    return [p for p in paths if not any(p != k and p.startswith(k) for k in paths)]


def hardship_files_for(user):
    q = Q(pk__in=[])
    for path in hardship_paths(user):
        q |= Q(org__path__startswith=path)
    return HardshipFile.objects.filter(q)


def can_read_hardship(user):
    return bool(hardship_paths(user))


# --- lists -------------------------------------------------------------------------------------


def filtered(qs, user, params, *, date_field="date", kind_field=None, kinds=None, search=()):
    """(queryset, filters) with the common filters: organisation subtree, date range, kind, search text.
    Bad filter values are ignored."""
    filters = {"org": None, "start": None, "end": None, "kind": "", "q": ""}
    org_id = params.get("org")
    if org_id and str(org_id).isdigit():
        org = Organisation.objects.visible_to(user).filter(pk=org_id).first()
        if org is not None:
            filters["org"] = org
            qs = qs.filter(org__path__startswith=org.path)
    start, end = (parse_date(params.get("start")), parse_date(params.get("end"))) if date_field else (None, None)
    if start:
        filters["start"] = start
        qs = qs.filter(**{f"{date_field}__gte": start})
    if end:
        filters["end"] = end
        qs = qs.filter(**{f"{date_field}__lte": end})
    if kind_field and params.get("kind") in kinds.values:
        filters["kind"] = params["kind"]
        qs = qs.filter(**{kind_field: filters["kind"]})
    text = str(params.get("q") or "").strip()[:Q_MAX_LENGTH]
    if text and search:
        filters["q"] = text
        condition = Q()
        for name in search:
            condition |= Q(**{f"{name}__icontains": text})
        qs = qs.filter(condition)
    return qs, filters


def with_totals(qs):
    """Activities with their computed figures: platform participants, person-times (participants + the extras
    given) and total hours (participants' hours + the extra hours given)."""
    return qs.annotate(
        people=Count("participants"),
        people_hours=Coalesce(Sum("participants__hours"), ZERO1),
    ).annotate(person_times=F("people") + F("extra_participants"),
               total_hours=F("people_hours") + F("extra_hours"))


def activity_list(user, params):
    qs, filters = filtered(Activity.objects.visible_to(user).select_related("org"), user, params,
                           kind_field="kind", kinds=ActivityKind,
                           search=("title", "place", "partner", "account"))
    return with_totals(qs).order_by("-date", "-id"), filters


def partnership_list(user, params):
    return filtered(Partnership.objects.visible_to(user).select_related("org").order_by("-since", "-id"), user,
                    params, date_field="since", kind_field="partner_kind", kinds=PartnerKind,
                    search=("partner_name", "note"))


def visit_list(user, params):
    return filtered(HomeVisit.objects.visible_to(user).select_related("org", "teacher").order_by("-date", "-id"),
                    user, params, kind_field="category", kinds=VisitCategory,
                    search=("student_alias", "teacher__name", "outcome"))


def pair_list(user, params):
    qs = (MentorPair.objects.visible_to(user).select_related("org", "member")
          .annotate(visit_count=Count("visits")).order_by("-school_year", "-id"))
    return filtered(qs, user, params, date_field=None, kind_field="category", kinds=VisitCategory,
                    search=("student_alias", "member__name", "school_year"))


def care_list(user, params):
    qs = CareVisit.objects.visible_to(user).select_related("org").order_by("-date", "-id")
    return filtered(qs, user, params, kind_field="recipient_kind", kinds=RecipientKind, search=("goods", "note"))


def hardship_list(user, params):
    qs = hardship_files_for(user).select_related("org").order_by("-opened_on", "-id")
    return filtered(qs, user, params, date_field="opened_on", search=("name", "difficulty"))


# --- the year-end figures ------------------------------------------------------------------------


def _labelled(choices, rows, key, fields):
    """One entry per choice (zeros where nothing was recorded), in the choices' order."""
    by_key = {row[key]: row for row in rows}
    out = []
    for value, label in choices.choices:
        row = by_key.get(value, {})
        out.append({"key": value, "label": label, **{f: row.get(f) or default for f, default in fields.items()}})
    return out


def school_year_of(d):
    """The school year (September to August) a date falls in, as "2025-2026"."""
    first = d.year if d.month >= 9 else d.year - 1
    return f"{first}-{first + 1}"


def school_years(start, end):
    first, last = int(school_year_of(start)[:4]), int(school_year_of(end)[:4])
    return [f"{y}-{y + 1}" for y in range(first, last + 1)]


def summary(org, start, end):
    """The figures the year-end report quotes for `org` and its subtree, records dated start..end inclusive.
    Eight queries whatever the data size.

    activities: per kind — count, participants (distinct platform people), person_times (participant rows +
      extra_participants), hours (participant hours + extra_hours); `totals` across kinds.
    partnerships (active at any time in the period): branches (distinct organisations paired), partners
      (distinct partner name per kind) and partners by kind.
    home_visits: count per category; pairs: 帮教对子 of the school years the period touches.
    care: per recipient kind — visits, people, matters, money, goods_value; totals with money + goods.
    """
    in_tree = Q(org__path__startswith=org.path)
    acts = Activity.objects.filter(in_tree, date__gte=start, date__lte=end)
    given = list(acts.values("kind").annotate(count=Count("id"), extra_people=Sum("extra_participants"),
                                              extra_hours=Sum("extra_hours")).order_by())
    parts = Participant.objects.filter(activity__in=acts.values("pk"))
    joined = list(parts.values("activity__kind").annotate(rows=Count("id"), people=Count("person", distinct=True),
                                                          hours=Sum("hours")).order_by())
    overall = parts.aggregate(people=Count("person", distinct=True))
    by_kind = {row["activity__kind"]: row for row in joined}
    activities = []
    for row in _labelled(ActivityKind, given, "kind", {"count": 0, "extra_people": 0, "extra_hours": Decimal("0")}):
        j = by_kind.get(row["key"], {})
        activities.append({"key": row["key"], "label": row["label"], "count": row["count"],
                           "participants": j.get("people", 0),
                           "person_times": j.get("rows", 0) + row["extra_people"],
                           "hours": ((j.get("hours") or Decimal("0")) + row["extra_hours"]).quantize(TENTH)})
    activity_totals = {"count": sum(a["count"] for a in activities), "participants": overall["people"],
                       "person_times": sum(a["person_times"] for a in activities),
                       "hours": sum((a["hours"] for a in activities), Decimal("0")).quantize(TENTH)}

    active = Partnership.objects.filter(in_tree, since__lte=end).filter(Q(until__isnull=True) | Q(until__gte=start))
    branches = active.aggregate(n=Count("org", distinct=True))["n"]
    partner_rows = list(active.values("partner_kind").annotate(partners=Count("partner_name", distinct=True))
                        .order_by())
    partners = _labelled(PartnerKind, partner_rows, "partner_kind", {"partners": 0})

    visits = _labelled(VisitCategory, HomeVisit.objects.filter(in_tree, date__gte=start, date__lte=end)
                       .values("category").annotate(count=Count("id")).order_by(), "category", {"count": 0})
    pairs = MentorPair.objects.filter(in_tree, school_year__in=school_years(start, end)).count()

    care_rows = (CareVisit.objects.filter(in_tree, date__gte=start, date__lte=end).values("recipient_kind")
                 .annotate(visits=Count("id"), people=Sum("recipients"), matters=Sum("matters_solved"),
                           money=Sum("money"), goods_value=Sum("goods_value")).order_by())
    care = _labelled(RecipientKind, care_rows, "recipient_kind",
                     {"visits": 0, "people": 0, "matters": 0, "money": Decimal("0"), "goods_value": Decimal("0")})
    care_totals = {f: sum((c[f] for c in care), Decimal("0") if f in ("money", "goods_value") else 0)
                   for f in ("visits", "people", "matters", "money", "goods_value")}
    for row in [*care, care_totals]:
        row["money"], row["goods_value"] = Decimal(row["money"]).quantize(CENT), Decimal(row["goods_value"]).quantize(CENT)
    care_totals["money_and_goods"] = care_totals["money"] + care_totals["goods_value"]

    return {
        "org": org, "start": start, "end": end,
        "activities": activities, "activity_totals": activity_totals,
        "partnerships": {"branches": branches, "partners": sum(p["partners"] for p in partners),
                         "by_kind": partners},
        "home_visits": {"by_category": visits, "total": sum(v["count"] for v in visits), "pairs": pairs},
        "care": {"by_kind": care, "totals": care_totals},
    }
