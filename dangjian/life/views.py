from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping, uploads
from dangjian.core.forms import add_service_errors, submit_form
from dangjian.members.models import ENDED_STATUSES, Person
from dangjian.orgs.models import WRITE_ROLES, Organisation, OrgKind
from dangjian.orgs.picker import OrgChoice, name_and_kind, org_name, org_picker

from . import ical, qr, selectors, services
from .forms import (AttachmentForm, AttendanceFormSet, MeetingForm, SignInCodeForm, StudyLogForm, StudyTaskForm,
                    VoteForm)
from .models import Attachment, Meeting, MeetingType, StudyLog

PAGE_SIZE = 30


def _deny(request, what, pk, forbidden=False):
    scoping.deny(request, what, pk, forbidden=forbidden)


def _get_meeting(request, pk, *, write=False):
    qs = selectors.meetings_for(request.user).select_related("org", "host", "recorder", "lecturer")
    meeting = qs.filter(pk=pk).first()
    if meeting is None:
        _deny(request, "life.meeting", pk)
    if write and not scoping.can_write(request.user, meeting.org):
        _deny(request, "life.meeting", pk, forbidden=True)
    return meeting


def _require_list(request):
    if not selectors.can_list_meetings(request.user):
        raise PermissionDenied("您没有查看组织生活的权限")


def _require_writer(request):
    if not scoping.scope_paths(request.user, WRITE_ROLES):
        raise PermissionDenied("您没有记录会议的权限")


def _detail_url(meeting):
    return reverse("life:meeting_detail", args=[meeting.pk])


# --- meetings -----------------------------------------------------------------------------


@login_required
@require_GET
def meetings(request):
    _require_list(request)
    qs, filters = selectors.meeting_list(request.user, request.GET)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    has_scope = scoping.has_party_scope(request.user)
    context = {
        "page": page, "filters": filters, "query": query.urlencode(),
        # Rendered only on the full page (not for the htmx table), bounded however many organisations are in scope.
        "org_picker": org_picker("org", selectors.scoped_orgs(request.user), filters["org"],
                                 label_from_instance=org_name, attrs={"id": "f-org"}) if has_scope else None,
        "types": MeetingType.choices, "statuses": Meeting.Status.choices,
        "can_write": bool(scoping.scope_paths(request.user, WRITE_ROLES)), "has_scope": has_scope,
    }
    template = "life/_meeting_table.html" if request.htmx and not request.htmx.boosted else "life/meetings.html"
    return render(request, template, context)


def _form_people(org):
    return (Person.objects.filter(org__path__startswith=org.path).exclude(status__in=ENDED_STATUSES)
            .select_related("org").order_by("org__path", "name", "id"))


def _meeting_data(data):
    data = dict(data)
    participants = data.pop("participants", None)
    note = data.pop("note", "")
    return data, (list(participants) if participants is not None else None), note


def _meeting_form_page(request, form, *, title, org, meeting=None, held=False):
    return render(request, "life/meeting_form.html",
                  {"form": form, "title": title, "org": org, "meeting": meeting, "held": held},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request, held=False):
    _require_writer(request)
    verb = "登记已召开会议" if held else "计划会议"
    org_id = request.GET.get("org") or request.POST.get("org")
    org = None
    if org_id and str(org_id).isdigit():
        org = selectors.writable_task_orgs(request.user).filter(pk=org_id).first()
    if org is None:
        choice = OrgChoice(selectors.writable_task_orgs(request.user), None)
        return render(request, "life/org_pick.html", {
            "has_orgs": bool(choice), "title": verb, "held": held, "error": bool(org_id),
            "org_picker": choice.picker(label_from_instance=name_and_kind, attrs={
                "id": "pick-org", "class": "form-select mb-3", "required": True})})
    initial = {"date": timezone.localdate()} if held else {}
    if org.kind == OrgKind.GROUP:
        initial["type"] = MeetingType.GROUP
    form = MeetingForm(request.POST or None, people=_form_people(org), held=held, initial=initial)

    def save(data):
        fields, participants, _ = _meeting_data(data)
        fn = services.meeting_record if held else services.meeting_plan
        return fn(actor=request.user, org=org, participants=participants or [], **fields)

    done = submit_form(request, form, save, success="已登记会议记录。" if held else "已计划会议，应到人员将在待办中看到。",
                       then=_detail_url)
    return done or _meeting_form_page(request, form, title=f"{verb}：{org.name}", org=org, held=held)


