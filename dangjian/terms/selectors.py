"""Scoped reads and the term arithmetic of the terms app (DOMAIN §6, §8).

Term end = election date + term (calendar years, relativedelta: 2024-02-29 + 3 years = 2027-02-28).
From T−90 days: 提示; from T−60: 即将到期; from the day after the term end: 逾期 — unless an approved
extension covers the day, in which case the extension's end date plays the term end's part.
Every list is a fixed number of queries whatever the number of organisations.
"""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import models
from django.db.models import OuterRef, Q, Subquery

from dangjian.compliance.engine import Rulebook
from dangjian.orgs.models import BRANCH_KINDS, Organisation

from . import rules
from .models import ELECTING_KINDS, Election, TermExtension

Q_MAX_LENGTH = 50


class State(models.TextChoices):
    OK = "ok", "任期内"
    NOTICE = "notice", "届满提示"
    SOON = "soon", "即将到期"
    OVERDUE = "overdue", "逾期未换届"
    EXTENDED = "extended", "已批准延期"
    NONE = "none", "无换届记录"


BADGES = {State.OK: "text-bg-success", State.NOTICE: "text-bg-info", State.SOON: "text-bg-warning",
          State.OVERDUE: "text-bg-danger", State.EXTENDED: "text-bg-primary", State.NONE: "text-bg-secondary"}


def term_years(rulebook, org):
    """The term length in years for this organisation (rulebook setting, by kind)."""
    _, params = rulebook.setting(org, rules.TERM_YEARS)
    return params["branch" if org.kind in BRANCH_KINDS else org.kind]


def term_end(held_on, years):
    return held_on + relativedelta(years=years)


def extension_limit(end, rulebook, org):
    _, params = rulebook.setting(org, rules.EXTENSION_MAX)
    return end + relativedelta(months=params["months"])


@dataclass(frozen=True)
class Term:
    org: object
    election_id: int | None = None
    held_on: date | None = None
    approved: bool = False
    end: date | None = None            # election date + term
    extended_to: date | None = None    # an approved extension of this term
    state: str = State.NONE
    days_left: int | None = None       # to the effective end (the extension's, if any); negative when overdue

    @property
    def effective_end(self):
        if self.end is None:
            return None
        return max(self.end, self.extended_to) if self.extended_to else self.end

    @property
    def overdue_days(self):
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0

    @property
    def state_label(self):
        return State(self.state).label

    @property
    def badge(self):
        return BADGES[State(self.state)]


def judge(org, held_on, extended_to, rulebook, on, *, election_id=None, approved=False):
    """The Term of an organisation whose latest election was on `held_on` (None: no election on record)."""
    if held_on is None:
        return Term(org)
    end = term_end(held_on, term_years(rulebook, org))
    effective = max(end, extended_to) if extended_to else end
    days_left = (effective - on).days
    notice_on, notice = rulebook.setting(org, rules.NOTICE)
    soon_on, soon = rulebook.setting(org, rules.DUE_SOON)
    if on > effective:
        state = State.OVERDUE
    elif soon_on and days_left <= soon["days"]:
        state = State.SOON
    elif notice_on and days_left <= notice["days"]:
        state = State.NOTICE
    elif on > end:
        state = State.EXTENDED
    else:
        state = State.OK
    return Term(org, election_id, held_on, approved, end, extended_to, state, days_left)


def electing_orgs(queryset):
    return queryset.filter(kind__in=ELECTING_KINDS, dissolved_on__isnull=True)


def with_latest_election(orgs, until=None):
    """Annotate organisations with their latest election (on or before `until`) and its approved extension."""
    latest = Election.objects.filter(org=OuterRef("pk"))
    if until is not None:
        latest = latest.filter(held_on__lte=until)
    latest = latest.order_by("-held_on", "-id")
    extension = (TermExtension.objects.filter(election_id=OuterRef("last_id"), status=TermExtension.Status.APPROVED)
                 .order_by("-extended_to"))
    return orgs.annotate(last_id=Subquery(latest.values("pk")[:1]),
                         last_held=Subquery(latest.values("held_on")[:1]),
                         last_status=Subquery(latest.values("status")[:1]),
                         extended_to=Subquery(extension.values("extended_to")[:1]))


