"""Reads for the pipeline screens, reminders and checks: each in a fixed number of queries."""

from datetime import date
from typing import NamedTuple

from django.db.models import Count, Q

from dangjian.compliance.engine import Rulebook
from dangjian.life.models import Meeting, Vote
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person, Status
from dangjian.orgs.models import Organisation

from . import logic
from .models import DevelopmentFile, DevelopmentStep
from .steps import BY_NUMBER, BoardStage, allowed_numbers, board_stage, next_number


class StepRow(NamedTuple):
    """What the deadlines and stages need of a registered step (a tuple: the reminders and the checks read every
    open file's steps, ~15 per file, and model instances cost most of that time)."""

    id: int
    number: int
    date: date


def with_step_rows(files):
    """Attach .step_rows (StepRow, by date, number, id) to each file: 1 query (none for no files)."""
    files = list(files)
    by_file = {f.pk: [] for f in files}
    if by_file:
        rows = (DevelopmentStep.objects.filter(file_id__in=list(by_file)).order_by("date", "number", "id")
                .values_list("file_id", "id", "number", "date"))
        for file_id, *row in rows:
            by_file[file_id].append(StepRow(*row))
    for f in files:
        f.step_rows = by_file[f.pk]
    return files


def open_files(queryset):
    """Open files with their person and organisation and (light) steps: 2 queries."""
    return with_step_rows(queryset.open().select_related("person", "org"))


def annotate(files, on):
    """Attach .stage, .next_step, .deadline, .days_left to each file (1 query for the rule overrides)."""
    rulebook = Rulebook({f.org for f in files}) if files else None
    for f in files:
        done = {s.number for s in f.step_rows}
        f.stage = board_stage(done)
        nxt = next_number(done)
        f.next_step = BY_NUMBER[nxt] if nxt else None
        f.deadline = logic.deadline(f, f.step_rows, logic.Settings(rulebook, f.org))
        f.days_left = f.deadline.days_left(on) if f.deadline else None
    return files


def urgency(f):
    return (f.deadline is None, f.deadline.due_on if f.deadline else None, f.person.name, f.pk)


def board(files_qs, on):
    files = annotate(open_files(files_qs), on)
    columns = {key: [] for key, _ in BoardStage.CHOICES}
    for f in sorted(files, key=urgency):
        columns[f.stage].append(f)
    return [(key, label, columns[key]) for key, label in BoardStage.CHOICES]


def people_without_file(user, org, limit=50):
    """Applicants, and 群众 with an application date, in the subtree who have no open file yet (to open one).
    A 群众 whose file was withdrawn is not listed again (a new application makes them an applicant first)."""
    withdrawn = DevelopmentFile.objects.filter(state=DevelopmentFile.State.WITHDRAWN).values("person_id")
    wanted = Q(status=Status.APPLICANT) | (Q(status=Status.NON_MEMBER, applied_on__isnull=False)
                                           & ~Q(pk__in=withdrawn))
    return list(Person.objects.visible_to(user).filter(wanted, org__path__startswith=org.path)
                .exclude(development_files__state=DevelopmentFile.State.OPEN)
                .select_related("org").order_by("applied_on", "name", "id")[:limit])


def form_choices(file):
    """Querysets for the step form: party members of the organisation, held meetings of the organisation,
    its subtree or its ancestors since the application, and their admission/confirmation votes."""
    org = file.org
    ancestors = Organisation.ancestor_paths(org.path)
    people = (Person.objects.filter(org__path__startswith=org.path, status__in=PARTY_MEMBER_STATUSES)
              .exclude(pk=file.person_id).order_by("name", "id"))
    meeting_q = Q(org__path__startswith=org.path) | Q(org__path__in=ancestors)
    meetings = (Meeting.objects.filter(meeting_q, status=Meeting.Status.HELD, date__gte=file.applied_on)
                .order_by("-date", "-id"))
    votes = (Vote.objects.filter(meeting__in=meetings.values("pk"), kind__in=[Vote.Kind.ADMISSION,
                                                                                 Vote.Kind.CONFIRMATION])
             .filter(Q(subject_person__isnull=True) | Q(subject_person_id=file.person_id))
             .select_related("meeting").order_by("-meeting__date", "-id"))
    return people, meetings, votes


