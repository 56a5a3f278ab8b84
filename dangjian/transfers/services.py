"""Writes of the transfers app: 组织关系转接 (out, in, within the district), 失联 records and status decisions.
Each validates with Chinese messages naming the rule, changes nothing on bad input, and writes the audit row in
the same transaction. Moves of the person go through dangjian.members.services, so OrgMembership history gets a
closing and an opening row and the person's own records (status history, dues account, study logs, attendance)
stay attached to the one Person row: nothing is copied, nothing is lost.
"""

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.compliance.engine import Rulebook
from dangjian.compliance.rulebook import rules_by_id
from dangjian.core import audit, idnumber, scoping
from dangjian.members import services as members
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person, Status
from dangjian.orgs import services as org_services
from dangjian.orgs.models import CommitteePost, OrgKind

from . import rules
from .models import INCOMING_STATUSES, ContactLoss, Kind, State, Transfer

ONE_OPEN = "每名党员同一时间只能办理一项组织关系转接"
LETTER_RULE = "教管 第二十五条"
HISTORY_RULE = "党籍变更按时间顺序记录"

# Status decisions offered on the 党籍处置 screen (DOMAIN §2 exits), with the rule each one follows.
DECISIONS = {
    Status.SUSPENDED: "教管 第二十四条：与党组织失去联系6个月以上，停止党籍",
    Status.REMOVED: "教管 第二十四条 / 章 第九条：停止党籍2年后仍无法取得联系，或经教育仍无转变，予以除名",
    Status.LAPSED: "章 第九条：连续6个月不参加组织生活、不交纳党费或不做党所分配的工作，认为是自行脱党，予以除名",
    Status.EXPELLED: "纪律处分：开除党籍",
    Status.DECEASED: "党员去世",
    Status.ABROAD: "出国（境）保留党籍（DOMAIN 未收录，待核实）",
}


def _label(rule_id):
    rule = rules_by_id()[rule_id]
    return f"{rule.title}（{rule.source}）"


def _today():
    return timezone.localdate()


def _require_write(actor, org, what="该组织"):
    if actor is not None and not scoping.can_write(actor, org):
        raise ValidationError(f"您无权为{what}办理此事项。")


def _lock(transfer):
    return Transfer.objects.select_for_update(of=("self",)).select_related("person", "from_org", "to_org").get(
        pk=transfer.pk)


def _lock_person(person):
    return Person.objects.select_for_update(of=("self",)).select_related("org").get(pk=person.pk)


def letter_months(org):
    """The configured validity of an introduction letter for an organisation (rule transfers.letter_validity)."""
    enabled, params = Rulebook([org]).setting(org, rules.LETTER_VALIDITY)
    return params["months"] if enabled else rules_by_id()[rules.LETTER_VALIDITY].params["months"]


def valid_until(org, issued_on):
    """"3 个月内" in calendar months, inclusive (DOMAIN §8): issued 2026-09-01 → valid through 2026-12-01."""
    return issued_on + relativedelta(months=letter_months(org))


def _check_date(value, field, *, not_before=None, not_before_label=""):
    if value is None:
        raise ValidationError({field: "请填写日期。"})
    if value > _today():
        raise ValidationError({field: "日期不能晚于今天。"})
    if not_before and value < not_before:
        raise ValidationError({field: f"日期不能早于{not_before_label}（{not_before:%Y-%m-%d}）。"})


def _check_history(person, value, field):
    last = members.last_status_date(person)
    if last and value < last:
        raise ValidationError({field: f"日期不能早于该党员最近一次党籍变更的生效日期（{last:%Y-%m-%d}，{HISTORY_RULE}）。"})


def _check_transferable(person):
    if person.status not in PARTY_MEMBER_STATUSES:
        raise ValidationError({"person": f"只有预备党员、正式党员可以转接组织关系（当前为“{person.get_status_display()}”）。"})
    if Transfer.objects.open().filter(person=person).exists():
        raise ValidationError({"person": f"该党员已有正在办理的组织关系转接，请先办结或撤销（{ONE_OPEN}）。"})