def terms_for(orgs, on):
    """[Term] for these organisations (a queryset), in tree order: two queries."""
    rows = list(with_latest_election(electing_orgs(orgs)).order_by("path"))
    rulebook = Rulebook(rows)
    return [judge(o, o.last_held, o.extended_to, rulebook, on, election_id=o.last_id,
                  approved=o.last_status == Election.Status.APPROVED) for o in rows]


def term_of(org, on):
    return terms_for(Organisation.objects.filter(pk=org.pk), on)[0] if org.kind in ELECTING_KINDS else None


def _parse_int(value):
    return int(value) if value and str(value).isdigit() and len(str(value)) < 12 else None


def term_list(user, params, on):
    """(terms, filters) for the home page: organisations of the user's scope that elect, filtered by
    organisation subtree, state and name."""
    orgs = Organisation.objects.visible_to(user)
    filters = {"org": None, "state": "", "q": ""}
    org_id = _parse_int(params.get("org"))
    if org_id is not None:
        org = Organisation.objects.visible_to(user).filter(pk=org_id).first()
        if org is not None:
            filters["org"] = org
            orgs = orgs.filter(path__startswith=org.path)
    q = str(params.get("q") or "").strip()[:Q_MAX_LENGTH]
    if q:
        filters["q"] = q
        orgs = orgs.filter(Q(name__icontains=q) | Q(unit_name__icontains=q))
    terms = terms_for(orgs, on)
    if params.get("state") in State.values:
        filters["state"] = params["state"]
        terms = [t for t in terms if t.state == filters["state"]]
    return terms, filters


def counts_by_state(terms):
    counts = {value: 0 for value in State.values}
    for term in terms:
        counts[term.state] += 1
    return [(State(value), BADGES[State(value)], n) for value, n in counts.items()]


def elections_for(user):
    return Election.objects.visible_to(user)


def summary(org, start, end):
    """For the year-end report: elections held in the subtree of `org` between `start` and `end` (inclusive),
    how many were on time (no later than the previous term's end or its approved extension; a first election
    counts as on time), how many late, and how many organisations are overdue on `end`. Four queries."""
    orgs = list(electing_orgs(Organisation.objects.subtree_of(org)).order_by("path"))
    rulebook = Rulebook(orgs)
    by_id = {o.pk: o for o in orgs}
    extensions = {}
    for election_id, extended_to in (TermExtension.objects.filter(org_id__in=list(by_id),
                                                                  status=TermExtension.Status.APPROVED)
                                     .values_list("election_id", "extended_to")):
        extensions[election_id] = max(extended_to, extensions.get(election_id, extended_to))
    held = on_time = late = 0
    previous = {}
    for election_id, org_id, held_on in (Election.objects.filter(org_id__in=list(by_id), held_on__lte=end)
                                         .order_by("held_on", "id").values_list("pk", "org_id", "held_on")):
        o = by_id[org_id]
        if held_on >= start:
            held += 1
            before = previous.get(org_id)
            if before is None:
                on_time += 1
            else:
                last_id, last_held = before
                limit = term_end(last_held, term_years(rulebook, o))
                limit = max(limit, extensions.get(last_id, limit))
                if held_on <= limit:
                    on_time += 1
                else:
                    late += 1
        previous[org_id] = (election_id, held_on)
    overdue = 0
    for org_id, (election_id, held_on) in previous.items():
        o = by_id[org_id]
        if judge(o, held_on, extensions.get(election_id), rulebook, end).state == State.OVERDUE:
            overdue += 1
    return {"held": held, "on_time": on_time, "late": late, "overdue": overdue,
            "without_record": sum(1 for o in orgs if o.pk not in previous and o.founded_on <= end)}
