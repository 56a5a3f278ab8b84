"""Writes of the review app (民主评议党员). Every function validates, raises ValidationError with a Chinese
message (changing nothing) and writes its audit row in the same transaction.

Anonymity: a peer ballot flips the voter's `Voter.voted` flag (conditional UPDATE: once only) and adds one to
counters in `Tally`; a staff ballot flips its `StaffCode.used` flag the same way. No row records which ballot
gave which grade, and the audit row of a ballot names the voter but never the grades.
"""

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dangjian.compliance.engine import Rulebook
from dangjian.compliance.rulebook import rules_by_id
from dangjian.core import audit, scoping
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person, Status
from dangjian.orgs.models import BRANCH_KINDS

from . import rules
from .models import Comment, FollowUp, Grade, Round, Satisfaction, StaffCode, Subject, Tally, Voter

COMMENT_MAX = 500
SELF_REVIEW_MAX = 5000
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O/1/I
CODE_LENGTH = 12                                     # 60 random bits
CODES_MAX = 500
FIRST_YEAR = 2000


def _require_write(actor, org):
    if not scoping.can_write(actor, org):
        raise PermissionDenied("您没有管理该党支部民主评议的权限")


def _label(round_):
    return f"{round_.org.name} {round_.year}年度民主评议党员"


def _round_snapshot(r):
    return {"org": r.org.name, "year": r.year, "status": r.get_status_display(),
            "starts_on": r.starts_on.isoformat() if r.starts_on else None,
            "ends_on": r.ends_on.isoformat() if r.ends_on else None, "note": r.note}


def _check_dates(year, starts_on, ends_on):
    errors = {}
    today = timezone.localdate()
    if year is None or not FIRST_YEAR <= year <= today.year:
        errors["year"] = f"评议年度须在{FIRST_YEAR}年至{today.year}年之间。"
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = "计划结束日期不能早于开始日期。"
    if errors:
        raise ValidationError(errors)


# --- rounds ---------------------------------------------------------------------------------------


@transaction.atomic
def round_create(*, actor, org, year, starts_on, ends_on, note=""):
    _require_write(actor, org)
    if org.kind not in BRANCH_KINDS or org.is_dissolved:
        raise ValidationError({"org": "民主评议党员以党支部为单位开展，请选择未撤销的党支部。"})
    _check_dates(year, starts_on, ends_on)
    duplicate = ValidationError({"year": ValidationError(f"{org.name}{year}年度已有民主评议，不能重复创建。",
                                                         code="conflict")})
    if Round.objects.filter(org=org, year=year).exists():
        raise duplicate
    try:
        with transaction.atomic():
            r = Round.objects.create(org=org, year=year, starts_on=starts_on, ends_on=ends_on, note=note or "",
                                     created_by=actor)
    except IntegrityError:
        raise duplicate from None
    audit.record(actor=actor, event=audit.Event.CREATE, obj=r, object_repr=_label(r), changes=_round_snapshot(r))
    return r


@transaction.atomic
def round_update(*, actor, round, starts_on, ends_on, note=""):
    _require_write(actor, round.org)
    if round.status == Round.Status.CLOSED:
        raise ValidationError("已结束的评议不能修改。")
    _check_dates(round.year, starts_on, ends_on)
    before = _round_snapshot(round)
    round.starts_on, round.ends_on, round.note = starts_on, ends_on, note or ""
    round.save(update_fields=["starts_on", "ends_on", "note"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=round, object_repr=_label(round),
                 changes=audit.diff(before, _round_snapshot(round)))
    return round


@transaction.atomic
def round_delete(*, actor, round):
    _require_write(actor, round.org)
    if round.status != Round.Status.PREPARING:
        raise ValidationError("评议已启动，不能删除。")
    snapshot = _round_snapshot(round)
    pk = round.pk
    round.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type="review.round", object_id=str(pk),
                 object_repr=f"{snapshot['org']} {snapshot['year']}年度民主评议党员", changes={"deleted": snapshot})


def members_on_roster(org):
    """The 正式党员 and 预备党员 of the branch today (the list a round fixes when it opens)."""
    return (Person.objects.filter(org=org, status__in=PARTY_MEMBER_STATUSES)
            .order_by("name", "id").only("pk", "name", "status"))


