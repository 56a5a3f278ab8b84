from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.compliance.engine import Rulebook
from dangjian.core import scoping, uploads
from dangjian.core.forms import add_service_errors
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation
from dangjian.workdays.calendar import Calendar

from . import logic, paperwork, selectors, services
from . import rules as R
from .forms import CancelForm, ExtendForm, FileOpenForm, StepAttachmentForm, StepForm, TemplateUploadForm, WithdrawForm
from .models import DevelopmentFile, DevelopmentStep, StepAttachment
from .steps import STEPS, Stage


def _require_scope(request):
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看发展党员工作的权限")


def _pick_org(request):
    """(organisation chosen with ?org= or the user's first scope root, the scope roots)."""
    _require_scope(request)
    roots = list(Organisation.objects.filter(path__in=scoping.scope_paths(request.user)).order_by("path"))
    org = roots[0]
    org_id = request.GET.get("org")
    if org_id:
        org = Organisation.objects.visible_to(request.user).filter(pk=org_id).first() if org_id.isdigit() else None
        if org is None:
            scoping.deny(request, "orgs.organisation", org_id)
    return org, roots


@login_required
@require_GET
def board(request):
    org, roots = _pick_org(request)
    on = timezone.localdate()
    files = DevelopmentFile.objects.visible_to(request.user).filter(org__path__startswith=org.path)
    context = {
        "org": org, "roots": roots, "on": on, "columns": selectors.board(files, on),
        "can_write": scoping.can_write(request.user, org),
    }
    if context["can_write"]:
        context["waiting"] = selectors.people_without_file(request.user, org)
    return render(request, "pipeline/board.html", context)


def _get_file(request, pk, *, write=False):
    return scoping.get_for_user(request, DevelopmentFile.objects.select_related("person", "org"), pk, write=write)


@login_required
@require_GET
def double(request):
    org, roots = _pick_org(request)
    rows, total = selectors.double_training(request.user, org)
    return render(request, "pipeline/double.html", {"org": org, "roots": roots, "rows": rows, "total": total})


def _publicity_lengths(steps, settings):
    """Attach .publicity_length ("5个工作日") to the steps that record a 公示 (one calendar query)."""
    periods = [s for s in steps if s.publicity_start and s.publicity_end]
    if not periods:
        return
    params = settings.get(R.PUBLICITY) or dict(R.PUBLICITY.params)
    calendar = Calendar.load(min(s.publicity_start for s in periods), max(s.publicity_end for s in periods))
    for s in periods:
        length, unit = logic.publicity_length(s.publicity_start, s.publicity_end, params, calendar)
        s.publicity_length = f"{length}{unit}"


def _detail_context(request, file, *, step_form=None, extend_form=None, cancel_form=None, withdraw_form=None,
                    show_override=False):
    on = timezone.localdate()
    steps = selectors.file_steps(file)
    attach_files(file, steps)
    settings = logic.Settings(Rulebook([file.org]), file.org)
    _publicity_lengths(steps, settings)
    done = {s.number for s in steps}
    allowed = selectors.allowed(steps) if file.state == DevelopmentFile.State.OPEN else []
    rows = []
    for spec in STEPS:
        recorded = [s for s in steps if s.number == spec.number]
        state = "done" if recorded else ("next" if spec.number in allowed else "later")
        rules = [(rule, settings.get(rule) is not None) for rule in R.RULES_BY_STEP.get(spec.number, [])]
        rows.append({"spec": spec, "recorded": recorded, "state": state, "rules": rules,
                     "stage_label": Stage.LABELS[spec.stage],
                     "first_of_stage": spec.number in (1, 3, 7, 12, 19)})
    can_write = scoping.can_write(request.user, file.org) and file.state == DevelopmentFile.State.OPEN
    if can_write and allowed and step_form is None:
        people, meetings, votes = selectors.form_choices(file)
        step_form = StepForm(numbers=allowed, people=people, meetings=meetings, votes=votes,
                             initial={"date": on})
    probationer = can_write and 17 in done and 24 not in done
    writer = scoping.can_write(request.user, file.org)
    deadline = logic.deadline(file, steps, settings)
    return {
        "file": file, "person": file.person, "rows": rows, "on": on, "can_write": can_write,
        "step_form": step_form if can_write and allowed else None, "show_override": show_override,
        "deadline": deadline, "days_left": deadline.days_left(on) if deadline else None,
        "probation_end": logic.probation_end_of(file, steps),
        "extend_form": ((extend_form or ExtendForm())
                        if probationer and not file.extension_months and 23 not in done else None),
        "cancel_form": (cancel_form or CancelForm()) if probationer else None,
        "withdraw_form": (withdraw_form or WithdrawForm()) if can_write and 17 not in done else None,
        "documents": [k for k in paperwork.KINDS if k.needs in done] if writer else [],
        "rules": R.RULES,
        "writer": writer, "attachment_form": StepAttachmentForm() if writer else None,
    }


