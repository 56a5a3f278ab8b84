"""Writes of the life app: meetings, attendance, votes, attachments, QR sign-in, study.

Every function validates, raises ValidationError with a Chinese message (changing nothing),
and writes its audit row in the same transaction.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.core import audit, scoping, uploads
from dangjian.members.models import ENDED_STATUSES, PARTY_MEMBER_STATUSES, Person, Status
from dangjian.orgs.models import BRANCH_KINDS, CommitteePost, OrgKind

from .models import Attachment, Attendance, Meeting, MeetingChange, MeetingType, StudyLog, StudyTask, Vote

# --------------------------------------------------------------------------------------------
# Vote rules: the thresholds, as data, with their source text (DOMAIN §3 and §6).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """value / base compared with num / den: strictly greater ("超过") or at least ("不少于")."""

    num: int
    den: int
    strict: bool

    def met(self, value, base):
        return value * self.den > self.num * base if self.strict else value * self.den >= self.num * base

    def label(self, base_label):
        op = "超过" if self.strict else "不少于"
        frac = {(1, 2): "半数", (4, 5): "五分之四", (2, 3): "三分之二"}.get((self.num, self.den),
                                                                       f"{self.num}/{self.den}")
        return f"{base_label}{op}{frac}"


@dataclass(frozen=True)
class VoteRule:
    quorum: Threshold        # present voters against voters due
    passing: Threshold       # yes votes against `pass_base`
    pass_base: str           # "due" or "present"
    counts_written: bool     # written opinions of absent voters count in the tally
    source: str


HALF = Threshold(1, 2, True)
VOTE_RULES = {
    "admission": VoteRule(HALF, HALF, "due", True,
                          "细则 第二十、二十一条：有表决权的到会人数超过应到会有表决权人数的半数；"
                          "赞成人数超过应到会有表决权的正式党员的半数；因故不能到会的有表决权的正式党员书面意见应统计在票数内"),
    "confirmation": VoteRule(HALF, HALF, "due", True,
                             "细则 第三十三、三十四条（同接收预备党员）：到会超过应到半数；赞成超过应到有表决权正式党员半数"),
    "decision": VoteRule(HALF, HALF, "due", False,
                         "支条 第十一条：有表决权的到会人数须超过应到会有表决权人数的半数；赞成人数超过应到会有表决权党员的半数"),
    "election": VoteRule(Threshold(4, 5, True), HALF, "present", False,
                         "选条 第五条等：有选举权的到会人数超过应到会人数的五分之四；被选举人获得的赞成票超过实到会有选举权人数的一半"),
    "cadre": VoteRule(HALF, HALF, "due", False,
                      "支条 第十一条：到会超过应到半数；赞成超过应到有表决权人数半数"),
    "cadre_school": VoteRule(Threshold(2, 3, False), HALF, "due", False,
                             "校意见 三（五）：讨论决定干部任免事项，须有三分之二以上成员到会；赞成超过应到会成员半数"),
    "principal_office": VoteRule(HALF, HALF, "due", False,
                                 "校意见 三（六）：校长办公会议须有半数以上行政班子成员到会；赞成超过应到会成员半数"),
}


def vote_rule_key(kind, meeting_type):
    if meeting_type == MeetingType.PRINCIPAL_OFFICE:
        return "principal_office"
    if kind == Vote.Kind.CADRE and meeting_type == MeetingType.SCHOOL_PARTY:
        return "cadre_school"
    return str(kind)


@dataclass(frozen=True)
class VoteOutcome:
    quorum_met: bool
    passed: bool
    rule_note: str


def evaluate_vote(*, kind, meeting_type, due, present, yes, no, abstain, written_yes=0, written_no=0):
    """Check a tally and compute quorum and outcome; raise ValidationError for an impossible tally."""
    errors = {}
    for name, value in dict(yes=yes, no=no, abstain=abstain, written_yes=written_yes, written_no=written_no).items():
        if value is None or value < 0:
            errors[name] = "票数须为不小于0的整数。"
    if errors:
        raise ValidationError(errors)
    rule = VOTE_RULES[vote_rule_key(kind, meeting_type)]
    if due <= 0:
        raise ValidationError("本会议没有应到会的有表决权人员，不能表决。")
    if present > due:
        raise ValidationError({"voters_present": f"实到有表决权人数（{present}）不能超过应到人数（{due}）。"})
    if yes + no + abstain > present:
        raise ValidationError({"yes": f"赞成、反对、弃权之和（{yes + no + abstain}）不能超过实到有表决权人数（{present}）。"})
    if (written_yes or written_no) and not rule.counts_written:
        raise ValidationError({"written_yes": "此类表决不计书面意见。"})
    if written_yes + written_no > due - present:
        raise ValidationError({"written_yes": f"书面意见数（{written_yes + written_no}）不能超过未到会的有表决权人数"
                                              f"（{due - present}）。"})
    quorum_met = rule.quorum.met(present, due)
    base = due if rule.pass_base == "due" else present
    yes_total = yes + (written_yes if rule.counts_written else 0)
    passed = quorum_met and rule.passing.met(yes_total, base)
    note = (f"应到{due}人，实到{present}人，{rule.quorum.label('实到人数须')}应到人数："
            f"{'达到' if quorum_met else '未达到'}；赞成{yes_total}票，"
            f"{rule.passing.label('须' + ('应到' if rule.pass_base == 'due' else '实到') + '人数的')}："
            f"{'通过' if passed else '未通过'}。依据：{rule.source}")
    return VoteOutcome(quorum_met, passed, note[:200])


# --------------------------------------------------------------------------------------------
# Who is expected at a meeting (history-aware)
# --------------------------------------------------------------------------------------------

MEMBER_TYPES = {MeetingType.ASSEMBLY, MeetingType.GROUP, MeetingType.LECTURE, MeetingType.THEME_DAY,
                MeetingType.LIFE_MEETING, MeetingType.EVALUATION, MeetingType.CENTRAL_GROUP,
                MeetingType.DISCUSSION, MeetingType.OTHER}
COMMITTEE_TYPES = {MeetingType.COMMITTEE, MeetingType.UPPER_COMMITTEE, MeetingType.SCHOOL_PARTY}
SCHOOL_TYPES = {MeetingType.SCHOOL_PARTY, MeetingType.PRINCIPAL_OFFICE}


def _party_member_on(d, prefix=""):
    """People who were party members (正式 or 预备) on date d, judged from the dates they carry."""
    p = prefix
    joined = Q(**{f"{p}joined_on__isnull": True}) | Q(**{f"{p}joined_on__lte": d})
    now_member = Q(**{f"{p}status__in": PARTY_MEMBER_STATUSES})
    left_later = Q(**{f"{p}status__in": ENDED_STATUSES | {Status.SUSPENDED}, f"{p}status_since__gt": d,
                      f"{p}joined_on__isnull": False})
    return joined & (now_member | left_later)


def _members_on(org, d):
    """People whose 组织关系 was in `org` (a branch) or its subtree (higher organisations) on date d."""
    from dangjian.members.models import OrgMembership

    if org.kind == OrgKind.GROUP:
        return Person.objects.none()
    where = Q(org=org) if org.kind in BRANCH_KINDS else Q(org__path__startswith=org.path)
    active = OrgMembership.objects.filter(where, started_on__lte=d).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=d))
    return Person.objects.filter(pk__in=active.values("person_id"))


def expected_people(org, meeting_type, d, participants=()):
    """The people expected at a meeting of `meeting_type` held by `org` on date `d` (a list, by name)."""
    meeting_type = MeetingType(meeting_type)
    if meeting_type == MeetingType.TALK:
        return list(participants)
    if meeting_type in COMMITTEE_TYPES:
        holders = CommitteePost.objects.filter(org=org, post__in=CommitteePost.COMMITTEE_POSTS, started_on__lte=d).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=d))
        return list(Person.objects.filter(pk__in=holders.values("person_id")).order_by("name", "id"))
    if org.kind == OrgKind.GROUP:
        parent = type(org).objects.get_parent(org)
        qs = _members_on(parent, d).filter(group=org).filter(_party_member_on(d))
    elif meeting_type == MeetingType.PRINCIPAL_OFFICE:
        qs = _members_on(org, d).filter(is_administrative=True)
    else:
        qs = _members_on(org, d).filter(_party_member_on(d))
    return list(qs.order_by("name", "id"))


def has_vote(person, d):
    """正式党员 on date d and not under 留党察看 (选条 5; 细则)."""
    if person.under_party_probation:
        return False
    if person.status == Status.FULL:
        return person.full_member_on is None or person.full_member_on <= d
    if person.status in ENDED_STATUSES | {Status.SUSPENDED} and person.status_since and person.status_since > d:
        return person.full_member_on is not None and person.full_member_on <= d
    return False


# --------------------------------------------------------------------------------------------
# Meetings
# --------------------------------------------------------------------------------------------

MEETING_FIELDS = ["type", "other_type", "theme", "date", "start_time", "end_time", "place", "host", "recorder",
                  "lecturer", "lecturer_name", "by_secretary", "observers", "agenda", "minutes", "decisions",
                  "major_decision", "cadre_appointment", "major_project", "large_funds"]
MEETING_LABELS = {f: str(Meeting._meta.get_field(f).verbose_name) for f in MEETING_FIELDS} | {
    "status": "状态", "org": "召开组织"}
THREE_MAJOR = ["major_decision", "cadre_appointment", "major_project", "large_funds"]


def _require_write(actor, org):
    if not scoping.can_write(actor, org):
        raise PermissionDenied("您没有在该组织记录会议的权限")


def snapshot(meeting):
    data = {}
    for f in MEETING_FIELDS:
        value = getattr(meeting, f)
        if f in ("host", "recorder", "lecturer"):
            value = value.name if value else None
        elif f == "type":
            value = meeting.get_type_display()
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        data[f] = value
    data["status"] = meeting.get_status_display()
    return data


def is_secretary(person, org, d):
    return CommitteePost.objects.filter(person=person, org=org, post=CommitteePost.Post.SECRETARY,
                                        started_on__lte=d).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=d)).exists()


def _subtree_people_ids(org, ids):
    return set(Person.objects.filter(pk__in=ids, org__path__startswith=org.path).values_list("pk", flat=True))


def _validate(meeting, *, held, participants, today=None, now=None):
    errors = {}
    today = today or timezone.localdate()
    now = now or timezone.localtime()
    if not (meeting.theme or "").strip():
        errors["theme"] = "请填写会议主题。"
    if meeting.type == MeetingType.OTHER and not meeting.other_type.strip():
        errors["other_type"] = "“其他”类型须填写会议类型名称。"
    if meeting.type == MeetingType.GROUP and meeting.org.kind != OrgKind.GROUP:
        errors["type"] = "党小组会须由党小组召开。"
    if meeting.type in COMMITTEE_TYPES and meeting.org.kind == OrgKind.GROUP:
        errors["type"] = "党小组没有委员会，不能召开此类会议。"
    if meeting.start_time and meeting.end_time and meeting.end_time <= meeting.start_time:
        errors["end_time"] = "结束时间须晚于开始时间。"
    if held:
        if meeting.date > today:
            errors["date"] = "会议日期在今天之后，不能登记为已召开。"
        elif meeting.date == today and meeting.start_time and meeting.start_time > now.time():
            errors["start_time"] = "会议尚未开始，不能登记为已召开。"
    if meeting.org.founded_on and meeting.date < meeting.org.founded_on:
        errors["date"] = "会议日期早于该组织的成立日期。"
    ids = [p.pk for p in [meeting.host, meeting.recorder, meeting.lecturer] if p is not None]
    ids += [p.pk for p in participants]
    allowed = _subtree_people_ids(meeting.org, ids)
    for field in ("host", "recorder", "lecturer"):
        person = getattr(meeting, field)
        if person is not None and person.pk not in allowed:
            errors[field] = f"{MEETING_LABELS[field]}须是本组织（含下级）的人员。"
    if meeting.type == MeetingType.TALK:
        if len({p.pk for p in participants}) != 2:
            errors["participants"] = "谈心谈话须选择两名不同的谈话人员。"
        elif any(p.pk not in allowed for p in participants):
            errors["participants"] = "谈话人员须是本组织（含下级）的人员。"
    if meeting.type not in SCHOOL_TYPES and any(getattr(meeting, f) for f in THREE_MAJOR):
        errors["major_decision"] = "“三重一大”事项只适用于学校党组织会议和校长办公会议。"
    if meeting.type != MeetingType.LECTURE and (meeting.lecturer or meeting.lecturer_name or meeting.by_secretary):
        errors["lecturer"] = "授课人和“书记讲党课”只适用于党课。"
    if errors:
        raise ValidationError(errors)


def _sync_attendance(meeting, participants=()):
    """Make the attendance rows match the expected list for the meeting's org, type and date; keep what
    was recorded for people still expected."""
    expected = expected_people(meeting.org, meeting.type, meeting.date, participants)
    wanted = {p.pk for p in expected}
    existing = set(meeting.attendance.values_list("person_id", flat=True))
    meeting.attendance.exclude(person_id__in=wanted).delete()
    Attendance.objects.bulk_create([Attendance(meeting=meeting, person_id=pk) for pk in wanted - existing])
    return len(wanted)


def _apply(meeting, fields):
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"unknown meeting fields: {unknown}")
    for key, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(meeting, key, value)
    if meeting.type != MeetingType.OTHER:
        meeting.other_type = ""


def _derive(meeting):
    """书记讲党课: set when the lecturer holds the 书记 post of the organisation on the meeting date."""
    if meeting.type == MeetingType.LECTURE and meeting.lecturer is not None and not meeting.by_secretary:
        meeting.by_secretary = is_secretary(meeting.lecturer, meeting.org, meeting.date)


def _create(actor, org, status, participants, fields):
    _require_write(actor, org)
    if org.dissolved_on is not None:
        raise ValidationError({"org": "该组织已撤销，不能再召开会议。"})
    meeting = Meeting(org=org, status=status, created_by=actor if actor and actor.is_authenticated else None)
    _apply(meeting, fields)
    _validate(meeting, held=status == Meeting.Status.HELD, participants=participants)
    _derive(meeting)
    meeting.save()
    count = _sync_attendance(meeting, participants)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=meeting,
                 changes={"after": snapshot(meeting), "expected": count})
    return meeting


@transaction.atomic
def meeting_plan(*, actor, org, participants=(), **fields):
    """Plan a meeting: its expected attendees see it in their to-do list."""
    return _create(actor, org, Meeting.Status.PLANNED, list(participants), fields)


def _lock(meeting):
    return Meeting.objects.select_for_update(of=("self",)).select_related(
        "org", "host", "recorder", "lecturer").get(pk=meeting.pk)


def _participants(meeting):
    return list(Person.objects.filter(attendance__meeting=meeting)) if meeting.type == MeetingType.TALK else []


def _update(actor, meeting, fields, participants, *, status, note, event_note):
    meeting = _lock(meeting)
    _require_write(actor, meeting.org)
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError("已取消的会议不能修改。")
    before = snapshot(meeting)
    old_key = (meeting.type, meeting.date)
    _apply(meeting, fields)
    meeting.status = status
    participants = _participants(meeting) if participants is None else list(participants)
    _validate(meeting, held=status == Meeting.Status.HELD, participants=participants)
    _derive(meeting)
    meeting.save()
    if (meeting.type, meeting.date) != old_key or meeting.type == MeetingType.TALK:
        _sync_attendance(meeting, participants)
    change = audit.diff(before, snapshot(meeting))
    if change["after"] and before["status"] == Meeting.Status.HELD.label:
        MeetingChange.objects.create(meeting=meeting, actor=actor if actor and actor.is_authenticated else None,
                                     note=note[:200], **change)
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=meeting, changes={**change, "note": event_note or note})
    return meeting


@transaction.atomic
def meeting_record(*, actor, org=None, meeting=None, participants=None, **fields):
    """Record a held meeting: a new record for `org`, or a planned `meeting` now held."""
    if meeting is None:
        return _create(actor, org, Meeting.Status.HELD, list(participants or []), fields)
    if meeting.status != Meeting.Status.PLANNED:
        raise ValidationError("只有计划中的会议可以登记为已召开。")
    return _update(actor, meeting, fields, participants, status=Meeting.Status.HELD, note="",
                   event_note="登记为已召开")


@transaction.atomic
def meeting_update(*, actor, meeting, participants=None, note="", **fields):
    """Edit a meeting. Edits of a held meeting keep their history (before/after) on the record."""
    current = Meeting.objects.get(pk=meeting.pk)
    if current.status == Meeting.Status.HELD and not note.strip():
        raise ValidationError({"note": "修改已召开会议的记录须填写修改说明。"})
    return _update(actor, meeting, fields, participants, status=current.status, note=note.strip(), event_note="")


@transaction.atomic
def meeting_cancel(*, actor, meeting, reason=""):
    meeting = _lock(meeting)
    _require_write(actor, meeting.org)
    if meeting.status != Meeting.Status.PLANNED:
        raise ValidationError("只有计划中的会议可以取消。")
    meeting.status = Meeting.Status.CANCELLED
    meeting.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=meeting,
                 changes={"before": {"status": "计划"}, "after": {"status": "已取消"}, "reason": reason})
    return meeting


# --------------------------------------------------------------------------------------------
# Attendance
# --------------------------------------------------------------------------------------------


def _attendance_values(row):
    return {"status": row.get_status_display(), "leave_reason": row.leave_reason,
            "leave_approved": row.leave_approved, "briefed_on": row.briefed_on.isoformat() if row.briefed_on else None}


def _set_one(row, meeting, *, status, leave_reason="", leave_approved=False, briefed_on=None):
    status = Attendance.Status(status)
    leave_reason = (leave_reason or "").strip()
    if status != Attendance.Status.LEAVE:
        leave_reason, leave_approved = "", False
    elif not leave_reason:
        raise ValidationError({"leave_reason": f"{row.person.name}：请假须填写事由。"})
    if status == Attendance.Status.PRESENT:
        briefed_on = None
    if briefed_on is not None:
        if briefed_on < meeting.date:
            raise ValidationError({"briefed_on": f"{row.person.name}：补课日期不能早于会议日期。"})
        if briefed_on > timezone.localdate():
            raise ValidationError({"briefed_on": f"{row.person.name}：补课日期不能晚于今天。"})
    before = _attendance_values(row)
    row.status, row.leave_reason, row.leave_approved, row.briefed_on = status, leave_reason, leave_approved, briefed_on
    after = _attendance_values(row)
    if before != after:
        row.save(update_fields=["status", "leave_reason", "leave_approved", "briefed_on"])
    return audit.diff(before, after)


@transaction.atomic
def attendance_set(*, actor, meeting, entries):
    """Set attendance: entries = [{"person": Person or id, "status", "leave_reason", "leave_approved", "briefed_on"}].
    Only people on the expected list; a planned meeting's attendance is not recorded yet except by sign-in."""
    meeting = _lock(meeting)
    _require_write(actor, meeting.org)
    if meeting.status != Meeting.Status.HELD:
        raise ValidationError("会议登记为已召开后才能登记出席情况。")
    rows = {row.person_id: row for row in meeting.attendance.select_related("person").select_for_update(of=("self",))}
    changes = {}
    for entry in entries:
        data = dict(entry)
        person = data.pop("person")
        pk = getattr(person, "pk", person)
        row = rows.get(pk)
        if row is None:
            raise ValidationError({"person": "该人员不在本次会议的应到名单中，不能登记出席情况。"})
        diff = _set_one(row, meeting, **data)
        if diff["after"]:
            changes[row.person.name] = diff
    if changes:
        audit.record(actor=actor, event=audit.Event.UPDATE, obj=meeting, object_repr=f"出席情况：{meeting}",
                     changes={"attendance": changes})
    return changes


