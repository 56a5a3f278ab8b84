"""Reads for the pipeline screens, reminders and checks: each in a fixed number of queries."""

from django.db.models import Prefetch, Q

from dangjian.compliance.engine import Rulebook
from dangjian.life.models import Meeting, Vote
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person, Status

from . import logic
from .models import DevelopmentFile, DevelopmentStep
from .steps import BY_NUMBER, BoardStage, allowed_numbers, board_stage, next_number


def _step_rows():
    return DevelopmentStep.objects.only("id", "file_id", "number", "date").order_by("date", "number", "id")


def open_files(queryset):
    """Open files with their person and organisation and (light) steps: 2 queries."""
    return list(queryset.open().select_related("person", "org")
                .prefetch_related(Prefetch("steps", queryset=_step_rows(), to_attr="step_rows")))


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
    """Applicants, and 群众 with an application date, in the subtree who have no open file yet (to open one)."""
    wanted = Q(status=Status.APPLICANT) | Q(status=Status.NON_MEMBER, applied_on__isnull=False)
    return list(Person.objects.visible_to(user).filter(wanted, org__path__startswith=org.path)
                .exclude(development_files__state=DevelopmentFile.State.OPEN)
                .select_related("org").order_by("applied_on", "name", "id")[:limit])


def form_choices(file):
    """Querysets for the step form: party members of the organisation, held meetings of the organisation,
    its subtree or its ancestors since the application, and their admission/confirmation votes."""
    org = file.org
    ancestors = [org.path[:end] for end in range(org.steplen, len(org.path), org.steplen)]
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