def _transition(actor, round_, expected, new, field, on):
    _require_write(actor, round_.org)
    if round_.status != expected:
        raise ValidationError(f"当前状态为“{round_.get_status_display()}”，不能进入“{Round.Status(new).label}”。")
    before = round_.get_status_display()
    round_.status = new
    setattr(round_, field, on or timezone.localdate())
    round_.save(update_fields=["status", field])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=round_, object_repr=_label(round_),
                 changes={"before": {"status": before}, "after": {"status": round_.get_status_display()}})
    return round_


@transaction.atomic
def round_open(*, actor, round, on=None):
    """准备 → 自评互评: fix the list of members under review (and voters), create their tallies."""
    people = list(members_on_roster(round.org))
    if not people:
        raise ValidationError("该党支部没有正式党员或预备党员，不能启动评议。")
    _transition(actor, round, Round.Status.PREPARING, Round.Status.EVALUATING, "opened_on", on)
    subjects = Subject.objects.bulk_create(
        [Subject(round=round, person=p, probationary=p.status == Status.PROBATIONARY) for p in people])
    Tally.objects.bulk_create([Tally(subject=s) for s in subjects])
    Voter.objects.bulk_create([Voter(round=round, person=p) for p in people])
    return round


@transaction.atomic
def round_to_committee(*, actor, round, on=None):
    """自评互评 → 支委评定: evaluation ends (unused staff codes die with it); tallies become visible."""
    return _transition(actor, round, Round.Status.EVALUATING, Round.Status.COMMITTEE, "committee_on", on)


@transaction.atomic
def round_close(*, actor, round, on=None):
    """支委评定 → 已结束: every member reviewed has a final grade and every 不合格 a follow-up."""
    reviewed = round.subjects.filter(exempt=False)
    missing = list(reviewed.filter(final_grade="").values_list("person__name", flat=True)[:10])
    if missing:
        raise ValidationError(f"以下党员尚未评定等次：{'、'.join(missing)}。")
    open_ = list(reviewed.filter(final_grade=Grade.UNQUALIFIED, follow_up__isnull=True)
                 .values_list("person__name", flat=True)[:10])
    if open_:
        raise ValidationError(f"评定为不合格的党员须登记处置（限期改正等）：{'、'.join(open_)}。")
    return _transition(actor, round, Round.Status.COMMITTEE, Round.Status.CLOSED, "closed_on", on)


ADVANCE = {Round.Status.PREPARING: round_open, Round.Status.EVALUATING: round_to_committee,
           Round.Status.COMMITTEE: round_close}


def round_advance(*, actor, round, on=None):
    step = ADVANCE.get(round.status)
    if step is None:
        raise ValidationError("评议已结束。")
    return step(actor=actor, round=round, on=on)


@transaction.atomic
def subject_exempt(*, actor, subject, exempt, reason=""):
    round_ = subject.round
    _require_write(actor, round_.org)
    if round_.status not in (Round.Status.EVALUATING, Round.Status.COMMITTEE):
        raise ValidationError("只有在自评互评或支委评定阶段可以调整参评名单。")
    reason = (reason or "").strip()
    if exempt and not reason:
        raise ValidationError({"reason": "请填写不参加评议的原因（如长期病假、外出学习）。"})
    if subject.final_grade:
        raise ValidationError("该党员已评定等次，不能调整是否参加评议。")
    before = {"exempt": subject.exempt, "exempt_reason": subject.exempt_reason}
    subject.exempt, subject.exempt_reason = bool(exempt), reason if exempt else ""
    subject.proposed_grade = "" if exempt else subject.proposed_grade
    subject.save(update_fields=["exempt", "exempt_reason", "proposed_grade"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=subject, object_repr=str(subject),
                 changes=audit.diff(before, {"exempt": subject.exempt, "exempt_reason": subject.exempt_reason}))
    return subject


# --- self-review and peer ballot (the member's own actions) ----------------------------------------


def own_subject(actor, round_):
    """The actor's own entry in the round, or None."""
    if not getattr(actor, "is_authenticated", False):
        return None
    return round_.subjects.select_related("person").filter(person__user_id=actor.pk).first()


def _require_open(round_):
    if not round_.is_open:
        raise ValidationError(f"本次评议当前为“{round_.get_status_display()}”阶段，不在自评互评期间，不能提交。")


def _require_subject(actor, round_):
    subject = own_subject(actor, round_)
    if subject is None:
        raise PermissionDenied("您不在本次评议的参评名单中")
    if subject.exempt:
        raise ValidationError("您已确定不参加本次评议。")
    return subject


@transaction.atomic
def self_review_submit(*, actor, round, text):
    _require_open(round)
    subject = _require_subject(actor, round)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "请填写自我评价。"})
    if len(text) > SELF_REVIEW_MAX:
        raise ValidationError({"text": f"自我评价不能超过{SELF_REVIEW_MAX}字。"})
    before = bool(subject.self_review)
    subject.self_review, subject.self_review_on = text, timezone.localdate()
    subject.save(update_fields=["self_review", "self_review_on"])
    audit.record(actor=actor, event=audit.Event.UPDATE if before else audit.Event.CREATE, obj=subject,
                 object_type="review.self_review", object_repr=f"自我评价：{subject}",
                 changes={"length": len(text)})
    return subject