# --------------------------------------------------------------------------------------------
# Votes
# --------------------------------------------------------------------------------------------


def voters(meeting):
    """(due, present) voters from the attendance list."""
    rows = list(meeting.attendance.select_related("person"))
    if meeting.type == MeetingType.PRINCIPAL_OFFICE:
        due = rows
    else:
        due = [r for r in rows if has_vote(r.person, meeting.date)]
    return len(due), sum(1 for r in due if r.status == Attendance.Status.PRESENT)


@transaction.atomic
def vote_record(*, actor, meeting, kind, subject, yes, no, abstain, written_yes=0, written_no=0,
                subject_person=None):
    meeting = _lock(meeting)
    _require_write(actor, meeting.org)
    if meeting.status != Meeting.Status.HELD:
        raise ValidationError("会议登记为已召开后才能记录表决。")
    if not (subject or "").strip():
        raise ValidationError({"subject": "请填写表决事项。"})
    if kind == Vote.Kind.CADRE and meeting.type not in COMMITTEE_TYPES | SCHOOL_TYPES:
        raise ValidationError({"kind": "干部任免事项应在委员会会议、学校党组织会议或校长办公会议上表决。"})
    if subject_person is not None and not _subtree_people_ids(meeting.org, [subject_person.pk]):
        raise ValidationError({"subject_person": "涉及人员须是本组织（含下级）的人员。"})
    due, present = voters(meeting)
    outcome = evaluate_vote(kind=kind, meeting_type=meeting.type, due=due, present=present, yes=yes, no=no,
                            abstain=abstain, written_yes=written_yes, written_no=written_no)
    vote = Vote.objects.create(meeting=meeting, kind=kind, subject=subject.strip(), subject_person=subject_person,
                               voters_due=due, voters_present=present, yes=yes, no=no, abstain=abstain,
                               written_yes=written_yes, written_no=written_no, quorum_met=outcome.quorum_met,
                               passed=outcome.passed, rule_note=outcome.rule_note)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=vote, object_repr=f"表决：{vote.subject}",
                 changes={"meeting": meeting.pk, "due": due, "present": present, "yes": yes, "no": no,
                          "abstain": abstain, "written_yes": written_yes, "written_no": written_no,
                          "passed": outcome.passed, "quorum_met": outcome.quorum_met})
    return vote