def attach_files(file, steps):
    """Set .files on each recorded step: its attachments, in one query for the whole file."""
    by_step = {}
    for attachment in StepAttachment.objects.filter(step__file=file).order_by("uploaded_at", "id"):
        by_step.setdefault(attachment.step_id, []).append(attachment)
    for step in steps:
        step.files = by_step.get(step.pk, [])


@login_required
@require_GET
def file_detail(request, pk):
    file = _get_file(request, pk)
    return render(request, "pipeline/file.html", _detail_context(request, file))


@login_required
@require_POST
def step_record(request, pk):
    file = _get_file(request, pk, write=True)
    steps = selectors.file_steps(file)
    allowed = selectors.allowed(steps) if file.state == DevelopmentFile.State.OPEN else []
    if not allowed:
        messages.error(request, "该档案没有可登记的步骤。")
        return redirect("pipeline:file", pk=file.pk)
    people, meetings, votes = selectors.form_choices(file)
    form = StepForm(request.POST, numbers=allowed, people=people, meetings=meetings, votes=votes)
    show_override = bool(request.POST.get("override"))
    if form.is_valid():
        try:
            step = services.step_record(actor=request.user, file=file, **form.service_data())
        except services.RuleBlocked as exc:
            show_override = True
            for message in exc.messages:
                form.add_error(None, message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已登记第{step.number}步。" + ("（违反规则仍保存，已记入审计）" if step.overridden else ""))
            return redirect("pipeline:file", pk=file.pk)
    return render(request, "pipeline/file.html",
                  _detail_context(request, file, step_form=form, show_override=show_override), status=400)


def _side_action(request, pk, form_class, action, key, success):
    file = _get_file(request, pk, write=True)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(file, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("pipeline:file", pk=file.pk)
    return render(request, "pipeline/file.html", _detail_context(request, file, **{key: form}), status=400)


@login_required
@require_POST
def file_extend(request, pk):
    return _side_action(request, pk, ExtendForm,
                        lambda f, d: services.file_extend(actor=request.user, file=f, **d),
                        "extend_form", "已延长预备期。")


@login_required
@require_POST
def file_cancel(request, pk):
    return _side_action(request, pk, CancelForm,
                        lambda f, d: services.file_cancel(actor=request.user, file=f, **d),
                        "cancel_form", "已取消预备党员资格。")


@login_required
@require_POST
def file_withdraw(request, pk):
    return _side_action(request, pk, WithdrawForm,
                        lambda f, d: services.file_withdraw(actor=request.user, file=f, **d),
                        "withdraw_form", "已终止该发展党员档案，其政治面貌已恢复为群众。")


def docx_download(data, name, content_type=paperwork.DOCX_TYPE):
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def document(request, pk, kind):
    file = _get_file(request, pk, write=True)
    if kind not in paperwork.BY_KEY:
        raise Http404("未知的文书类型")
    try:
        data, name = paperwork.document(actor=request.user, file=file, key=kind)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("pipeline:file", pk=file.pk)
    return docx_download(data, name)


@login_required
@require_GET
def file_zip(request, pk):
    file = _get_file(request, pk, write=True)
    data, name = paperwork.file_zip(actor=request.user, file=file)
    return docx_download(data, name, "application/zip")


def _require_system_admin(request, object_id=""):
    if not request.user.is_system_admin:
        scoping.deny(request, "pipeline.documenttemplate", object_id, forbidden=True)


def _templates_page(request, failed=None, status=200):
    custom = paperwork.custom_templates()
    rows = [{"kind": k, "custom": custom.get(k.key),
             "form": failed[1] if failed and failed[0] == k.key else TemplateUploadForm(auto_id=f"id_{k.key}_%s")}
            for k in paperwork.KINDS]
    return render(request, "pipeline/templates.html", {"rows": rows}, status=status)


@login_required
@require_GET
def templates(request):
    _require_system_admin(request)
    return _templates_page(request)


def _template_kind(request, kind):
    _require_system_admin(request, kind)
    if kind not in paperwork.BY_KEY:
        raise Http404("未知的文书类型")
    return paperwork.BY_KEY[kind]


@login_required
@require_POST
def template_upload(request, kind):
    kind = _template_kind(request, kind)
    form = TemplateUploadForm(request.POST, request.FILES, auto_id=f"id_{kind.key}_%s")
    if form.is_valid():
        try:
            unused = paperwork.template_upload(actor=request.user, key=kind.key, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已更换“{kind.title}”的模板。" +
                             (f"（模板未使用的字段：{'、'.join(unused)}）" if unused else ""))
            return redirect("pipeline:templates")
    return _templates_page(request, failed=(kind.key, form), status=400)


@login_required
@require_POST
def template_revert(request, kind):
    kind = _template_kind(request, kind)
    if paperwork.template_revert(actor=request.user, key=kind.key):
        messages.success(request, f"“{kind.title}”已恢复为默认模板。")
    else:
        messages.info(request, f"“{kind.title}”正在使用默认模板。")
    return redirect("pipeline:templates")


@login_required
@require_GET
def template_download(request, kind):
    kind = _template_kind(request, kind)
    data, name = paperwork.template_file(kind.key)
    return docx_download(data, name)


@login_required
@require_http_methods(["GET", "POST"])
def file_open(request, person_pk):
    person = scoping.get_for_user(request, Person.objects.select_related("org"), person_pk, write=True)
    existing = DevelopmentFile.objects.filter(person=person, state=DevelopmentFile.State.OPEN).first()
    if existing is not None:
        messages.info(request, f"{person.name}已有进行中的发展党员档案。")
        return redirect("pipeline:file", pk=existing.pk)
    form = FileOpenForm(request.POST or None, initial={"applied_on": person.applied_on})
    show_override = bool(request.POST.get("override"))
    if request.method == "POST" and form.is_valid():
        try:
            file = services.file_open(actor=request.user, person=person, **form.cleaned_data)
        except services.RuleBlocked as exc:
            show_override = True
            for message in exc.messages:
                form.add_error(None, message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已为{person.name}建立发展党员档案。")
            return redirect("pipeline:file", pk=file.pk)
    return render(request, "pipeline/file_open.html",
                  {"person": person, "form": form, "show_override": show_override, "rule": R.MIN_AGE},
                  status=400 if request.method == "POST" else 200)


# --- attachments of a step -----------------------------------------------------------------------------------


def _scoped_attachment(request, pk, write):
    """An attachment of a file the user may read (else 404, audited); deleting needs the write right on the
    file's organisation (else 403)."""
    attachment = (StepAttachment.objects.visible_to(request.user).select_related("step__file__org")
                  .filter(pk=pk).first())
    if attachment is None:
        scoping.deny(request, "pipeline.stepattachment", pk)
    if write and not scoping.can_write(request.user, attachment.step.file.org):
        scoping.deny(request, "pipeline.stepattachment", pk, forbidden=True)
    return attachment


def _step_anchor(step):
    return redirect(f"{reverse('pipeline:file', args=[step.file_id])}#step-{step.number}")


@login_required
@require_POST
def step_attachment_add(request, pk, step_pk):
    file = _get_file(request, pk, write=True)
    step = DevelopmentStep.objects.filter(file=file, pk=step_pk).first()
    if step is None:
        scoping.deny(request, "pipeline.developmentstep", step_pk)
    form = StepAttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.step_attachment_add(actor=request.user, step=step, upload=form.cleaned_data["upload"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已为第{step.number}步上传附件。")
            return _step_anchor(step)
    messages.error(request, "上传失败：" + "；".join(e for errs in form.errors.values() for e in errs))
    return _step_anchor(step)


@login_required
@require_GET
def step_attachment_download(request, pk):
    attachment = _scoped_attachment(request, pk, write=False)
    return uploads.download_response(attachment.file, attachment.original_name, attachment.content_type)


@login_required
@require_POST
def step_attachment_delete(request, pk):
    attachment = _scoped_attachment(request, pk, write=True)
    step = attachment.step
    services.step_attachment_remove(actor=request.user, attachment=attachment)
    messages.success(request, f"已删除附件“{attachment.original_name}”。")
    return _step_anchor(step)