def _initial(meeting):
    data = {f: getattr(meeting, f) for f in services.MEETING_FIELDS}
    if meeting.type == MeetingType.TALK:
        data["participants"] = list(Person.objects.filter(attendance__meeting=meeting))
    return data


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    meeting = _get_meeting(request, pk, write=True)
    if meeting.status == Meeting.Status.CANCELLED:
        messages.error(request, "已取消的会议不能修改。")
        return redirect(_detail_url(meeting))
    held = meeting.status == Meeting.Status.HELD
    form = MeetingForm(request.POST or None, people=_form_people(meeting.org), held=held, editing_held=held,
                       initial=_initial(meeting))

    def save(data):
        fields, participants, note = _meeting_data(data)
        return services.meeting_update(actor=request.user, meeting=meeting, participants=participants, note=note,
                                       **fields)

    done = submit_form(request, form, save, success="已保存。", then=_detail_url)
    return done or _meeting_form_page(request, form, title=f"修改会议：{meeting.theme}", org=meeting.org,
                                      meeting=meeting, held=held)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_record(request, pk):
    """Record a planned meeting as held (fill in minutes and decisions)."""
    meeting = _get_meeting(request, pk, write=True)
    if meeting.status != Meeting.Status.PLANNED:
        messages.error(request, "只有计划中的会议可以登记为已召开。")
        return redirect(_detail_url(meeting))
    form = MeetingForm(request.POST or None, people=_form_people(meeting.org), held=True, initial=_initial(meeting))

    def save(data):
        fields, participants, _ = _meeting_data(data)
        return services.meeting_record(actor=request.user, meeting=meeting, participants=participants, **fields)

    done = submit_form(request, form, save, success="已登记为已召开，请核对出席情况。", then=_detail_url)
    return done or _meeting_form_page(request, form, title=f"登记会议召开情况：{meeting.theme}", org=meeting.org,
                                      meeting=meeting, held=True)


@login_required
@require_POST
def meeting_cancel(request, pk):
    meeting = _get_meeting(request, pk, write=True)
    try:
        services.meeting_cancel(actor=request.user, meeting=meeting, reason=request.POST.get("reason", "")[:200])
        messages.success(request, "已取消该会议。")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect(_detail_url(meeting))


def _attendance_formset(meeting, rows, data=None):
    initial = [{"person": r.person_id, "status": r.status, "leave_reason": r.leave_reason,
                "leave_approved": r.leave_approved, "briefed_on": r.briefed_on} for r in rows]
    return AttendanceFormSet(data, initial=initial, prefix="att")


@login_required
@require_GET
def meeting_detail(request, pk):
    meeting = _get_meeting(request, pk)
    return _render_detail(request, meeting)


def _render_detail(request, meeting, *, formset=None, status=200):
    context = selectors.meeting_detail(meeting)
    can_write = scoping.can_write(request.user, meeting.org)
    context.update(meeting=meeting, can_write=can_write)
    if can_write:
        formset = formset or _attendance_formset(meeting, context["attendance"])
        context["rows"] = list(zip(context["attendance"], formset.forms))
        context["formset"] = formset
        context["attachment_form"] = AttachmentForm()
        if meeting.status != Meeting.Status.CANCELLED:
            url = qr.signin_url(request, meeting)
            opens, closes = services.signin_window(meeting)
            context.update(qr_svg=qr.svg(url), signin_url=url, signin_code=services.signin_code(meeting),
                           signin_opens=timezone.localtime(opens), signin_closes=timezone.localtime(closes))
    else:
        person = selectors.linked_person(request.user)
        context["own_row"] = next((r for r in context["attendance"] if person and r.person_id == person.pk), None)
    return render(request, "life/meeting_detail.html", context, status=status)