# --------------------------------------------------------------------------------------------
# Files (attachments and study evidence)
# --------------------------------------------------------------------------------------------

@transaction.atomic
def attachment_add(*, actor, meeting, kind, upload):
    meeting = _lock(meeting)
    _require_write(actor, meeting.org)
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError("已取消的会议不能上传附件。")
    kind = Attachment.Kind(kind)
    content_type, ext = uploads.check_upload(upload)
    attachment = Attachment(meeting=meeting, kind=kind, original_name=uploads.display_name(upload, ext),
                            content_type=content_type, size=upload.size,
                            uploaded_by=actor if actor and actor.is_authenticated else None)
    stored = uploads.stored_file(upload, ext)
    attachment.file.save(stored.name, stored, save=False)
    attachment.save()
    audit.record(actor=actor, event=audit.Event.CREATE, obj=attachment,
                 object_repr=f"附件：{attachment.original_name}",
                 changes={"meeting": meeting.pk, "kind": kind.label, "size": attachment.size})
    return attachment


@transaction.atomic
def attachment_remove(*, actor, attachment):
    meeting = _lock(attachment.meeting)
    _require_write(actor, meeting.org)
    pk, name, file_name = attachment.pk, attachment.original_name, attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(file_name))
    audit.record(actor=actor, event=audit.Event.DELETE, object_type="life.attachment", object_id=str(pk),
                 object_repr=f"附件：{name}", changes={"meeting": meeting.pk})