def ballot_targets(round_, exclude_person=None):
    """The members a ballot grades: everyone under review except the voter (by name)."""
    qs = round_.subjects.filter(exempt=False).select_related("person").order_by("person__name", "id")
    if exclude_person is not None:
        qs = qs.exclude(person=exclude_person)
    return list(qs)


def _clean_ballot(targets, grades, comments, choices=Grade.values):
    """Every target graded once with a valid grade; comments optional and short. Returns (grades, comments)
    keyed by subject id."""
    grades = {int(k): v for k, v in (grades or {}).items()}
    comments = {int(k): (v or "").strip() for k, v in (comments or {}).items() if (v or "").strip()}
    ids = {s.pk for s in targets}
    if set(grades) - ids or set(comments) - ids:
        raise ValidationError("评议表中有不在本次评议名单中的人员，请刷新页面后重新填写。")
    missing = [s.person.name for s in targets if s.pk not in grades]
    if missing:
        raise ValidationError({"grades": f"请为每位党员选择评议等次（未选：{'、'.join(missing[:10])}）。"})
    if any(v not in choices for v in grades.values()):
        raise ValidationError({"grades": "评议等次须为优秀、合格、基本合格或不合格。"})
    if any(len(v) > COMMENT_MAX for v in comments.values()):
        raise ValidationError({"comments": f"每条意见建议不能超过{COMMENT_MAX}字。"})
    return grades, comments


def _count(grades, prefix):
    """Add one to the tally counter of each graded subject: one UPDATE per grade used (≤ 4)."""
    by_grade = {}
    for subject_id, grade in grades.items():
        by_grade.setdefault(grade, []).append(subject_id)
    for grade, ids in sorted(by_grade.items()):
        field = f"{prefix}_{grade}"
        Tally.objects.filter(subject_id__in=ids).update(**{field: F(field) + 1})


def _add_comments(round_, source, comments, branch_comment=""):
    rows = [Comment(round=round_, subject_id=sid, source=source, text=text) for sid, text in comments.items()]
    if branch_comment:
        rows.append(Comment(round=round_, subject=None, source=source, text=branch_comment))
    Comment.objects.bulk_create(rows)


@transaction.atomic
def peer_ballot_submit(*, actor, round, grades, comments=None):
    """One member's peer evaluation of every other member under review, once."""
    _require_open(round)
    subject = _require_subject(actor, round)
    targets = ballot_targets(round, exclude_person=subject.person)
    if not targets:
        raise ValidationError("本次评议没有其他参评党员可供互评。")
    grades, comments = _clean_ballot(targets, grades, comments)
    flipped = Voter.objects.filter(round=round, person=subject.person, voted=False).update(voted=True)
    if flipped != 1:
        raise ValidationError("您已提交过互评，每人只能提交一次。")
    _count(grades, "peer")
    _add_comments(round, "peer", comments)
    audit.record(actor=actor, event=audit.Event.CREATE, object_type="review.peer_ballot", object_id=str(round.pk),
                 object_repr=f"党员互评（匿名）：{_label(round)}", changes={"graded": len(grades)})
    return len(grades)


# --- staff codes and staff ballots ---------------------------------------------------------------


def normalise_code(code):
    return "".join(ch for ch in str(code or "").upper() if ch.isalnum())


def code_digest(code):
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def _new_code():
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


