"""任务清单 screens (issue, answer, the issuer's table), 党建目标责任书 and 党建指导员. Thin views: reads in
selectors, writes in services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping, uploads
from dangjian.core.forms import submit_form
from dangjian.core.pages import fail_back, paginate
from dangjian.members.models import Person
from dangjian.orgs.models import WRITE_ROLES
from dangjian.orgs.picker import OrgChoice

from . import selectors, services
from .forms import STATE_CHOICES, AnswerForm, InstructorForm, PledgeForm, TaskForm
from .models import Instructor, Pledge, Receipt, ReceiptFile, Task


# --- tasks -------------------------------------------------------------------------------------------------------

@login_required
@require_GET
def home(request):
    """收到的任务 (receipts of organisations in scope) or 下达的任务 (tasks issued in scope)."""
    scoping.require_party_scope(request, "tasks")
    today = timezone.localdate()
    tab = "issued" if request.GET.get("tab") == "issued" else "received"
    q = (request.GET.get("q") or "").strip()[:50]
    state = request.GET.get("state", "")
    if tab == "issued":
        qs = selectors.issued_for(request.user)
        if q:
            qs = qs.filter(title__icontains=q)
        if state in Task.Status.values:
            qs = qs.filter(status=state)
        states = [("", "全部"), *Task.Status.choices]
    else:
        qs = selectors.received_for(request.user).order_by("done_on", "task__due_on", "pk").filter(
            task__status=Task.Status.OPEN)
        if q:
            qs = qs.filter(Q(task__title__icontains=q) | Q(org__name__icontains=q))
        if state in Receipt.State.values:
            qs = qs.filter(selectors.state_filter(state, today))
        states = STATE_CHOICES
    page, query = paginate(request, qs)
    rows = page.object_list if tab == "issued" else selectors.with_states(page.object_list, today)
    return render(request, "tasks/home.html", {
        "tab": tab, "page": page, "rows": rows, "query": query, "q": q, "state": state, "states": states, "today": today,
        "can_issue": bool(scoping.scope_paths(request.user, WRITE_ROLES))})


def _task(request, pk, *, write=False):
    return scoping.get_for_user(request, Task.objects.select_related("org"), pk, write=write)


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request):
    scoping.require_party_scope(request, "tasks", write=True)
    form = TaskForm(request.POST or None, request.FILES or None, orgs=selectors.writable_orgs(request.user))

    def save(data):
        return services.task_issue(actor=request.user, org=data["org"], title=data["title"], body=data["body"],
                                   due_on=data["due_on"], receivers=data["receivers"],
                                   explicit=[o.pk for o in data["explicit"]], upload=data["attachment"])

    done = submit_form(request, form, save, success="已下达任务，接收组织的待办中可见。",
                       then=lambda t: reverse("tasks:task_detail", args=[t.pk]))
    return done or _form(request, form, "下达任务", back=reverse("tasks:home") + "?tab=issued")


def _form(request, form, title, *, back, hint="", multipart=True):
    return render(request, "tasks/form.html", {"form": form, "title": title, "back": back, "hint": hint,
                                               "multipart": multipart},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def task_detail(request, pk):
    """The issuer's table (readers of the issuing organisation) and the user's own organisations' receipts."""
    task = _task(request, pk)
    today = timezone.localdate()
    context = {"task": task, "today": today, "can_write": scoping.can_write(request.user, task.org)}
    if scoping.can_read(request.user, task.org):
        rows, figures = selectors.issuer_table(task, today)
        page, query = paginate(request, rows)
        context.update(page=page, query=query, figures=figures,
                       rows=selectors.with_states(page.object_list, today, task))
    else:
        own = selectors.received_for(request.user).filter(task=task).prefetch_related("files")
        context["own"] = [(r, scoping.can_write(request.user, r.org)) for r in selectors.with_states(own, today, task)]
    return render(request, "tasks/task_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request, pk):
    task = _task(request, pk, write=True)
    form = TaskForm(request.POST or None, orgs=None, editing=True,
                    initial={f: getattr(task, f) for f in services.TASK_FIELDS})
    done = submit_form(request, form, lambda d: services.task_update(actor=request.user, task=task, **d),
                       success="已保存，各接收组织的完成状态按新的期限重新计算。",
                       then=reverse("tasks:task_detail", args=[task.pk]))
    return done or _form(request, form, f"修改任务：{task.title}", back=reverse("tasks:task_detail", args=[task.pk]),
                         multipart=False)


@login_required
@require_POST
def task_withdraw(request, pk):
    task = _task(request, pk, write=True)
    back = reverse("tasks:task_detail", args=[task.pk])
    try:
        services.task_withdraw(actor=request.user, task=task, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return fail_back(request, exc, back)
    messages.success(request, "已撤回任务。")
    return redirect(back)


@login_required
@require_GET
def task_file(request, pk):
    task = _task(request, pk)
    if not task.attachment:
        scoping.deny(request, "tasks.task", pk)
    return uploads.download_response(task.attachment, task.attachment_name, task.attachment_type)


# --- receipts ----------------------------------------------------------------------------------------------------

def _receipt(request, pk, *, write=False):
    return scoping.get_for_user(request, Receipt.objects.select_related("org", "task", "task__org"), pk, write=write)


@login_required
@require_http_methods(["GET", "POST"])
def receipt_answer(request, pk):
    """A receiving organisation's writers answer the task (text and files) and mark it done."""
    receipt = _receipt(request, pk, write=True)
    form = AnswerForm(request.POST or None, request.FILES or None, initial={"answer": receipt.answer})
    done = submit_form(request, form, lambda d: services.receipt_answer(
        actor=request.user, receipt=receipt, answer=d["answer"], files=d["files"]),
        success="已反馈，任务标记为已完成。", then=reverse("tasks:home"))
    if done:
        return done
    return render(request, "tasks/answer.html", {
        "form": form, "receipt": receipt, "task": receipt.task, "state": receipt.state(timezone.localdate()),
        "files": receipt.files.all()}, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def receipt_file(request, pk):
    row = ReceiptFile.objects.filter(receipt__in=Receipt.objects.visible_to(request.user), pk=pk).first()
    if row is None:
        scoping.deny(request, "tasks.receiptfile", pk)
    return uploads.download_response(row.file, row.original_name, row.content_type)


# --- pledges (党建目标责任书) ----------------------------------------------------------------------------------------

def _year(request):
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    return min(max(year, 2000), 2100)


@login_required
@require_GET
def pledges(request):
    """Which organisations of the chosen subtree have signed their 目标责任书 for the year."""
    scoping.require_party_scope(request, "tasks")
    choice = OrgChoice(selectors.readable_orgs(request.user).only("id", "name", "path", "depth"),
                       request.GET.get("org"), default="first")
    org = choice.org
    year = _year(request)
    rows = selectors.pledge_coverage(org, year) if org else []
    signed = sum(1 for _, p in rows if p)
    page, query = paginate(request, rows)
    return render(request, "tasks/pledges.html", {
        "org_picker": choice.picker(attrs={"id": "f-org"}, exclude_groups=True), "org": org, "year": year,
        "page": page, "query": query, "signed": signed,
        "total": len(rows), "unsigned": len(rows) - signed, "can_write": bool(scoping.scope_paths(request.user, WRITE_ROLES)),
        # Only the organisations on this page: the writable part of a large scope is never loaded whole.
        "writable": set(selectors.writable_orgs(request.user).filter(pk__in=[o.pk for o, _ in page])
                        .values_list("pk", flat=True))})


def _pledge(request, pk, *, write=False):
    return scoping.get_for_user(request, Pledge.objects.select_related("org"), pk, write=write)


def _pledge_form(request, pledge=None):
    orgs = selectors.writable_orgs(request.user)
    initial = ({"org": pledge.org, "year": pledge.year, "signed_on": pledge.signed_on, "signers": pledge.signers}
               if pledge else {"org": request.GET.get("org"), "year": request.GET.get("year")})
    form = PledgeForm(request.POST or None, request.FILES or None, orgs=orgs, initial=initial)

    def save(data):
        return services.pledge_save(actor=request.user, org=data["org"], year=data["year"],
                                    signed_on=data["signed_on"], signers=data["signers"], upload=data["file"],
                                    pledge=pledge)

    done = submit_form(request, form, save, success="已保存目标责任书。",
                       then=lambda p: reverse("tasks:pledges") + f"?org={p.org_id}&year={p.year}")
    return done or _form(request, form, "修改目标责任书" if pledge else "登记目标责任书",
                         back=reverse("tasks:pledges"), hint="修改时不选文件则保留原文件。" if pledge else "")


@login_required
@require_http_methods(["GET", "POST"])
def pledge_new(request):
    scoping.require_party_scope(request, "tasks", write=True)
    return _pledge_form(request)


@login_required
@require_http_methods(["GET", "POST"])
def pledge_edit(request, pk):
    return _pledge_form(request, _pledge(request, pk, write=True))


@login_required
@require_POST
def pledge_delete(request, pk):
    pledge = _pledge(request, pk, write=True)
    back = reverse("tasks:pledges") + f"?org={pledge.org_id}&year={pledge.year}"
    services.pledge_delete(actor=request.user, pledge=pledge)
    messages.success(request, "已删除目标责任书。")
    return redirect(back)


@login_required
@require_GET
def pledge_file(request, pk):
    pledge = _pledge(request, pk)
    return uploads.download_response(pledge.file, pledge.file_name, pledge.content_type)


# --- instructors (党建指导员) -----------------------------------------------------------------------------------------

@login_required
@require_GET
def instructors(request):
    scoping.require_party_scope(request, "tasks")
    today = timezone.localdate()
    qs = selectors.instructors_for(request.user)
    q = (request.GET.get("q") or "").strip()[:50]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(unit__icontains=q) | Q(org__name__icontains=q))
    if request.GET.get("current") == "1":
        qs = qs.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today), started_on__lte=today)
    page, query = paginate(request, qs)
    return render(request, "tasks/instructors.html", {
        "page": page, "query": query, "q": q, "today": today, "current": request.GET.get("current") == "1",
        "writable": {o.pk for o in selectors.writable_orgs(request.user).only("id")},
        "can_write": bool(scoping.scope_paths(request.user, WRITE_ROLES))})