# --------------------------------------------------------------------------------------------
# QR sign-in
# --------------------------------------------------------------------------------------------

SIGNIN_SALT = "dangjian.life.signin"
SIGNIN_EARLY = timedelta(minutes=30)
SIGNIN_LATE = timedelta(minutes=30)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def signin_window(meeting):
    """(opens, closes) as aware datetimes: 30 minutes before the start (or the start of the day)
    until 30 minutes after the end (or the end of the day)."""
    tz = timezone.get_current_timezone()
    day_start = datetime.combine(meeting.date, time.min, tzinfo=tz)
    opens = datetime.combine(meeting.date, meeting.start_time, tzinfo=tz) - SIGNIN_EARLY if meeting.start_time \
        else day_start
    if meeting.end_time:
        closes = datetime.combine(meeting.date, meeting.end_time, tzinfo=tz) + SIGNIN_LATE
    else:
        closes = day_start + timedelta(days=1)
    return opens, closes


def signin_token(meeting):
    """A signed token carrying the meeting id and its expiry (epoch seconds)."""
    _, closes = signin_window(meeting)
    return signing.TimestampSigner(salt=SIGNIN_SALT).sign(f"{meeting.pk}.{int(closes.timestamp())}")


def signin_code(meeting):
    """A 6-character short code derived from the meeting id (HMAC with the secret key)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{SIGNIN_SALT}:{meeting.pk}".encode(), hashlib.sha256).digest()
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in digest[:6])


class SignInError(Exception):
    """A sign-in that cannot be accepted; `title` and `message` are shown to the member."""

    def __init__(self, title, message, meeting=None):
        super().__init__(message)
        self.title, self.message, self.meeting = title, message, meeting


def read_token(token):
    """The meeting id and expiry in a token, or SignInError for a malformed or tampered one."""
    try:
        value = signing.TimestampSigner(salt=SIGNIN_SALT).unsign(token)
        meeting_id, expires = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        raise SignInError("签到码无效", "该签到二维码无效或已被篡改，请重新扫描会议现场的二维码。")
    return meeting_id, expires


def _check_window(meeting, now, expires=None):
    opens, closes = signin_window(meeting)
    if meeting.status == Meeting.Status.CANCELLED:
        raise SignInError("会议已取消", "该会议已取消，无需签到。", meeting)
    if now < opens:
        raise SignInError("签到尚未开始", f"签到将于 {timezone.localtime(opens):%Y-%m-%d %H:%M} 开始。", meeting)
    if now > closes or (expires is not None and now.timestamp() > expires):
        raise SignInError("签到已结束", "该会议的签到时间已过，请联系会议记录人补登。", meeting)


def _signin_row(actor, meeting):
    person = Person.objects.filter(user_id=actor.pk).first() if actor and actor.is_authenticated else None
    row = None
    if person is not None:
        row = Attendance.objects.select_for_update(of=("self",)).filter(meeting=meeting, person=person).first()
    if row is None:
        raise SignInError("不在应到名单中", "您不在本次会议的应到人员名单中，不能签到。如有疑问请联系会议组织者。", meeting)
    return row


@transaction.atomic
def meeting_signin(*, actor, token=None, meeting=None, now=None):
    """Mark the actor's linked person present at the meeting the token names (once).
    Returns (meeting, already_signed_in)."""
    now = now or timezone.now()
    expires = None
    if meeting is None:
        meeting_id, expires = read_token(token)
        meeting = Meeting.objects.select_related("org").filter(pk=meeting_id).first()
        if meeting is None:
            raise SignInError("签到码无效", "该签到二维码对应的会议不存在。")
    meeting = _lock(meeting)
    _check_window(meeting, now, expires)
    row = _signin_row(actor, meeting)
    if row.signed_in_at is not None:
        return meeting, True
    row.status = Attendance.Status.PRESENT
    row.signed_in_at = now
    row.leave_reason, row.leave_approved = "", False
    row.save(update_fields=["status", "signed_in_at", "leave_reason", "leave_approved"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=meeting, object_repr=f"扫码签到：{meeting}",
                 changes={"signin": row.person.name, "at": now.isoformat()})
    return meeting, False


def meeting_for_code(actor, code, now=None):
    """The meeting (where the actor is expected, around today) whose short code is `code`, else SignInError."""
    now = now or timezone.now()
    code = (code or "").strip().upper()
    if len(code) != 6:
        raise SignInError("签到码无效", "请输入会议现场显示的 6 位签到码。")
    today = timezone.localtime(now).date()
    candidates = Meeting.objects.filter(attendance__person__user_id=actor.pk, date__gte=today - timedelta(days=1),
                                        date__lte=today + timedelta(days=1)).exclude(status=Meeting.Status.CANCELLED)
    for meeting in candidates:
        if hmac.compare_digest(signin_code(meeting), code):
            return meeting
    raise SignInError("签到码无效", "签到码不正确，或您不在该会议的应到名单中。")


# --------------------------------------------------------------------------------------------
# Study
# --------------------------------------------------------------------------------------------

TASK_FIELDS = ["title", "description", "starts_on", "due_on", "expected_hours"]


def _task_snapshot(task):
    return {f: (str(getattr(task, f)) if getattr(task, f) is not None else None) for f in TASK_FIELDS}


def _validate_task(task):
    errors = {}
    if not task.title.strip():
        errors["title"] = "请填写学习任务名称。"
    if task.starts_on and task.due_on and task.due_on < task.starts_on:
        errors["due_on"] = "完成期限不能早于开始日期。"
    if task.expected_hours is not None and task.expected_hours <= 0:
        errors["expected_hours"] = "要求学时须大于0。"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def study_task_create(*, actor, org, **fields):
    if not scoping.can_write(actor, org):
        raise PermissionDenied("您没有向该组织下达学习任务的权限")
    task = StudyTask(org=org, created_by=actor if actor and actor.is_authenticated else None, **fields)
    task.title = task.title.strip()
    _validate_task(task)
    task.save()
    audit.record(actor=actor, event=audit.Event.CREATE, obj=task, changes={"after": _task_snapshot(task)})
    return task


@transaction.atomic
def study_task_update(*, actor, task, **fields):
    task = StudyTask.objects.select_for_update(of=("self",)).select_related("org").get(pk=task.pk)
    if not scoping.can_write(actor, task.org):
        raise PermissionDenied("您没有修改该学习任务的权限")
    before = _task_snapshot(task)
    for key, value in fields.items():
        if key not in TASK_FIELDS:
            raise TypeError(key)
        setattr(task, key, value.strip() if isinstance(value, str) else value)
    _validate_task(task)
    task.save()
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=task, changes=audit.diff(before, _task_snapshot(task)))
    return task


@transaction.atomic
def study_task_delete(*, actor, task):
    task = StudyTask.objects.select_for_update(of=("self",)).select_related("org").get(pk=task.pk)
    if not scoping.can_write(actor, task.org):
        raise PermissionDenied("您没有删除该学习任务的权限")
    done = task.logs.count()
    if done:
        raise ValidationError(f"已有 {done} 人登记完成该任务，不能删除。")
    pk, title = task.pk, task.title
    task.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type="life.studytask", object_id=str(pk),
                 object_repr=title)


@transaction.atomic
def study_log_add(*, actor, date, hours, notes="", task=None, upload=None, today=None):
    """A member logs study: completion of a task issued to their organisation, or self-directed study."""
    today = today or timezone.localdate()
    person = Person.objects.select_related("org").filter(user_id=actor.pk).first() if actor.is_authenticated else None
    if person is None:
        raise ValidationError("您的账号未关联党员档案，不能登记学习。")
    errors = {}
    if date is None or date > today:
        errors["date"] = "学习日期不能晚于今天。"
    if hours is None or hours <= 0:
        errors["hours"] = "学时须大于0。"
    elif hours > 24:
        errors["hours"] = "单次学时不能超过24。"
    if task is not None:
        if not person.org.path.startswith(task.org.path):
            raise ValidationError({"task": "该学习任务不是下达给您所在组织的。"})
        if date and date < task.starts_on:
            errors["date"] = f"学习日期不能早于任务开始日期（{task.starts_on}）。"
        if StudyLog.objects.filter(task=task, person=person).exists():
            errors["task"] = "您已登记完成该学习任务。"
    if errors:
        raise ValidationError(errors)
    log = StudyLog(person=person, task=task, date=date, hours=hours, notes=(notes or "").strip())
    if upload is not None:
        _, ext = uploads.check_upload(upload)
        stored = uploads.stored_file(upload, ext)
        log.attachment.save(stored.name, stored, save=False)
    log.save()
    audit.record(actor=actor, event=audit.Event.CREATE, obj=log,
                 object_repr=f"学习记录：{task.title if task else '自主学习'}",
                 changes={"person": person.name, "task": task.pk if task else None, "date": date.isoformat(),
                          "hours": str(hours)})
    return log