def _check_target(person, to_org):
    if to_org.pk == person.org_id:
        raise ValidationError({"to_org": f"接收组织就是该党员现在所在的组织，无需转接（{LETTER_RULE}：转接是转往其他党组织）。"})
    if to_org.is_dissolved:
        raise ValidationError({"to_org": "接收组织已撤销。"})
    if to_org.kind == OrgKind.GROUP:
        raise ValidationError({"to_org": "组织关系应转入党支部（或党总支、党委），不能转入党小组。"})


def _open_seats(person, keep_under=None):
    seats = CommitteePost.objects.filter(person=person, ended_on__isnull=True).select_related("org")
    return [s for s in seats if keep_under is None or not keep_under.path.startswith(s.org.path)]


def _check_no_seats(person, to_org=None):
    seats = _open_seats(person, to_org)
    if seats:
        names = "、".join(f"{s.org.name}{s.get_post_display()}" for s in seats)
        raise ValidationError({"person": f"该党员仍在原组织任职（{names}），请先办理离任再转出。"})


def _save(transfer):
    try:
        with transaction.atomic():
            transfer.full_clean(exclude=["person", "from_org", "to_org", "decided_by", "created_by"])
            transfer.save()
    except IntegrityError:
        raise ValidationError({"person": f"该党员已有正在办理的组织关系转接（{ONE_OPEN}）。"}) from None
    return transfer


def _snapshot(t):
    return {"kind": t.get_kind_display(), "state": t.get_state_display(), "person": t.subject_name,
            "from": t.source_label, "to": t.target_label, "letter_no": t.letter_no,
            "issued_on": t.issued_on.isoformat(), "valid_until": t.valid_until.isoformat(),
            "decision_note": t.decision_note}


# --- out -------------------------------------------------------------------------------------------------------

@transaction.atomic
def transfer_out(*, actor, person, issued_on, letter_no, to_org=None, to_name="", reason=""):
    """Issue an introduction letter: to a platform organisation (`to_org`) or one outside it (`to_name`).
    The person stays in the sender's roster, 转出中, until the receiver accepts."""
    person = _lock_person(person)
    _require_write(actor, person.org, "该党员")
    _check_transferable(person)
    letter_no, to_name = (letter_no or "").strip(), (to_name or "").strip()
    if not letter_no:
        raise ValidationError({"letter_no": "请填写介绍信编号。"})
    if to_org is None and not to_name:
        raise ValidationError({"to_org": "请选择平台内的接收组织，或填写平台外接收组织的名称。"})
    if to_org is not None and to_name:
        raise ValidationError({"to_name": "平台内接收组织与平台外接收组织只能填写一项。"})
    if to_org is not None:
        _check_target(person, to_org)
    _check_date(issued_on, "issued_on")
    _check_history(person, issued_on, "issued_on")
    _check_no_seats(person)
    transfer = _save(Transfer(kind=Kind.OUT, person=person, from_org=person.org, to_org=to_org, to_name=to_name,
                              letter_no=letter_no, issued_on=issued_on, valid_until=valid_until(person.org, issued_on),
                              reason=(reason or "").strip(), created_by=actor))
    audit.record(actor=actor, event=audit.Event.CREATE, obj=transfer, changes={"after": _snapshot(transfer)})
    return transfer


# --- in --------------------------------------------------------------------------------------------------------