def _instructor_form(request, instructor=None):
    people = (Person.objects.filter(scoping.scope_q(request.user, "org__path", WRITE_ROLES)).on_roster()
              .select_related("org").order_by("name", "pk"))
    initial = {f: getattr(instructor, f) for f in services.INSTRUCTOR_FIELDS} if instructor else {}
    form = InstructorForm(request.POST or None, schools=selectors.school_orgs(request.user, write=True),
                          people=people, initial=initial)

    def save(data):
        data = dict(data)
        phone = data.pop("phone") or (None if instructor else "")
        return services.instructor_save(actor=request.user, instructor=instructor, phone=phone, **data)

    done = submit_form(request, form, save, success="已保存党建指导员。", then=reverse("tasks:instructors"))
    return done or _form(request, form, "修改党建指导员" if instructor else "登记党建指导员",
                         back=reverse("tasks:instructors"), multipart=False,
                         hint=f"当前联系电话：{instructor.phone_masked or '未填写'}" if instructor else "")


@login_required
@require_http_methods(["GET", "POST"])
def instructor_new(request):
    scoping.require_party_scope(request, "tasks", write=True)
    return _instructor_form(request)


@login_required
@require_http_methods(["GET", "POST"])
def instructor_edit(request, pk):
    instructor = scoping.get_for_user(request, Instructor.objects.select_related("org", "person"), pk, write=True)
    return _instructor_form(request, instructor)


@login_required
@require_POST
def instructor_delete(request, pk):
    instructor = scoping.get_for_user(request, Instructor.objects.select_related("org"), pk, write=True)
    try:
        services.instructor_delete(actor=request.user, instructor=instructor)
    except PermissionDenied as exc:
        return fail_back(request, exc, reverse("tasks:instructors"))
    messages.success(request, "已删除党建指导员。")
    return redirect("tasks:instructors")