@transaction.atomic
def staff_codes_generate(*, actor, round, count):
    """N new one-time codes (returned once; only their digests are stored)."""
    _require_write(actor, round.org)
    if round.status not in (Round.Status.PREPARING, Round.Status.EVALUATING):
        raise ValidationError("评议已进入支委评定或已结束，不能再生成评议码。")
    if not isinstance(count, int) or not 1 <= count <= CODES_MAX:
        raise ValidationError({"count": f"生成数量须在1至{CODES_MAX}之间。"})
    codes = [_new_code() for _ in range(count)]
    StaffCode.objects.bulk_create([StaffCode(round=round, digest=code_digest(c)) for c in codes])
    audit.record(actor=actor, event=audit.Event.CREATE, object_type="review.staff_codes", object_id=str(round.pk),
                 object_repr=f"教职工评议码：{_label(round)}", changes={"count": count})
    return codes


class CodeError(ValidationError):
    pass


def staff_code_round(code):
    """The round a staff code opens, or CodeError with a Chinese message (nothing changed)."""
    if len(normalise_code(code)) != CODE_LENGTH:
        raise CodeError({"code": "评议码无效，请核对后重新输入。"})
    row = StaffCode.objects.select_related("round__org").filter(digest=code_digest(code)).first()
    if row is None:
        raise CodeError({"code": "评议码无效，请核对后重新输入。"})
    if row.used:
        raise CodeError({"code": "该评议码已使用，每个评议码只能使用一次。"})
    if not row.round.is_open:
        raise CodeError({"code": "该评议码对应的评议不在进行中（未开始或已截止）。"})
    return row.round


@transaction.atomic
def staff_ballot_submit(*, code, grades, comments=None, branch_grade, branch_comment=""):
    """A staff member's evaluation of every member under review and of the branch, with a one-time code."""
    round_ = staff_code_round(code)
    targets = ballot_targets(round_)
    grades, comments = _clean_ballot(targets, grades, comments)
    if branch_grade not in Satisfaction.values:
        raise ValidationError({"branch_grade": "请选择对党支部的整体评价（满意、基本满意、不满意）。"})
    branch_comment = (branch_comment or "").strip()
    if len(branch_comment) > COMMENT_MAX:
        raise ValidationError({"branch_comment": f"意见建议不能超过{COMMENT_MAX}字。"})
    flipped = StaffCode.objects.filter(digest=code_digest(code), used=False, round=round_).update(used=True)
    if flipped != 1:
        raise CodeError({"code": "该评议码已使用，每个评议码只能使用一次。"})
    _count(grades, "staff")
    field = f"staff_{branch_grade}"
    Round.objects.filter(pk=round_.pk).update(**{field: F(field) + 1})
    _add_comments(round_, "staff", comments, branch_comment)
    audit.record(actor=None, username="教职工评议码", event=audit.Event.CREATE, object_type="review.staff_ballot",
                 object_id=str(round_.pk), object_repr=f"教职工评议（匿名）：{_label(round_)}",
                 changes={"graded": len(grades)})
    return round_


# --- the committee's grades and follow-ups ---------------------------------------------------------


def excellent_limit(round_):
    """(enabled, limit, reviewed, share label) of the 优秀 share at the round's branch (rulebook, with overrides)."""
    enabled, params = Rulebook([round_.org]).setting(round_.org, rules.EXCELLENT_SHARE)
    reviewed = round_.subjects.filter(exempt=False).count()
    return enabled, rules.excellent_limit(reviewed, params), reviewed, rules.share_label(params)