@transaction.atomic
def transfer_in(*, actor, to_org, from_name, letter_no, issued_on, name, gender, birth_date, party_status,
                joined_on=None, full_member_on=None, id_number="", materials="", reason=""):
    """Register an incoming letter for a member not yet on the platform (from outside or another installation).
    The receiving writers review the materials and accept (the person is created) or return it."""
    _require_write(actor, to_org)
    if to_org.is_dissolved or to_org.kind == OrgKind.GROUP:
        raise ValidationError({"to_org": "接收组织须为未撤销的党支部（或党总支、党委）。"})
    errors = {}
    for field, value, label in (("from_name", from_name, "转出组织"), ("letter_no", letter_no, "介绍信编号"),
                                ("name", name, "姓名")):
        if not (value or "").strip():
            errors[field] = f"请填写{label}。"
    if party_status not in dict(INCOMING_STATUSES):
        errors["party_status"] = "转入人员须为预备党员或正式党员。"
    if party_status and not joined_on:
        errors["joined_on"] = "请填写入党日期（支部大会通过接收为预备党员的日期）。"
    if party_status == Status.FULL and not full_member_on:
        errors["full_member_on"] = "正式党员须填写转正日期。"
    if errors:
        raise ValidationError(errors)
    _check_date(issued_on, "issued_on")
    id_number = (id_number or "").strip()
    if id_number:
        error = members.id_number_error(idnumber.normalise(id_number), birth_date)
        if error:
            raise ValidationError({"id_number": error})
    probe = Person(name=name.strip(), birth_date=birth_date, status=party_status, joined_on=joined_on,
                   full_member_on=full_member_on)
    date_errors = members.date_errors(probe)
    if date_errors:
        raise ValidationError(date_errors)
    transfer = Transfer(kind=Kind.IN, from_name=from_name.strip(), to_org=to_org, letter_no=letter_no.strip(),
                        issued_on=issued_on, valid_until=valid_until(to_org, issued_on), reason=(reason or "").strip(),
                        name=name.strip(), gender=gender, birth_date=birth_date, party_status=party_status,
                        joined_on=joined_on, full_member_on=full_member_on if party_status == Status.FULL else None,
                        materials=(materials or "").strip(), created_by=actor)
    transfer.set_id_number(id_number)
    _save(transfer)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=transfer, changes={"after": _snapshot(transfer)})
    return transfer


# --- within the district (县管校聘) ------------------------------------------------------------------------------

@transaction.atomic
def transfer_within(*, actor, person, to_org, effective_on, letter_no="", reason=""):
    """Move a member between schools of the district in one action: the 组织关系 (closing and opening
    OrgMembership rows), the posts held in the old line (ended on the same day), and everything keyed on the
    person (status history, dues account, study and attendance records) move together. The actor must write
    both the sending and the receiving organisation."""
    person = _lock_person(person)
    _require_write(actor, person.org, "该党员")
    _require_write(actor, to_org, "接收组织")
    _check_transferable(person)
    _check_target(person, to_org)
    _check_date(effective_on, "effective_on")
    _check_history(person, effective_on, "effective_on")
    seats = _open_seats(person, to_org)
    for seat in seats:
        if actor is not None and not scoping.can_write(actor, seat.org):
            raise ValidationError({"person": f"该党员在{seat.org.name}任{seat.get_post_display()}，您无权办理其离任。"})
        if effective_on < seat.started_on:
            raise ValidationError({"effective_on": f"调动日期不能早于其在{seat.org.name}的任职日期。"})
    from_org = person.org
    for seat in seats:
        org_services.committee_post_end(actor=actor, seat=seat, ended_on=effective_on)
    transfer = _save(Transfer(kind=Kind.WITHIN, state=State.ACCEPTED, person=person, from_org=from_org, to_org=to_org,
                              letter_no=(letter_no or "").strip(), issued_on=effective_on, valid_until=effective_on,
                              reason=(reason or "").strip(), decided_on=effective_on, decided_by=actor,
                              created_by=actor))
    members.person_transfer_move(actor=actor, person=person, new_org=to_org, effective_on=effective_on,
                                 note=f"区内调动：{from_org.name} → {to_org.name}")
    audit.record(actor=actor, event=audit.Event.CREATE, obj=transfer,
                 changes={"after": _snapshot(transfer),
                          "posts_ended": [f"{s.org.name}{s.get_post_display()}" for s in seats]})
    return transfer


# --- deciding an open transfer -----------------------------------------------------------------------------------

def _require_open(transfer):
    if transfer.state != State.PENDING:
        raise ValidationError(f"该转接已{transfer.get_state_display()}，不能再办理。")


def acting_org(transfer):
    """The organisation whose writers accept or return: the platform receiver, or the sender for a letter to an
    organisation outside the platform (the sender records the receiver's 回执)."""
    return transfer.from_org if transfer.external else transfer.to_org


