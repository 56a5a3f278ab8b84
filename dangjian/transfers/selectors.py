"""Reads of the transfers app: the transfer lists, what a within-district move carries, and the status-change
proposals (the engine proposes, people decide). Fixed query counts whatever the data size."""

from dataclasses import dataclass, field
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db.models import Q

from dangjian.compliance.engine import Rulebook
from dangjian.compliance.rulebook import rules_by_id
from dangjian.core import scoping
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person, Status
from dangjian.orgs.models import WRITE_ROLES, Organisation, OrgKind

from . import rules
from .models import ContactLoss, Kind, State, Transfer

TABS = [("pending", "转接中"), ("out", "转出"), ("in", "转入"), ("all", "全部")]


def with_transfer_mark(people):
    """`people` annotated with `in_transfer`: an open transfer out (转出中) exists. A subquery, not a query."""
    from django.db.models import Exists, OuterRef

    return people.annotate(in_transfer=Exists(Transfer.objects.filter(person=OuterRef("pk"), state=State.PENDING)))


def transfers_for(user):
    return Transfer.objects.visible_to(user).select_related("person", "from_org", "to_org")


def transfer_list(user, tab, q=""):
    qs = transfers_for(user)
    if tab == "pending":
        qs = qs.filter(state=State.PENDING)
    elif tab == "out":
        qs = qs.filter(scoping.scope_q(user, "from_org__path")).exclude(kind=Kind.IN)
    elif tab == "in":
        qs = qs.filter(scoping.scope_q(user, "to_org__path"))
    if q:
        qs = qs.filter(Q(person__name__icontains=q) | Q(name__icontains=q) | Q(letter_no__icontains=q)
                       | Q(from_org__name__icontains=q) | Q(to_org__name__icontains=q)
                       | Q(from_name__icontains=q) | Q(to_name__icontains=q))
    return qs.order_by("-issued_on", "-id")


def writable_orgs(user):
    """Organisations the user may send from or receive into (党小组 and dissolved ones excluded), path order."""
    return (Organisation.objects.filter(scoping.scope_q(user, "path", WRITE_ROLES)).active()
            .exclude(kind=OrgKind.GROUP).order_by("path"))


def target_orgs():
    """Every platform organisation a member may be transferred to (the receiver need not be in the sender's scope)."""
    return Organisation.objects.active().exclude(kind=OrgKind.GROUP).order_by("path")


def open_transfer(person):
    return Transfer.objects.open().filter(person=person).select_related("from_org", "to_org").first()


# --- what a within-district move carries -------------------------------------------------------------------------

@dataclass
class Carried:
    """Counts of the person's records before a move (they stay on the one Person row and move with it), and the
    organisation-derived items that change with the line of organisations."""

    status_events: int = 0
    memberships: int = 0
    dues_bills: int = 0
    dues_unpaid: int = 0
    dues_payments: int = 0
    study_logs: int = 0
    attendance: int = 0
    posts_ended: list = field(default_factory=list)
    study_tasks_dropped: int = 0
    study_tasks_added: int = 0


def carried(person, to_org, on):
    """What moving `person` to `to_org` on `on` carries and changes (a handful of queries)."""
    from dangjian.dues.models import DuesBill
    from dangjian.life.models import StudyTask
    from dangjian.orgs.models import CommitteePost

    bills = DuesBill.objects.filter(person=person)
    out = Carried(status_events=person.status_events.count(), memberships=person.memberships.count(),
                  dues_bills=bills.count(), dues_unpaid=bills.unpaid().count(),
                  dues_payments=person.dues_payments.count(), study_logs=person.study_logs.count(),
                  attendance=person.attendance.count())
    out.posts_ended = [f"{s.org.name}{s.get_post_display()}" for s in
                       CommitteePost.objects.filter(person=person, ended_on__isnull=True).select_related("org")
                       if not to_org.path.startswith(s.org.path)]
    step = Organisation.steplen
    old_line = {person.org.path[:end] for end in range(step, len(person.org.path) + 1, step)}
    new_line = {to_org.path[:end] for end in range(step, len(to_org.path) + 1, step)}
    done = person.study_logs.filter(task__isnull=False).values("task_id")
    open_tasks = StudyTask.objects.filter(starts_on__lte=on, due_on__gte=on).exclude(pk__in=done)
    out.study_tasks_dropped = open_tasks.filter(org__path__in=old_line - new_line).count()
    out.study_tasks_added = open_tasks.filter(org__path__in=new_line - old_line).count()
    return out


