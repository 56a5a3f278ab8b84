"""API of 组织关系转接 and 党籍处置: transfers (list, read, out, in, within, accept, return, cancel, renew), the
status-change proposals with the decision, 失联 (record, list, contact found) and 出国（境）回国恢复组织生活. Reads are scoped like the pages (Transfer.objects.visible_to);
writes call dangjian.transfers.services exactly as the pages do."""

import datetime as dt
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from dangjian.api.common import get_object, page, ref, ref_dict, require_party_scope, require_write_scope
from dangjian.api.schemas import MAX_ID, Choice, ErrorOut, Id, In, Page, Paging, Ref, Text
from dangjian.core import scoping
from dangjian.members import services as member_services
from dangjian.members.models import Gender, Person
from dangjian.orgs.models import Organisation

from . import selectors, services
from .models import ContactLoss, Kind, State, Transfer

router = Router(tags=["组织关系转接"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
TAB = Literal["pending", "out", "in", "all"]


class TransferOut(Schema):
    id: int
    kind: Choice(Kind)
    kind_label: str
    state: Choice(State)
    state_label: str
    expired: bool = Field(..., description="转接中且已过介绍信有效期")
    person: Ref | None = Field(None, description="平台上的党员（转入待接收时为空）")
    name: str = Field(..., description="党员姓名")
    from_org: Ref | None
    from_name: str
    to_org: Ref | None
    to_name: str
    letter_no: str
    issued_on: dt.date
    valid_until: dt.date
    reason: str
    decided_on: dt.date | None
    decision_note: str


class OutIn(In):
    person: Id
    to_org: Id | None = Field(None, description="平台内接收组织（与 to_name 二选一）")
    to_name: Text(100) = Field("", description="平台外接收组织名称")
    letter_no: Text(60)
    issued_on: dt.date
    reason: Text(200) = ""


class IncomingIn(In):
    to_org: Id
    from_name: Text(100)
    letter_no: Text(60)
    issued_on: dt.date
    name: Text(50)
    gender: Choice(Gender)
    birth_date: dt.date
    id_number: Text(18) = ""
    party_status: Literal["probationary", "full"]
    joined_on: dt.date
    full_member_on: dt.date | None = None
    materials: Text(2000) = ""
    reason: Text(200) = ""


class WithinIn(In):
    person: Id
    to_org: Id
    effective_on: dt.date
    letter_no: Text(60) = ""
    reason: Text(200) = ""


class AcceptIn(In):
    accepted_on: dt.date
    note: Text(300) = ""


class NoteIn(In):
    note: Text(300)


class RenewIn(In):
    letter_no: Text(60)
    issued_on: dt.date


class ProposalOut(Schema):
    person: Ref
    org: Ref
    status: str = Field(..., description="建议的党籍状态")
    status_label: str
    rule_id: str
    rule_source: str
    basis: str
    reached_on: dt.date | None


class DecideIn(In):
    status: Literal["suspended", "removed", "lapsed", "expelled", "deceased", "abroad"]
    effective_on: dt.date
    reason: Text(150)
    decided_by: Text(100)
    decision_date: dt.date
    approval_no: Text(60) = ""
    basis: Text(120) = ""


def transfer_dict(t, today=None):
    today = today or timezone.localdate()
    return {"id": t.pk, "kind": t.kind, "kind_label": t.get_kind_display(), "state": t.state,
            "state_label": t.get_state_display(), "expired": t.expired_on(today),
            "person": ref_dict(t.person) if t.person_id else None, "name": t.subject_name,
            "from_org": ref_dict(t.from_org), "from_name": t.from_name, "to_org": ref_dict(t.to_org),
            "to_name": t.to_name, "letter_no": t.letter_no, "issued_on": t.issued_on, "valid_until": t.valid_until,
            "reason": t.reason, "decided_on": t.decided_on, "decision_note": t.decision_note}


def _transfer(request, pk):
    return get_object(request, selectors.transfers_for(request.user), pk)


def _fresh(pk):
    return transfer_dict(Transfer.objects.select_related("person", "from_org", "to_org").get(pk=pk))


def _act(request, pk, org_of):
    transfer = _transfer(request, pk)
    org = org_of(transfer)
    if org is None or not scoping.can_write(request.user, org):
        scoping.deny(request, "transfers.transfer", pk, forbidden=True)
    return transfer


@router.get("/transfers", response={200: Page[TransferOut], **ERRORS}, summary="组织关系转接列表")
def transfers_list(request, paging: Query[Paging], tab: TAB = "all", q: Text(50) = ""):
    """tab：pending 转接中 / out 转出 / in 转入 / all 全部；q 按姓名、介绍信编号、组织名称搜索。"""
    require_party_scope(request)
    today = timezone.localdate()
    return page(selectors.transfer_list(request.user, tab, q.strip()), paging,
                lambda rows: [transfer_dict(t, today) for t in rows])


def _person(request, pk):
    return ref(request, Person.objects.select_related("org"), pk, "person", write=True, org_attr="org")


@router.post("/transfers/out", response={201: TransferOut, **ERRORS}, summary="转出组织关系（开具介绍信）")
def transfers_out(request, payload: OutIn):
    """接收方办结前，该党员仍在转出组织名册（转出中）。有效期按规则 transfers.letter_validity（默认3个月）。"""
    require_write_scope(request)
    person = _person(request, payload.person)
    to_org = None
    if payload.to_org is not None:
        to_org = selectors.target_orgs().filter(pk=payload.to_org).first()
        if to_org is None:
            raise ValidationError({"to_org": "不存在或已撤销。"})
    t = services.transfer_out(actor=request.user, person=person, to_org=to_org, to_name=payload.to_name,
                              letter_no=payload.letter_no, issued_on=payload.issued_on, reason=payload.reason)
    return Status(201, _fresh(t.pk))


@router.post("/transfers/in", response={201: TransferOut, **ERRORS}, summary="登记转入（平台外或其他平台）")
def transfers_in(request, payload: IncomingIn):
    require_write_scope(request)
    data = payload.model_dump()
    to_org = ref(request, Organisation.objects.active(), data.pop("to_org"), "to_org", write=True)
    t = services.transfer_in(actor=request.user, to_org=to_org, **data)
    return Status(201, _fresh(t.pk))


@router.post("/transfers/within", response={201: TransferOut, **ERRORS}, summary="区内调动（县管校聘，一次办结）")
def transfers_within(request, payload: WithinIn):
    require_write_scope(request)
    person = _person(request, payload.person)
    to_org = ref(request, Organisation.objects.active(), payload.to_org, "to_org", write=True)
    t = services.transfer_within(actor=request.user, person=person, to_org=to_org, effective_on=payload.effective_on,
                                 letter_no=payload.letter_no, reason=payload.reason)
    return Status(201, _fresh(t.pk))


@router.get("/transfers/{transfer_id}", response={200: TransferOut, **ERRORS}, summary="转接详情")
def transfers_detail(request, transfer_id: int):
    return transfer_dict(_transfer(request, transfer_id))


@router.post("/transfers/{transfer_id}/accept", response={200: TransferOut, **ERRORS}, summary="接收（或登记平台外回执）")
def transfers_accept(request, transfer_id: int, payload: AcceptIn):
    t = _act(request, transfer_id, services.acting_org)
    services.transfer_accept(actor=request.user, transfer=t, accepted_on=payload.accepted_on, note=payload.note)
    return _fresh(t.pk)


@router.post("/transfers/{transfer_id}/return", response={200: TransferOut, **ERRORS}, summary="退回")
def transfers_return(request, transfer_id: int, payload: NoteIn):
    t = _act(request, transfer_id, services.acting_org)
    services.transfer_return(actor=request.user, transfer=t, note=payload.note)
    return _fresh(t.pk)


@router.post("/transfers/{transfer_id}/cancel", response={200: TransferOut, **ERRORS}, summary="撤销")
def transfers_cancel(request, transfer_id: int, payload: NoteIn):
    t = _act(request, transfer_id, services.sender_org)
    services.transfer_cancel(actor=request.user, transfer=t, note=payload.note)
    return _fresh(t.pk)


@router.post("/transfers/{transfer_id}/renew", response={200: TransferOut, **ERRORS}, summary="续开介绍信")
def transfers_renew(request, transfer_id: int, payload: RenewIn):
    t = _act(request, transfer_id, services.sender_org)
    services.transfer_renew(actor=request.user, transfer=t, letter_no=payload.letter_no, issued_on=payload.issued_on)
    return _fresh(t.pk)


@router.get("/status-proposals", response={200: Page[ProposalOut], **ERRORS}, summary="党籍处置建议")
def transfers_proposals(request, paging: Query[Paging]):
    """平台提出、党组织决定：失联满6个月 → 停止党籍；停止党籍满2年 → 除名；连续6个月不参加组织生活或不交党费 →
    自行脱党除名；出国（境）保留党籍期满 → 停止党籍。"""
    require_party_scope(request)
    rows = selectors.proposals_for(request.user, timezone.localdate())
    return page(rows, paging, lambda items: [
        {"person": {"id": p.person_id, "name": p.name}, "org": {"id": p.org_id, "name": p.org_name},
         "status": p.status, "status_label": p.status_label, "rule_id": p.rule_id, "rule_source": p.rule.source,
         "basis": p.basis, "reached_on": p.reached_on} for p in items])


class DecisionOut(Schema):
    person: Ref
    status: str
    status_label: str
    status_since: dt.date


@router.post("/people/{person_id}/status-decision", response={200: DecisionOut, **ERRORS}, summary="党籍处置决定")
def transfers_decide(request, person_id: int, payload: DecideIn):
    """须填写理由、决定机关或会议及决定日期；写入党籍变更记录与审计日志。"""
    person = get_object(request, Person.objects.select_related("org"), person_id, write=True)
    person = services.status_decide(actor=request.user, person=person, **payload.model_dump())
    return {"person": {"id": person.pk, "name": person.name}, "status": person.status,
            "status_label": person.get_status_display(), "status_since": person.status_since}


# --- 失联 and 回国（境） -------------------------------------------------------------------------------------------


class ContactLossIn(In):
    since: dt.date = Field(..., description="失联日期（最后一次取得联系的次日）")
    note: Text(300) = Field(..., description="情况说明（最后联系时间、联系方式、寻找经过）")


class ContactFoundIn(In):
    ended_on: dt.date = Field(..., description="恢复联系日期")


class ContactLossOut(Schema):
    id: int
    person: Ref
    since: dt.date
    note: str
    ended_on: dt.date | None


class AbroadReturnIn(In):
    effective_on: dt.date = Field(..., description="恢复组织生活的日期")
    decided_by: Text(100) = ""
    decision_date: dt.date | None = None


def loss_dict(loss):
    return {"id": loss.pk, "person": ref_dict(loss.person), "since": loss.since, "note": loss.note,
            "ended_on": loss.ended_on}


def _loss(request, loss_id, *, write=False):
    """The person page's fetch (views._loss): 404 outside the person's organisation scope, 403 without write."""
    loss = (ContactLoss.objects.select_related("person__org").filter(pk=loss_id).first()
            if 1 <= loss_id <= MAX_ID else None)
    if loss is None or not scoping.can_read(request.user, loss.person.org):
        scoping.deny(request, "transfers.contactloss", loss_id)
    if write and not scoping.can_write(request.user, loss.person.org):
        scoping.deny(request, "transfers.contactloss", loss_id, forbidden=True)
    return loss


@router.get("/people/{person_id}/contact-losses", response={200: Page[ContactLossOut], **ERRORS}, summary="失联登记")
def transfers_contact_losses(request, person_id: int, paging: Query[Paging]):
    person = get_object(request, Person.objects.select_related("org"), person_id)
    if not scoping.can_read(request.user, person.org):   # a member reading his own record: not this list
        scoping.deny(request, "members.person", person_id)
    return page(person.contact_losses.select_related("person"), paging, lambda rows: [loss_dict(x) for x in rows])


@router.post("/people/{person_id}/contact-losses", response={201: ContactLossOut, **ERRORS}, summary="登记失联")
def transfers_contact_loss_record(request, person_id: int, payload: ContactLossIn):
    """与登记失联页面相同的服务：只有预备党员、正式党员；已登记失联且未恢复联系的 422。满6个月仍未取得联系的，
    平台将提出停止党籍的建议（教管 第二十四条）。"""
    person = get_object(request, Person.objects.select_related("org"), person_id, write=True)
    loss = services.contact_loss_record(actor=request.user, person=person, **payload.model_dump())
    return Status(201, loss_dict(loss))


@router.post("/contact-losses/{loss_id}/found", response={200: ContactLossOut, **ERRORS}, summary="登记恢复联系")
def transfers_contact_found(request, loss_id: int, payload: ContactFoundIn):
    loss = _loss(request, loss_id, write=True)
    loss = services.contact_loss_end(actor=request.user, loss=loss, ended_on=payload.ended_on)
    return loss_dict(loss)


@router.post("/people/{person_id}/abroad-return", response={200: DecisionOut, **ERRORS},
             summary="出国（境）回国恢复组织生活")
def transfers_abroad_return(request, person_id: int, payload: AbroadReturnIn):
    """出国（境）保留党籍的党员回国后恢复组织生活，恢复出国前的政治面貌（预备党员或正式党员）；不是该状态的 422。"""
    person = get_object(request, Person.objects.select_related("org"), person_id, write=True)
    person = member_services.person_return_from_abroad(actor=request.user, person=person, **payload.model_dump())
    return {"person": {"id": person.pk, "name": person.name}, "status": person.status,
            "status_label": person.get_status_display(), "status_since": person.status_since}