@transaction.atomic
def grades_set(*, actor, round, proposed, final):
    """Set the committee's proposed and final grades ({subject id: grade or ""}) of the members reviewed."""
    _require_write(actor, round.org)
    if round.status != Round.Status.COMMITTEE:
        raise ValidationError("只有在支委评定阶段可以评定等次。")
    subjects = {s.pk: s for s in round.subjects.filter(exempt=False).select_related("person", "follow_up")}
    proposed = {int(k): v or "" for k, v in (proposed or {}).items()}
    final = {int(k): v or "" for k, v in (final or {}).items()}
    if (set(proposed) | set(final)) - set(subjects):
        raise ValidationError("名单中有不参加本次评议的人员，请刷新页面后重新填写。")
    allowed = set(Grade.values) | {""}
    if any(v not in allowed for v in [*proposed.values(), *final.values()]):
        raise ValidationError("评定等次须为优秀、合格、基本合格或不合格。")
    after = {sid: final.get(sid, s.final_grade) for sid, s in subjects.items()}
    enabled, limit, reviewed, share = excellent_limit(round)
    excellent = sum(1 for g in after.values() if g == Grade.EXCELLENT)
    if enabled and excellent > limit:
        raise ValidationError({"final": f"评定为优秀的有{excellent}人，超过参评党员{reviewed}人的{share}"
                                        f"（最多{limit}人）。依据：{rules_by_id()[rules.EXCELLENT_SHARE].source}。"
                                        "未保存任何修改。"})
    blocked = [s.person.name for sid, s in subjects.items()
               if s.final_grade == Grade.UNQUALIFIED and after[sid] != Grade.UNQUALIFIED and hasattr(s, "follow_up")]
    if blocked:
        raise ValidationError({"final": f"{'、'.join(blocked)}已登记不合格处置，请先删除处置记录再修改等次。"})
    changes = {}
    for sid, s in subjects.items():
        new_p, new_f = proposed.get(sid, s.proposed_grade), after[sid]
        if (new_p, new_f) != (s.proposed_grade, s.final_grade):
            changes[s.person.name] = {"建议": [s.proposed_grade, new_p], "评定": [s.final_grade, new_f]}
            s.proposed_grade, s.final_grade = new_p, new_f
            s.save(update_fields=["proposed_grade", "final_grade"])
    if changes:
        audit.record(actor=actor, event=audit.Event.UPDATE, obj=round, object_type="review.grades",
                     object_repr=f"评定等次：{_label(round)}", changes=changes)
    return len(changes)


def _follow_up_snapshot(f):
    return {"measure": f.get_measure_display(), "due_on": f.due_on.isoformat() if f.due_on else None,
            "detail": f.detail, "closed_on": f.closed_on.isoformat() if f.closed_on else None, "outcome": f.outcome}


@transaction.atomic
def follow_up_set(*, actor, subject, measure, due_on=None, detail="", closed_on=None, outcome=""):
    """Create or change the 处置 of a member graded 不合格."""
    round_ = subject.round
    _require_write(actor, round_.org)
    if subject.final_grade != Grade.UNQUALIFIED:
        raise ValidationError("只有评定为不合格的党员需要登记处置。")
    errors = {}
    if measure not in FollowUp.Measure.values:
        errors["measure"] = "请选择处置方式。"
    if measure == FollowUp.Measure.CORRECTION and due_on is None:
        errors["due_on"] = "限期改正须填写改正期限。"
    if measure == FollowUp.Measure.OTHER and not (detail or "").strip():
        errors["detail"] = "其他处置须填写处置说明。"
    today = timezone.localdate()
    if closed_on and closed_on > today:
        errors["closed_on"] = "办结日期不能晚于今天。"
    if closed_on and not (outcome or "").strip():
        errors["outcome"] = "办结时请填写办结情况。"
    if errors:
        raise ValidationError(errors)
    existing = FollowUp.objects.filter(subject=subject).first()
    follow = existing or FollowUp(subject=subject, created_by=actor)
    before = _follow_up_snapshot(existing) if existing else {}
    follow.measure, follow.due_on, follow.detail = measure, due_on, (detail or "").strip()
    follow.closed_on, follow.outcome = closed_on, (outcome or "").strip()
    follow.save()
    after = _follow_up_snapshot(follow)
    audit.record(actor=actor, event=audit.Event.UPDATE if existing else audit.Event.CREATE, obj=follow,
                 object_repr=f"不合格党员处置：{subject.person.name}",
                 changes=audit.diff(before, after) if existing else after)
    return follow


@transaction.atomic
def follow_up_delete(*, actor, follow_up):
    _require_write(actor, follow_up.subject.round.org)
    if follow_up.subject.round.status == Round.Status.CLOSED:
        raise ValidationError("评议已结束，处置记录不能删除（可登记办结情况）。")
    snapshot, pk = _follow_up_snapshot(follow_up), follow_up.pk
    name = follow_up.subject.person.name
    follow_up.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type="review.followup", object_id=str(pk),
                 object_repr=f"不合格党员处置：{name}", changes={"deleted": snapshot})