# --- proposals ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Proposal:
    person_id: int
    name: str
    org_id: int
    org_name: str
    status: str               # the proposed status (members.Status value)
    rule_id: str
    basis: str                # why, with the dates it was computed from
    reached_on: date | None   # the day the threshold was reached (None: not datable, e.g. attendance runs)

    @property
    def status_label(self):
        return Status(self.status).label

    @property
    def rule(self):
        return rules_by_id()[self.rule_id]


def _month_index(d):
    return d.year * 12 + d.month


def dues_lapse_runs(org_ids, on):
    """{person_id: (run, first_month, last_month)}: the person's latest run of consecutive overdue unpaid (not
    waived) monthly bills, when it reaches their latest overdue bill (a later paid month breaks it). One query."""
    from dangjian.dues.models import DuesBill

    current = on.replace(day=1)
    rows = (DuesBill.objects.filter(person__org_id__in=list(org_ids), person__status__in=PARTY_MEMBER_STATUSES,
                                    month__lt=current)
            .values_list("person_id", "month", "payment_id", "waived").order_by("person_id", "-month"))
    out, seen = {}, {}
    for person_id, month, payment_id, waived in rows:
        state = seen.setdefault(person_id, {"run": 0, "first": None, "last": None, "open": True})
        if not state["open"]:
            continue
        unpaid = payment_id is None and not waived
        if not unpaid or (state["first"] and _month_index(state["first"]) - _month_index(month) != 1):
            state["open"] = False
            continue
        state["run"] += 1
        state["last"] = state["last"] or month
        state["first"] = month
    for person_id, state in seen.items():
        if state["run"]:
            out[person_id] = (state["run"], state["first"], state["last"])
    return out


def _ym(d):
    return f"{d.year}年{d.month}月"