@transaction.atomic
def transfer_accept(*, actor, transfer, accepted_on, note=""):
    transfer = _lock(transfer)
    _require_open(transfer)
    _require_write(actor, acting_org(transfer))
    _check_date(accepted_on, "accepted_on", not_before=transfer.issued_on, not_before_label="介绍信开具日期")
    if accepted_on > transfer.valid_until:
        raise ValidationError({"accepted_on": (
            f"介绍信已于{transfer.valid_until:%Y年%m月%d日}到期，请先续开介绍信再接收（{_label(rules.LETTER_VALIDITY)}）。")})
    before = _snapshot(transfer)
    if transfer.kind == Kind.IN:
        try:
            person = members.person_create(
                actor=actor, org=transfer.to_org, name=transfer.name, gender=transfer.gender,
                birth_date=transfer.birth_date, status=transfer.party_status, id_number=transfer.get_id_number(),
                status_since=accepted_on, joined_on=transfer.joined_on, full_member_on=transfer.full_member_on)
        except ValidationError as exc:
            raise ValidationError(f"不能接收：{'；'.join(exc.messages)}") from None
        transfer.person = person
    else:
        person = _lock_person(transfer.person)
        _check_history(person, accepted_on, "accepted_on")
        if person.org_id != transfer.from_org_id:
            raise ValidationError("该党员的组织关系已不在转出组织，请撤销此转接。")
        _check_no_seats(person, None if transfer.external else transfer.to_org)
        if transfer.external:
            members.person_change_status(actor=actor, person=person, status=Status.TRANSFERRED_OUT,
                                         effective_on=accepted_on, decided_by=transfer.to_name,
                                         decision_date=accepted_on, approval_no=transfer.letter_no,
                                         note=f"组织关系转往平台外：{transfer.to_name}（回执已收到）")
        else:
            members.person_transfer_move(actor=actor, person=person, new_org=transfer.to_org, effective_on=accepted_on,
                                         note=f"组织关系转接：{transfer.from_org.name} → {transfer.to_org.name}")
    transfer.state, transfer.decided_on, transfer.decided_by = State.ACCEPTED, accepted_on, actor
    transfer.decision_note = (note or "").strip()[:300]
    transfer.save(update_fields=["state", "decided_on", "decided_by", "decision_note", "person"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=transfer,
                 changes=audit.diff(before, _snapshot(transfer)) | {"note": "接收"})
    return transfer


def _close(actor, transfer, state, note, org):
    transfer = _lock(transfer)
    _require_open(transfer)
    _require_write(actor, org(transfer))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "请填写理由。"})
    before = _snapshot(transfer)
    transfer.state, transfer.decided_on, transfer.decided_by = state, _today(), actor
    transfer.decision_note = note[:300]
    transfer.save(update_fields=["state", "decided_on", "decided_by", "decision_note"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=transfer, changes=audit.diff(before, _snapshot(transfer)))
    return transfer


@transaction.atomic
def transfer_return(*, actor, transfer, note):
    """The receiver returns the letter (materials incomplete, wrong organisation …); the person stays where
    they are (OUT) or is never created (IN)."""
    return _close(actor, transfer, State.RETURNED, note, acting_org)


def sender_org(transfer):
    """Who may cancel or renew: the sending organisation; for an incoming record, its receiver (who entered it)."""
    return transfer.to_org if transfer.kind == Kind.IN else transfer.from_org


@transaction.atomic
def transfer_cancel(*, actor, transfer, note):
    return _close(actor, transfer, State.CANCELLED, note, sender_org)


@transaction.atomic
def transfer_renew(*, actor, transfer, issued_on, letter_no):
    """A new letter replaces an expired (or expiring) one: new number and date, validity counted afresh."""
    transfer = _lock(transfer)
    _require_open(transfer)
    _require_write(actor, sender_org(transfer))
    letter_no = (letter_no or "").strip()
    if not letter_no:
        raise ValidationError({"letter_no": "请填写新介绍信编号。"})
    _check_date(issued_on, "issued_on", not_before=transfer.issued_on, not_before_label="原介绍信开具日期")
    before = _snapshot(transfer)
    org = transfer.to_org if transfer.kind == Kind.IN else transfer.from_org
    transfer.letter_no, transfer.issued_on = letter_no, issued_on
    transfer.valid_until = valid_until(org, issued_on)
    transfer.renewals += 1
    transfer.save(update_fields=["letter_no", "issued_on", "valid_until", "renewals"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=transfer,
                 changes=audit.diff(before, _snapshot(transfer)) | {"note": "续开介绍信"})
    return transfer


# --- 失联 and status decisions ---------------------------------------------------------------------------------

@transaction.atomic
def contact_loss_record(*, actor, person, since, note):
    person = _lock_person(person)
    _require_write(actor, person.org, "该党员")
    if person.status not in PARTY_MEMBER_STATUSES:
        raise ValidationError({"person": f"只有预备党员、正式党员可以登记失联（当前为“{person.get_status_display()}”）。"})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "请说明失联情况（最后联系时间、联系方式、寻找经过）。"})
    _check_date(since, "since")
    _check_history(person, since, "since")
    if ContactLoss.objects.filter(person=person, ended_on__isnull=True).exists():
        raise ValidationError({"person": "该党员已登记失联，尚未恢复联系。"})
    loss = ContactLoss.objects.create(person=person, since=since, note=note[:300], created_by=actor)
    if not person.lost_contact:
        members.person_update(actor=actor, person=person, lost_contact=True)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=loss,
                 changes={"after": {"person": person.name, "since": since.isoformat(), "note": loss.note}})
    return loss


