"""Screens of 组织关系转接 and 党籍处置. Thin views: reads in selectors, writes in services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping
from dangjian.core.forms import submit_form
from dangjian.core.pages import fail_back, paginate
from dangjian.members import services as member_services
from dangjian.members.models import Person, Status
from dangjian.members.services import TRANSITIONS
from dangjian.orgs.models import WRITE_ROLES

from . import selectors, services
from .forms import AcceptForm, CloseForm, ContactLossForm, DateOnlyForm, DecideForm, InForm, OutForm, RenewForm, \
    WithinForm
from .models import ContactLoss, State, Transfer

PAGE_SIZE = 30


def _person(request, pk):
    return scoping.get_for_user(request, Person.objects.select_related("org"), pk, write=True)


def _form(request, form, title, *, back, hint="", person=None, carried=None):
    return render(request, "transfers/form.html", {"form": form, "title": title, "back": back, "hint": hint,
                                                   "person": person, "carried": carried},
                  status=400 if request.method == "POST" else 200)


def _person_url(person):
    return reverse("members:detail", args=[person.pk])


# --- lists -------------------------------------------------------------------------------------------------------

@login_required
@require_GET
def home(request):
    scoping.require_party_scope(request, "transfers")
    tab = request.GET.get("tab") if request.GET.get("tab") in dict(selectors.TABS) else "pending"
    q = (request.GET.get("q") or "").strip()[:50]
    page, query = paginate(request, selectors.transfer_list(request.user, tab, q), PAGE_SIZE)
    return render(request, "transfers/home.html", {
        "tab": tab, "tabs": selectors.TABS, "q": q, "page": page, "query": query, "today": timezone.localdate(),
        "can_write": bool(scoping.scope_paths(request.user, WRITE_ROLES))})


@login_required
@require_GET
def proposals(request):
    """Status-change proposals computed from the records; writers decide each one."""
    scoping.require_party_scope(request, "transfers")
    today = timezone.localdate()
    rows = selectors.proposals_for(request.user, today)
    page, query = paginate(request, rows, PAGE_SIZE)
    writable = {o.pk for o in selectors.writable_orgs(request.user).only("id")}
    return render(request, "transfers/proposals.html", {
        "page": page, "query": query, "today": today, "writable": writable, "tab": "proposals"})


# --- new transfers ---------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def transfer_out(request, pk):
    person = _person(request, pk)
    # The choices leave out the member's own organisation; a submitted form accepts it so that the service
    # refuses it with the rule named (a stale page), not with a generic "invalid choice".
    targets = selectors.target_orgs()
    form = OutForm(request.POST or None,
                   targets=targets if request.method == "POST" else targets.exclude(pk=person.org_id))

    def save(data):
        return services.transfer_out(actor=request.user, person=person, **data)

    done = submit_form(request, form, save, success="已开具介绍信，接收方办结前该党员仍在本组织名册（转出中）。",
                       then=lambda t: reverse("transfers:detail", args=[t.pk]))
    months = services.letter_months(person.org)
    return done or _form(request, form, f"转出组织关系：{person.name}", back=_person_url(person), person=person,
                         hint=f"介绍信有效期{months}个月（教管 第二十五条，有效期按本地设置）。接收方在有效期内接收；"
                              f"过期未办结的，请续开介绍信。")


@login_required
@require_http_methods(["GET", "POST"])
def transfer_in(request):
    scoping.require_party_scope(request, "transfers", write=True)
    form = InForm(request.POST or None, orgs=selectors.writable_orgs(request.user))

    def save(data):
        return services.transfer_in(actor=request.user, **data)

    done = submit_form(request, form, save, success="已登记转入材料，请审核后接收或退回。",
                       then=lambda t: reverse("transfers:detail", args=[t.pk]))
    return done or _form(request, form, "登记转入（平台外或其他平台转入）", back=reverse("transfers:home") + "?tab=in",
                         hint="登记介绍信与材料；审核无误后在详情页“接收”，该党员即编入接收组织。")


@login_required
@require_http_methods(["GET", "POST"])
def transfer_within(request, pk):
    person = _person(request, pk)
    writable = selectors.writable_orgs(request.user)
    targets = writable.exclude(pk=person.org_id)
    form = WithinForm(request.POST or None, targets=writable if request.method == "POST" else targets)
    preview = None
    target = None
    if form.is_bound and form.is_valid():
        target = form.cleaned_data["to_org"]
    elif request.GET.get("to_org"):
        target = targets.filter(pk=request.GET.get("to_org")).first() if request.GET["to_org"].isdigit() else None
    if target is not None:
        preview = selectors.carried(person, target, timezone.localdate())

    def save(data):
        return services.transfer_within(actor=request.user, person=person, **data)

    done = submit_form(request, form, save, success="已完成区内调动，党员档案、党籍记录、党费账户随之转入。",
                       then=lambda t: _person_url(person))
    return done or _form(request, form, f"区内调动（县管校聘）：{person.name}", back=_person_url(person), person=person,
                         carried=preview,
                         hint="一次办结：组织关系转入调入组织，原组织关系记录截止于调动日期；党籍记录、党费账户、"
                              "学习与会议记录随人转移，原组织任职同日离任。须同时有调出、调入组织的管理权限。")


# --- detail and actions ------------------------------------------------------------------------------------------

def _transfer(request, pk):
    return scoping.get_for_user(request, Transfer.objects.select_related("person", "from_org", "to_org",
                                                                         "decided_by", "created_by"), pk)


def _can(request, org):
    return org is not None and scoping.can_write(request.user, org)


@login_required
@require_GET
def detail(request, pk):
    transfer = _transfer(request, pk)
    today = timezone.localdate()
    open_ = transfer.state == State.PENDING
    return render(request, "transfers/detail.html", {
        "t": transfer, "today": today, "expired": transfer.expired_on(today),
        "can_decide": open_ and _can(request, services.acting_org(transfer)),
        "can_manage": open_ and _can(request, services.sender_org(transfer)),
        "accept_form": AcceptForm(), "close_form": CloseForm(), "renew_form": RenewForm(),
        "months": services.letter_months(services.sender_org(transfer) or services.acting_org(transfer))})


def _action(request, pk, org_of, form_class, call, success):
    transfer = _transfer(request, pk)
    back = reverse("transfers:detail", args=[transfer.pk])
    if not _can(request, org_of(transfer)):
        scoping.deny(request, "transfers.transfer", pk, forbidden=True)
    form = form_class(request.POST)
    if not form.is_valid():
        return fail_back(request, ValidationError([f"{form.fields[f].label}：{e[0]}" if f in form.fields else e[0]
                                               for f, e in form.errors.items()]), back)
    try:
        call(transfer, form.cleaned_data)
    except ValidationError as exc:
        return fail_back(request, exc, back)
    messages.success(request, success)
    return redirect(back)


@login_required
@require_POST
def accept(request, pk):
    return _action(request, pk, services.acting_org, AcceptForm,
                   lambda t, d: services.transfer_accept(actor=request.user, transfer=t, **d), "已接收，转接办结。")


@login_required
@require_POST
def return_(request, pk):
    return _action(request, pk, services.acting_org, CloseForm,
                   lambda t, d: services.transfer_return(actor=request.user, transfer=t, **d), "已退回。")


@login_required
@require_POST
def cancel(request, pk):
    return _action(request, pk, services.sender_org, CloseForm,
                   lambda t, d: services.transfer_cancel(actor=request.user, transfer=t, **d), "已撤销转接。")


@login_required
@require_POST
def renew(request, pk):
    return _action(request, pk, services.sender_org, RenewForm,
                   lambda t, d: services.transfer_renew(actor=request.user, transfer=t, **d), "已续开介绍信。")


# --- status decisions ------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def decide(request, pk):
    person = _person(request, pk)
    allowed = [s for s in services.DECISIONS if s in TRANSITIONS[Status(person.status)]]
    if not allowed:
        messages.error(request, f"“{person.get_status_display()}”状态的人员没有可办理的党籍处置。")
        return redirect(_person_url(person))
    wanted = request.GET.get("status")
    initial = {"effective_on": timezone.localdate(), "basis": (request.GET.get("basis") or "")[:120]}
    if wanted in [s.value for s in allowed]:
        initial["status"] = wanted
    form = DecideForm(request.POST or None, allowed=allowed, initial=initial)

    def save(data):
        return services.status_decide(actor=request.user, person=person, **data)

    done = submit_form(request, form, save, success="已记录党籍处置，并写入党籍变更记录。", then=_person_url(person))
    return done or _form(request, form, f"党籍处置：{person.name}", back=_person_url(person), person=person,
                         hint="平台根据会议出席、党费交纳和失联登记提出建议，是否处置由党组织研究决定；"
                              "须填写决定机关或会议、决定日期，记入党籍变更记录与审计日志。")


@login_required
@require_http_methods(["GET", "POST"])
def contact_loss(request, pk):
    person = _person(request, pk)
    form = ContactLossForm(request.POST or None)
    done = submit_form(request, form, lambda d: services.contact_loss_record(actor=request.user, person=person, **d),
                       success="已登记失联。满6个月仍未取得联系的，平台将提出停止党籍的建议。", then=_person_url(person))
    return done or _form(request, form, f"登记失联：{person.name}", back=_person_url(person), person=person,
                         hint="教管 第二十四条：与党组织失去联系6个月以上、经多方查找仍无法取得联系的，应停止其党籍。")


@login_required
@require_POST
def contact_found(request, pk):
    loss = _loss(request, pk)
    back = _person_url(loss.person)
    form = DateOnlyForm(request.POST)
    if not form.is_valid():
        return fail_back(request, ValidationError("请填写恢复联系日期。"), back)
    try:
        services.contact_loss_end(actor=request.user, loss=loss, ended_on=form.cleaned_data["on"])
    except ValidationError as exc:
        return fail_back(request, exc, back)
    messages.success(request, "已登记恢复联系。")
    return redirect(back)


def _loss(request, pk):
    loss = ContactLoss.objects.select_related("person__org").filter(pk=pk).first()
    if loss is None or not scoping.can_read(request.user, loss.person.org):
        scoping.deny(request, "transfers.contactloss", pk)
    if not scoping.can_write(request.user, loss.person.org):
        scoping.deny(request, "transfers.contactloss", pk, forbidden=True)
    return loss


@login_required
@require_POST
def abroad_return(request, pk):
    person = _person(request, pk)
    back = _person_url(person)
    form = DateOnlyForm(request.POST)
    if not form.is_valid():
        return fail_back(request, ValidationError("请填写恢复组织生活的日期。"), back)
    data = form.cleaned_data
    try:
        member_services.person_return_from_abroad(actor=request.user, person=person, effective_on=data["on"],
                                                  decided_by=data.get("decided_by") or "",
                                                  decision_date=data.get("decision_date"))
    except ValidationError as exc:
        return fail_back(request, exc, back)
    messages.success(request, "已恢复组织生活。")
    return redirect(back)