def proposals(orgs, on, *, only=None, book=None):
    """Status-change proposals for the members of these organisations on date `on`, by rule:
    - 失联 ≥ `transfers.lost_contact` months (6) → 停止党籍 (教管 第二十四条);
    - 停止党籍 ≥ `transfers.suspended_remove` years (2) → 除名;
    - 连续 `life.absence` risk_months (6) months without 组织生活, or `dues.arrears_lapse` months (6) of unpaid
      dues → 自行脱党除名 (章 第九条);
    - 出国（境）保留党籍 beyond `transfers.abroad_years` (5) → 停止党籍.
    `only`: rule ids to compute (default all); `book`: a compliance Rulebook already loaded for these orgs.
    Queries: 1 rulebook, 2 person/loss reads, 1 attendance, 1 dues (+2 names), whatever the number of orgs."""
    from dangjian.life.checks import absence_runs
    from dangjian.life.rules import ABSENCE
    from dangjian.dues.rules import ARREARS_LAPSE

    holders = {o.pk: o for o in orgs if o.kind != OrgKind.GROUP and not o.is_dissolved}
    if not holders:
        return []
    book = book or Rulebook(list(holders.values()))
    found = []
    wanted = set(only) if only is not None else None

    def setting(org, rule_id):
        if wanted is not None and rule_id not in wanted:
            return False, rules_by_id()[rule_id].params
        return book.setting(org, rule_id)

    for loss in (ContactLoss.objects.filter(person__org_id__in=list(holders), ended_on__isnull=True,
                                            person__status__in=PARTY_MEMBER_STATUSES)
                 .select_related("person").order_by("since", "pk")):
        org = holders[loss.person.org_id]
        enabled, params = setting(org, rules.LOST_CONTACT)
        reached = loss.since + relativedelta(months=params["months"])
        if enabled and reached <= on:
            found.append(Proposal(loss.person_id, loss.person.name, org.pk, org.name, Status.SUSPENDED,
                                  rules.LOST_CONTACT, f"自{loss.since:%Y年%m月%d日}失去联系，已满{params['months']}个月",
                                  reached))
    for person in (Person.objects.filter(org_id__in=list(holders), status__in=[Status.SUSPENDED, Status.ABROAD],
                                         status_since__isnull=False).only("id", "name", "org_id", "status",
                                                                          "status_since")):
        org = holders[person.org_id]
        if person.status == Status.SUSPENDED:
            enabled, params = setting(org, rules.SUSPENDED_REMOVE)
            reached = person.status_since + relativedelta(years=params["years"])
            if enabled and reached <= on:
                found.append(Proposal(person.pk, person.name, org.pk, org.name, Status.REMOVED, rules.SUSPENDED_REMOVE,
                                      f"自{person.status_since:%Y年%m月%d日}停止党籍，已满{params['years']}年", reached))
        else:
            enabled, params = setting(org, rules.ABROAD_YEARS)
            reached = person.status_since + relativedelta(years=params["years"])
            if enabled and reached <= on:
                found.append(Proposal(person.pk, person.name, org.pk, org.name, Status.SUSPENDED, rules.ABROAD_YEARS,
                                      f"自{person.status_since:%Y年%m月%d日}出国（境）保留党籍，已满{params['years']}年",
                                      reached))
    lapse = {}
    if wanted is not None and not wanted & {ABSENCE.id, ARREARS_LAPSE}:
        found.sort(key=lambda p: (p.org_name, p.name, p.person_id, p.status))
        return found
    for person_id, (name, org_id, run, (first, last)) in absence_runs(list(holders), on).items():
        org = holders[org_id]
        effective = book.resolve(org, ABSENCE.id)
        if (wanted is None or ABSENCE.id in wanted) and effective.enabled and run >= effective.params["risk_months"]:
            span = f"{first[0]}年{first[1]}月至{last[0]}年{last[1]}月"
            lapse.setdefault(person_id, [name, org_id, [], None])[2].append(f"连续{run}个月未参加组织生活（{span}）")
    dues = dues_lapse_runs(holders, on)
    if dues:
        people = {pk: (name, org_id) for pk, name, org_id in
                  Person.objects.filter(pk__in=list(dues)).values_list("pk", "name", "org_id")}
        names = {pk: v[0] for pk, v in people.items()}
        orgs_of = {pk: v[1] for pk, v in people.items()}
        for person_id, (run, first, last) in dues.items():
            org = holders[orgs_of[person_id]]
            enabled, params = book.setting(org, ARREARS_LAPSE)
            enabled = enabled and (wanted is None or ARREARS_LAPSE in wanted)
            if enabled and run >= params["months"]:
                item = lapse.setdefault(person_id, [names[person_id], org.pk, [], None])
                item[2].append(f"连续{run}个月未交纳党费（{_ym(first)}至{_ym(last)}）")
                item[3] = first + relativedelta(months=params["months"])
    for person_id, (name, org_id, reasons, reached) in lapse.items():
        org = holders[org_id]
        rule_id = ARREARS_LAPSE if reached and len(reasons) == 1 else ABSENCE.id
        found.append(Proposal(person_id, name, org.pk, org.name, Status.LAPSED, rule_id, "；".join(reasons), reached))
    found.sort(key=lambda p: (p.org_name, p.name, p.person_id, p.status))
    return found


def proposals_for(user, on, *, org=None):
    """Proposals over the user's scope (or one organisation's subtree inside it)."""
    qs = Organisation.objects.visible_to(user).exclude(kind=OrgKind.GROUP)
    if org is not None:
        qs = qs.filter(path__startswith=org.path)
    return proposals(list(qs.only("id", "name", "path", "depth", "kind", "dissolved_on")), on)