@transaction.atomic
def contact_loss_end(*, actor, loss, ended_on):
    loss = ContactLoss.objects.select_for_update(of=("self",)).select_related("person__org").get(pk=loss.pk)
    _require_write(actor, loss.person.org, "该党员")
    if loss.ended_on:
        raise ValidationError("该失联登记已恢复联系。")
    _check_date(ended_on, "ended_on", not_before=loss.since, not_before_label="失联日期")
    loss.ended_on = ended_on
    loss.save(update_fields=["ended_on"])
    if loss.person.lost_contact:
        members.person_update(actor=actor, person=loss.person, lost_contact=False)
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=loss,
                 changes={"before": {"ended_on": None}, "after": {"ended_on": ended_on.isoformat()}})
    return loss


@transaction.atomic
def status_decide(*, actor, person, status, effective_on, reason, decided_by, decision_date, approval_no="",
                  basis=""):
    """People decide on what the engine proposes (or on their own): 停止党籍, 除名, 自行脱党除名, 开除党籍, 死亡,
    出国（境）保留党籍. The reason and the evidence (deciding meeting or body, its date, approval number, and the
    proposal's basis) go into the StatusEvent; members.person_change_status writes history and audit."""
    person = _lock_person(person)
    _require_write(actor, person.org, "该党员")
    try:
        status = Status(status)
    except ValueError:
        raise ValidationError({"status": "请选择处置结果。"}) from None
    if status not in DECISIONS:
        raise ValidationError({"status": "该处置不在此办理。"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写处置理由。"})
    if effective_on is None:
        raise ValidationError({"effective_on": "请填写生效日期。"})
    _check_history(person, effective_on, "effective_on")
    if Transfer.objects.open().filter(person=person).exists() and status != Status.DECEASED:
        raise ValidationError({"status": f"该党员正在办理组织关系转接，请先办结或撤销转接（{ONE_OPEN}）。"})
    note = f"{reason}；依据：{DECISIONS[status]}" + (f"；{basis.strip()}" if basis and basis.strip() else "")
    person = members.person_change_status(actor=actor, person=person, status=status, effective_on=effective_on,
                                          decided_by=decided_by or "", decision_date=decision_date,
                                          approval_no=approval_no or "", note=note[:300])
    if status in (Status.REMOVED, Status.LAPSED, Status.EXPELLED, Status.DECEASED):
        ContactLoss.objects.filter(person=person, ended_on__isnull=True).update(ended_on=effective_on)
    return person
