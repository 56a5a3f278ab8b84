"""Pages of the summary report (工作总结).

- `summary` /reports/summary/: choose the organisation and the period (presets: 学年, 学期, 半年, 年度; or dates).
- `summary_edit` /reports/summary/<org id>/?start=&end=: the figures (each linked to the records behind it), the
  meetings per month, and the secretary's text per section (editable by writers of the organisation).
- `summary_save` (POST): save the text (writers).
- `summary_download` (POST): save the text when the user may and sent it, then start the report job that builds
  the Word document and go to the job's progress page (readers).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dangjian.core import scoping
from dangjian.core.forms import add_service_errors
from dangjian.orgs.models import Organisation

from . import figures, summary
from .forms import DraftForm, PeriodForm


def _require_scope(request):
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看工作总结的权限")


def _orgs(user):
    return Organisation.objects.visible_to(user).active().order_by("path")


def _org(request, pk):
    """The organisation in the URL, in the user's scope (404 outside — also without any scope — audited)."""
    return scoping.get_for_user(request, Organisation.objects.all(), pk, org_attr=None)


def edit_url(org, start, end):
    return reverse("reports:summary_edit", args=[org.pk]) + f"?start={start.isoformat()}&end={end.isoformat()}"


@login_required
@require_GET
def summary_home(request):
    """Choose the organisation and the period; a valid choice goes to the report page."""
    _require_scope(request)
    orgs = _orgs(request.user)
    today = timezone.localdate()
    presets = summary.presets(today)
    if {"org", "start", "end"} & set(request.GET):
        data = request.GET.copy()
        chosen = next((p for p in presets if p.key == request.GET.get("preset")), None)
        if chosen is not None:
            data["start"], data["end"] = chosen.start.isoformat(), chosen.end.isoformat()
        form = PeriodForm(data, orgs=orgs)
        if form.is_valid():
            data = form.cleaned_data
            return redirect(edit_url(data["org"], data["start"], data["end"]))
        status = 400
    else:
        first = orgs.first()
        form = PeriodForm(orgs=orgs, initial={"org": first.pk if first else None, "start": presets[0].start,
                                              "end": presets[0].end})
        status = 200
    return render(request, "reports/summary_home.html", {"form": form, "presets": presets}, status=status)


def _period(request, source, *, required=False):
    """(start, end, form): the period of the request (default the current school year unless `required`);
    (None, None, form with the errors) when it is bad."""
    form = PeriodForm(source if (required or "start" in source or "end" in source) else None)
    if form.is_bound:
        if form.is_valid():
            return form.cleaned_data["start"], form.cleaned_data["end"], form
        return None, None, form
    preset = summary.presets(timezone.localdate())[0]
    form = PeriodForm(initial={"start": preset.start, "end": preset.end})
    return preset.start, preset.end, form


def _edit_page(request, org, start, end, period_form, draft_form=None, status=200):
    context = {"org": org, "start": start, "end": end, "period_form": period_form,
               "presets": summary.presets(timezone.localdate()), "can_write": scoping.can_write(request.user, org)}
    if start is not None:
        draft = summary.draft_for(org, start, end)
        report = figures.collect(org, start, end)
        if draft_form is None:
            draft_form = DraftForm(initial=DraftForm.initial_for(org, start, end, draft))
        context.update(report=report, draft=draft, draft_form=draft_form,
                       sections=_sections(report, draft_form), period_label=figures.period_label(start, end),
                       months=_months(org, start, end, report))
    return render(request, "reports/summary_edit.html", context, status=status)


def _sections(report, draft_form):
    """[(key, heading, field, Section or None)] in document order."""
    fields = dict(draft_form.section_fields())
    by_key = {s.key: s for s in report.sections}
    return [(key, heading, fields[key], by_key.get(key)) for key, heading, _ in summary.SECTIONS]


def _months(org, start, end, report):
    from calendar import monthrange

    rows = []
    for m in report.by_month:
        first = max(start, m["month"])
        last = min(end, m["month"].replace(day=monthrange(m["month"].year, m["month"].month)[1]))
        rows.append({**m, "url": figures.link("life:meetings", org=org.pk, status="held", start=first, end=last)})
    return rows


@login_required
@require_GET
def summary_edit(request, pk):
    org = _org(request, pk)
    start, end, form = _period(request, request.GET)
    return _edit_page(request, org, start, end, form, status=200 if start is not None else 400)


def _save(request, org, start, end):
    """Save the posted text; (draft form, ok)."""
    form = DraftForm(request.POST)
    if not form.is_valid():
        return form, False
    try:
        summary.draft_save(actor=request.user, org=org, start=start, end=end, title=form.cleaned_data["title"],
                           sections=form.sections())
    except ValidationError as exc:
        add_service_errors(form, exc)
        return form, False
    return form, True


@login_required
@require_POST
def summary_save(request, pk):
    org = _org(request, pk)
    if not scoping.can_write(request.user, org):
        scoping.deny(request, "orgs.organisation", pk, forbidden=True)
    start, end, period_form = _period(request, request.POST, required=True)
    if start is None:
        return _edit_page(request, org, None, None, period_form, status=400)
    form, ok = _save(request, org, start, end)
    if not ok:
        messages.error(request, "未保存：请按提示修改。")
        return _edit_page(request, org, start, end, period_form, form, status=400)
    messages.success(request, "已保存工作总结文字。数字始终按最新记录统计。")
    return redirect(edit_url(org, start, end))


@login_required
@require_POST
def summary_download(request, pk):
    """Start the job that writes the Word document (saving the text first when a writer sent it)."""
    from .jobs import job_start

    org = _org(request, pk)
    start, end, period_form = _period(request, request.POST, required=True)
    if start is None:
        return _edit_page(request, org, None, None, period_form, status=400)
    if "title" in request.POST and scoping.can_write(request.user, org):
        form, ok = _save(request, org, start, end)
        if not ok:
            messages.error(request, "未生成：文字未能保存，请按提示修改。")
            return _edit_page(request, org, start, end, period_form, form, status=400)
    try:
        job = job_start(actor=request.user, kind=summary.KIND, org=org, params=summary.job_params(start, end))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(edit_url(org, start, end))
    return redirect(reverse("reports:job_detail", args=[job.pk]))


urlpatterns = [
    path("summary/", summary_home, name="summary"),
    path("summary/<int:pk>/", summary_edit, name="summary_edit"),
    path("summary/<int:pk>/save/", summary_save, name="summary_save"),
    path("summary/<int:pk>/download/", summary_download, name="summary_download"),
]