@login_required
@require_POST
def attendance(request, pk):
    meeting = _get_meeting(request, pk, write=True)
    rows = selectors.meeting_detail(meeting)["attendance"]
    formset = _attendance_formset(meeting, rows, request.POST)
    if formset.is_valid():
        try:
            changes = services.attendance_set(actor=request.user, meeting=meeting,
                                              entries=[f.cleaned_data for f in formset.forms if f.cleaned_data])
            messages.success(request, f"已保存出席情况（{len(changes)} 人有变化）。")
            return redirect(_detail_url(meeting) + "#attendance")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, "出席情况填写有误，请检查。")
    return _render_detail(request, meeting, formset=formset, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def vote_add(request, pk):
    meeting = _get_meeting(request, pk, write=True)
    form = VoteForm(request.POST or None, people=_form_people(meeting.org))
    due, present = services.voters(meeting)
    done = submit_form(request, form, lambda d: services.vote_record(actor=request.user, meeting=meeting, **d),
                       success="已记录表决结果。", then=_detail_url(meeting) + "#votes")
    return done or render(request, "life/vote_form.html",
                          {"form": form, "meeting": meeting, "due": due, "present": present,
                           "rules": services.VOTE_RULES},
                          status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def attachment_add(request, pk):
    meeting = _get_meeting(request, pk, write=True)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(actor=request.user, meeting=meeting, kind=form.cleaned_data["kind"],
                                    upload=form.cleaned_data["upload"])
            messages.success(request, "已上传附件。")
            return redirect(_detail_url(meeting) + "#attachments")
        except ValidationError as exc:
            add_service_errors(form, exc)
    messages.error(request, "上传失败：" + "；".join(e for errs in form.errors.values() for e in errs))
    return redirect(_detail_url(meeting) + "#attachments")


def _get_attachment(request, pk, *, write=False):
    attachment = (Attachment.objects.select_related("meeting__org")
                  .filter(pk=pk, meeting__in=selectors.meetings_for(request.user)).first())
    if attachment is None:
        _deny(request, "life.attachment", pk)
    if write and not scoping.can_write(request.user, attachment.meeting.org):
        _deny(request, "life.attachment", pk, forbidden=True)
    return attachment


@login_required
@require_GET
def attachment_download(request, pk):
    attachment = _get_attachment(request, pk)
    return uploads.download_response(attachment.file, attachment.original_name, attachment.content_type)


@login_required
@require_POST
def attachment_delete(request, pk):
    attachment = _get_attachment(request, pk, write=True)
    meeting = attachment.meeting
    services.attachment_remove(actor=request.user, attachment=attachment)
    messages.success(request, "已删除附件。")
    return redirect(_detail_url(meeting) + "#attachments")


# --- QR sign-in ---------------------------------------------------------------------------


def _signin_error(request, error, status=400):
    return render(request, "life/signin_result.html", {"error": error, "meeting": error.meeting}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def signin(request, token):
    """Scanned QR: show the meeting and a big 签到 button; the POST marks the member present."""
    try:
        meeting_id, expires = services.read_token(token)
        meeting = Meeting.objects.select_related("org").filter(pk=meeting_id).first()
        if meeting is None:
            raise services.SignInError("签到码无效", "该签到二维码对应的会议不存在。")
        if request.method == "POST":
            meeting, already = services.meeting_signin(actor=request.user, token=token)
            return render(request, "life/signin_result.html", {"meeting": meeting, "already": already})
        # GET: check the same conditions without writing, so the page tells the truth before the click.
        services._check_window(meeting, timezone.now(), expires)
        person = selectors.linked_person(request.user)
        row = meeting.attendance.filter(person=person).first() if person else None
        if row is None:
            raise services.SignInError("不在应到名单中", "您不在本次会议的应到人员名单中，不能签到。如有疑问请联系会议组织者。",
                                       meeting)
    except services.SignInError as error:
        return _signin_error(request, error)
    return render(request, "life/signin_confirm.html", {"meeting": meeting, "row": row, "token": token})


@login_required
@require_http_methods(["GET", "POST"])
def signin_code(request):
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_for_code(request.user, form.cleaned_data["code"])
            meeting, already = services.meeting_signin(actor=request.user, meeting=meeting)
            return render(request, "life/signin_result.html", {"meeting": meeting, "already": already})
        except services.SignInError as error:
            form.add_error("code", error.message)
    return render(request, "life/signin_code.html", {"form": form}, status=400 if request.method == "POST" else 200)


# --- calendar -----------------------------------------------------------------------------


def _calendar_org(request):
    org_id = request.GET.get("org")
    if org_id and str(org_id).isdigit():
        return Organisation.objects.visible_to(request.user).filter(pk=org_id).first()
    return None


@login_required
@require_GET
def calendar(request):
    _require_list(request)
    today = timezone.localdate()
    month = selectors.parse_month(request.GET.get("month"), today)
    org = _calendar_org(request)
    weeks = selectors.calendar_weeks(request.user, org, month)
    prev_month = (month.replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    next_month = (month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    # The organisations offered (the rows read once; bounded above ORG_PICKER_FULL_MAX); none without a party role.
    offered = OrgChoice(selectors.scoped_orgs(request.user), None) if scoping.has_party_scope(request.user) else None
    return render(request, "life/calendar.html", {
        "weeks": weeks, "month": month, "org": org, "today": today, "prev_month": prev_month,
        "next_month": next_month, "offered": bool(offered),
        "org_picker": org_picker("org", offered.queryset, org, empty_label="全部组织", label_from_instance=org_name,
                                 attrs={"id": "cal-org"}, head=offered.head) if offered else None,
        "weekdays": "一二三四五六日"})


@login_required
@require_GET
def calendar_ics(request):
    _require_list(request)
    org = _calendar_org(request)
    qs = selectors.meetings_for(request.user).exclude(status=Meeting.Status.CANCELLED).select_related("org")
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    today = timezone.localdate()
    qs = qs.filter(date__gte=today - timezone.timedelta(days=366)).order_by("date", "start_time", "id")[:2000]
    body = ical.calendar(qs, host=request.get_host().split(":")[0] or "dangjian.local",
                         name=f"组织生活·{org.name}" if org else "组织生活")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="meetings.ics"'
    return response


# --- study --------------------------------------------------------------------------------


def _get_task(request, pk, *, write=False):
    task = selectors.tasks_for(request.user).select_related("org").filter(pk=pk).first()
    if task is None:
        _deny(request, "life.studytask", pk)
    if write and not scoping.can_write(request.user, task.org):
        _deny(request, "life.studytask", pk, forbidden=True)
    return task


@login_required
@require_GET
def study_tasks(request):
    _require_list(request)
    qs = selectors.tasks_for(request.user).select_related("org").order_by("-due_on", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "life/study_tasks.html", {
        "page": page, "today": timezone.localdate(),
        "can_write": bool(scoping.scope_paths(request.user, WRITE_ROLES)),
        "person": selectors.linked_person(request.user)})


def _task_form_page(request, form, title, task=None):
    return render(request, "life/study_task_form.html", {"form": form, "title": title, "task": task},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def study_task_create(request):
    _require_writer(request)
    today = timezone.localdate()
    form = StudyTaskForm(request.POST or None, orgs=selectors.writable_task_orgs(request.user),
                         initial={"starts_on": today})

    def save(data):
        data = dict(data)
        return services.study_task_create(actor=request.user, org=data.pop("org"), **data)

    done = submit_form(request, form, save, success="已下达学习任务。",
                       then=lambda t: reverse("life:study_task_detail", args=[t.pk]))
    return done or _task_form_page(request, form, "下达学习任务")


@login_required
@require_GET
def study_task_detail(request, pk):
    task = _get_task(request, pk)
    rows, missing, missing_total = selectors.task_completion(request.user, task)
    person = selectors.linked_person(request.user)
    own = StudyLog.objects.filter(task=task, person=person).first() if person else None
    applies = bool(person and person.org.path.startswith(task.org.path))
    total = sum(r["total"] for r in rows)
    done = sum(r["done"] for r in rows)
    return render(request, "life/study_task_detail.html", {
        "task": task, "rows": rows, "missing": missing, "missing_total": missing_total, "own": own,
        "applies": applies, "can_write": scoping.can_write(request.user, task.org), "total": total, "done": done,
        "rate": round(100 * done / total) if total else 0, "today": timezone.localdate()})


@login_required
@require_http_methods(["GET", "POST"])
def study_task_edit(request, pk):
    task = _get_task(request, pk, write=True)
    form = StudyTaskForm(request.POST or None, orgs=None, editing=True,
                         initial={f: getattr(task, f) for f in services.TASK_FIELDS})
    done = submit_form(request, form, lambda d: services.study_task_update(actor=request.user, task=task, **d),
                       success="已保存。", then=reverse("life:study_task_detail", args=[task.pk]))
    return done or _task_form_page(request, form, f"修改学习任务：{task.title}", task)


@login_required
@require_POST
def study_task_delete(request, pk):
    task = _get_task(request, pk, write=True)
    try:
        services.study_task_delete(actor=request.user, task=task)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("life:study_task_detail", pk=task.pk)
    messages.success(request, "已删除学习任务。")
    return redirect("life:study_tasks")


@login_required
@require_http_methods(["GET", "POST"])
def study_log_add(request):
    person = selectors.linked_person(request.user)
    if person is None:
        raise PermissionDenied("您的账号未关联党员档案，不能登记学习")
    today = timezone.localdate()
    tasks = selectors.open_tasks_for_person(person, today)
    initial = {"date": today}
    if request.GET.get("task", "").isdigit():
        initial["task"] = request.GET["task"]
    form = StudyLogForm(request.POST or None, request.FILES or None, tasks=tasks, initial=initial)

    def save(data):
        return services.study_log_add(actor=request.user, task=data["task"], date=data["date"], hours=data["hours"],
                                      notes=data["notes"], upload=data["upload"])

    done = submit_form(request, form, save, success="已登记学习记录。", then=reverse("life:study_mine"))
    return done or render(request, "life/study_log_form.html", {"form": form},
                          status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def study_mine(request):
    person = selectors.linked_person(request.user)
    if person is None:
        raise PermissionDenied("您的账号未关联党员档案")
    logs = list(StudyLog.objects.filter(person=person).select_related("task").order_by("-date", "-id")[:200])
    today = timezone.localdate()
    year_hours = sum((log.hours for log in logs if log.date.year == today.year), 0)
    return render(request, "life/study_mine.html", {
        "person": person, "logs": logs, "open_tasks": list(selectors.open_tasks_for_person(person, today)),
        "year_hours": year_hours, "today": today})


@login_required
@require_GET
def study_log_file(request, pk):
    """A study log's attachment: its owner, or readers of the person's organisation."""
    log = StudyLog.objects.select_related("person__org").filter(pk=pk).exclude(attachment="").first()
    if log is None or not (log.person.user_id == request.user.pk or scoping.can_read(request.user, log.person.org)):
        _deny(request, "life.studylog", pk)
    name = log.attachment.name.rsplit(".", 1)
    ext = name[-1] if len(name) > 1 else "bin"
    content_type = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}.get(ext,
                                                                                          "application/octet-stream")
    return uploads.download_response(log.attachment, f"学习记录附件.{ext}", content_type)
