"""Scoped reads of the tasks app: who receives a task, the issuer's table, pledges coverage, the year summary."""

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Length, Substr

from dangjian.core import scoping
from dangjian.orgs.models import BRANCH_KINDS, WRITE_ROLES, Organisation, OrgKind

from .models import Instructor, Pledge, Receipt, Task

UPPER_KINDS = {OrgKind.WORK_COMMITTEE, OrgKind.AREA_COMMITTEE}


def writable_orgs(user):
    """Organisations the user may issue from / record for (active, not 党小组)."""
    return (Organisation.objects.active().filter(scoping.scope_q(user, "path", WRITE_ROLES))
            .exclude(kind=OrgKind.GROUP))


def readable_orgs(user):
    return Organisation.objects.active().filter(scoping.scope_q(user, "path")).exclude(kind=OrgKind.GROUP)


def schools_in(orgs):
    """The school-level organisations among `orgs` (a list ordered by path, with their parents): a party
    organisation that is not a 工委/片区党委/党小组 and sits directly under a 工委 or 片区党委."""
    kinds = {o.path: o.kind for o in orgs}
    step = Organisation.steplen
    return [o for o in orgs if o.kind not in UPPER_KINDS and o.kind != OrgKind.GROUP
            and kinds.get(o.path[:-step]) in UPPER_KINDS]


def school_orgs(user, *, write=False):
    """School-level organisations in the user's (write) scope (as `schools_in`: active, not a 工委/片区党委/党小组,
    directly under an active 工委 or 片区党委), a queryset in path order — never loaded whole for a large scope."""
    roles = WRITE_ROLES if write else None
    parent = Organisation.objects.active().filter(
        kind__in=UPPER_KINDS, path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Organisation.steplen))
    return (Organisation.objects.active().filter(scoping.scope_q(user, "path", roles))
            .exclude(kind__in=[*UPPER_KINDS, OrgKind.GROUP]).filter(Exists(parent)))


def receivers_for(org, mode, explicit=()):
    """The organisations that receive a task issued by `org`: strictly below it, active, never 党小组 unless
    named explicitly. One query."""
    below = list(Organisation.objects.active().filter(path__startswith=org.path).exclude(pk=org.pk).order_by("path"))
    if mode == Task.Receivers.BRANCHES:
        return [o for o in below if o.kind in BRANCH_KINDS]
    if mode == Task.Receivers.CHILDREN:
        return [o for o in below if o.depth == org.depth + 1 and o.kind != OrgKind.GROUP]
    if mode == Task.Receivers.SCHOOLS:
        return schools_in([org, *below])
    wanted = {int(pk) for pk in explicit}
    return [o for o in below if o.pk in wanted]


# --- lists --------------------------------------------------------------------------------------------------

def issued_for(user):
    """Tasks issued by organisations in the user's scope, with their receipt counts (one query)."""
    return (Task.objects.filter(scoping.scope_q(user, "org__path")).select_related("org")
            .annotate(total=Count("receipts"), done=Count("receipts", filter=Q(receipts__done_on__isnull=False)))
            .order_by("-issued_on", "-id"))


def received_for(user):
    """Receipts of organisations in the user's scope."""
    return Receipt.objects.visible_to(user).select_related("task", "task__org", "org")


def state_filter(state, on):
    """A Q over receipts for one of Receipt.State (judged on `on`)."""
    return {
        Receipt.State.OPEN: Q(done_on__isnull=True, task__due_on__gte=on),
        Receipt.State.OVERDUE: Q(done_on__isnull=True, task__due_on__lt=on),
        Receipt.State.DONE: Q(done_on__isnull=False, done_on__lte=F("task__due_on")),
        Receipt.State.DONE_LATE: Q(done_on__isnull=False, done_on__gt=F("task__due_on")),
    }[state]


def figures(receipts, on):
    """Receipt counts by state, the completion rate and overdue, in one aggregate query."""
    counts = receipts.aggregate(total=Count("pk"), **{
        state: Count("pk", filter=state_filter(state, on)) for state in Receipt.State.values})
    done = counts[Receipt.State.DONE] + counts[Receipt.State.DONE_LATE]
    counts["done_all"] = done
    counts["rate"] = round(100 * done / counts["total"]) if counts["total"] else 0
    return counts


def with_states(receipts, on, task=None):
    """The receipts (a page or list), each with `current_state` set; `task` spares a query per row."""
    receipts = list(receipts)
    for r in receipts:
        if task is not None:
            r.task = task
        r.current_state = r.state(on)
    return receipts


def issuer_table(task, on):
    """(receipts queryset for the table — receiver × state, with file counts —, figures)."""
    receipts = task.receipts.all()
    rows = receipts.select_related("org").annotate_files().prefetch_related("files").order_by("org__path")
    return rows, figures(receipts, on)


# --- pledges and instructors ---------------------------------------------------------------------------------

def pledge_coverage(org, year):
    """[(organisation, pledge or None)] for the organisation and every active organisation below it
    (党小组 excluded), in two queries."""
    orgs = list(Organisation.objects.active().filter(path__startswith=org.path).exclude(kind=OrgKind.GROUP)
                .order_by("path"))
    pledges = {p.org_id: p for p in Pledge.objects.filter(org__path__startswith=org.path, year=year)}
    return [(o, pledges.get(o.pk)) for o in orgs]


def instructors_for(user):
    return Instructor.objects.visible_to(user).select_related("org", "person")


# --- the year-end report ----------------------------------------------------------------------------------

def summary(org, start, end):
    """Figures for organisations in `org`'s subtree between `start` and `end` (inclusive), in three queries:
    tasks issued (by the subtree) and received (by the subtree, from anywhere); receipts completed on time,
    completed late and still overdue at `end`; withdrawn tasks are left out; 目标责任书 signed."""
    issued = Task.objects.filter(org__path__startswith=org.path, issued_on__range=(start, end)).exclude(
        status=Task.Status.WITHDRAWN).count()
    received = Receipt.objects.filter(org__path__startswith=org.path, task__issued_on__range=(start, end)).exclude(
        task__status=Task.Status.WITHDRAWN).aggregate(
        received=Count("pk"),
        on_time=Count("pk", filter=Q(done_on__lte=F("task__due_on")) & Q(done_on__lte=end)),
        late=Count("pk", filter=Q(done_on__gt=F("task__due_on")) & Q(done_on__lte=end)),
        overdue=Count("pk", filter=Q(task__due_on__lt=end) & (Q(done_on__isnull=True) | Q(done_on__gt=end))))
    pledges = Pledge.objects.filter(org__path__startswith=org.path, signed_on__range=(start, end)).count()
    return {"tasks_issued": issued, "tasks_received": received["received"], "completed_on_time": received["on_time"],
            "completed_late": received["late"], "overdue": received["overdue"], "pledges_signed": pledges}