def file_steps(file):
    return list(DevelopmentStep.objects.filter(file=file)
                .select_related("talker", "contact_1", "contact_2", "sponsor_1", "sponsor_2", "meeting", "vote")
                .order_by("date", "number", "id"))


def allowed(steps):
    return allowed_numbers({s.number for s in steps})


PIPELINE_TRAINEES = (Status.ACTIVIST, Status.CANDIDATE)


def double_training(user, org):
    """双培养 per organisation of the subtree: activists and 发展对象 (total, backbone teachers among them —
    把骨干教师培养成党员) and party members (total, backbone teachers — 把党员培养成骨干教师), with the names of
    the backbone teachers. Three queries whatever the size: organisations, counts, names."""
    people = Person.objects.visible_to(user).filter(org__path__startswith=org.path,
                                                    status__in=[*PIPELINE_TRAINEES, *PARTY_MEMBER_STATUSES])
    trainee, member = Q(status__in=PIPELINE_TRAINEES), Q(status__in=PARTY_MEMBER_STATUSES)
    counts = {row["org_id"]: row for row in people.values("org_id").annotate(
        trainees=Count("pk", filter=trainee), trainees_backbone=Count("pk", filter=trainee & Q(is_backbone=True)),
        members=Count("pk", filter=member), members_backbone=Count("pk", filter=member & Q(is_backbone=True)))}
    names = {}
    for person in people.filter(is_backbone=True).only("id", "name", "org_id", "status").order_by("name", "id"):
        key = "trainee_people" if person.status in PIPELINE_TRAINEES else "member_people"
        names.setdefault(person.org_id, {"trainee_people": [], "member_people": []})[key].append(person)
    rows = []
    for o in Organisation.objects.filter(path__startswith=org.path, pk__in=list(counts)).order_by("path"):
        row = {"org": o, **counts[o.pk], **names.get(o.pk, {"trainee_people": [], "member_people": []})}
        row["trainee_share"] = _share(row["trainees_backbone"], row["trainees"])
        row["member_share"] = _share(row["members_backbone"], row["members"])
        rows.append(row)
    keys = ("trainees", "trainees_backbone", "members", "members_backbone")
    total = {k: sum(r[k] for r in rows) for k in keys}
    total["trainee_share"] = _share(total["trainees_backbone"], total["trainees"])
    total["member_share"] = _share(total["members_backbone"], total["members"])
    return rows, total


def _share(part, whole):
    return round(100 * part / whole) if whole else None


# The steps whose date the year-end report counts: 递交入党申请书, 确定入党积极分子, 确定发展对象,
# 上级党委审批 (接收预备党员), 上级党委审批 (转正).
SUMMARY_STEPS = {1: "applications", 3: "activists", 7: "candidates", 17: "admitted", 24: "confirmed"}


def summary(org, start, end):
    """发展党员 figures for files of `org`'s subtree, events dated start..end (inclusive). Two queries.

    applications (step ①), activists (③), candidates (⑦ 发展对象), admitted (⑰ approval as 预备党员),
    confirmed (㉔ approval of 转正): files with that step dated in the period; extended / cancelled / withdrawn:
    files whose 延长预备期 decision, 取消预备党员资格 or 撤回/终止 is dated in the period; open_at_end: files
    opened on or before `end` and not closed by then (still open, or closed after `end` — a cancelled or
    withdrawn file counts as closed on its date; a completed file stays counted only while still open).
    """
    rows = (DevelopmentStep.objects.filter(file__org__path__startswith=org.path, number__in=list(SUMMARY_STEPS),
                                           date__gte=start, date__lte=end)
            .values("number").annotate(n=Count("file", distinct=True)).order_by())
    result = dict.fromkeys(SUMMARY_STEPS.values(), 0)
    for row in rows:
        result[SUMMARY_STEPS[row["number"]]] = row["n"]
    files = DevelopmentFile.objects.filter(org__path__startswith=org.path)
    result.update(files.aggregate(
        extended=Count("id", filter=Q(extension_decided_on__gte=start, extension_decided_on__lte=end)),
        cancelled=Count("id", filter=Q(cancelled_on__gte=start, cancelled_on__lte=end)),
        withdrawn=Count("id", filter=Q(withdrawn_on__gte=start, withdrawn_on__lte=end))))
    return {"org": org, "start": start, "end": end, **result}
