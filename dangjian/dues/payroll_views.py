"""Payroll import screens: upload, map the columns (remembered per organisation), import or show the errors."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core import scoping
from dangjian.core.forms import StyledFormMixin, add_service_errors
from dangjian.imports.models import ImportJob
from dangjian.members.exporting import content_disposition
from dangjian.members.importing import errors_workbook
from dangjian.orgs.models import OrgKind
from dangjian.orgs.picker import OfferedOrgField, OrgChoice, OrgPicker
from dangjian.orgs.selectors import writable_orgs

from . import billing, importing
from .forms import MonthField, PayrollUploadForm

ERRORS_SHOWN = 200


def _require_writer(request):
    from dangjian.orgs.models import WRITE_ROLES

    if not scoping.scope_paths(request.user, WRITE_ROLES):
        scoping.deny(request, "dues.payrollmapping", forbidden=True)


def _orgs(request, value=None):
    """The organisations offered (writable, not 党小组) and the one asked for (default the first): an OrgChoice."""
    return OrgChoice(writable_orgs(request.user).exclude(kind=OrgKind.GROUP).order_by("path"), value,
                     default="first")


class MappingForm(StyledFormMixin, forms.Form):
    org = OfferedOrgField(label="单位（党组织）", widget=OrgPicker(exclude_groups=True))
    effective_month = MonthField(label="工资月份", help_text="导入的基数自该月起适用。")

    def __init__(self, *args, orgs=None, headers=(), initial_roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        if orgs is not None:
            self.fields["org"].offer(orgs)
        self.headers = [h for h in headers if h]
        for i, header in enumerate(self.headers):
            self.fields[f"col{i}"] = forms.ChoiceField(label=header, choices=importing.ROLES,
                                                       initial=(initial_roles or {}).get(header, importing.IGNORE))
            self.fields[f"col{i}"].widget.attrs["class"] = "form-select form-select-sm"

    def columns(self):
        return {h: self.cleaned_data[f"col{i}"] for i, h in enumerate(self.headers)}


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    _require_writer(request)
    orgs = _orgs(request)
    form = PayrollUploadForm(request.POST or None, request.FILES or None, orgs=orgs,
                             initial={"effective_month": billing.month_start(timezone.localdate())})
    if request.method == "POST" and form.is_valid():
        try:
            job = importing.payroll_submit(actor=request.user, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            month = form.cleaned_data["effective_month"]
            return redirect(reverse("dues:payroll_map", args=[job.pk])
                            + f"?org={form.cleaned_data['org'].pk}&month={month:%Y-%m}")
    return render(request, "dues/payroll.html", {"form": form, "roles": importing.ROLES, "tab": "payroll",
                                                 "can_import": True},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def mapping(request, pk):
    _require_writer(request)
    job = scoping.get_for_user(request, ImportJob.objects.all(), pk)
    source = request.POST if request.method == "POST" else request.GET
    orgs = _orgs(request, source.get("org"))
    org = orgs.org
    headers, problem = [], None
    if job.status == ImportJob.State.DONE or job.content is None:
        problem = "该文件已导入完毕。如需再次导入，请重新上传。"
    else:
        try:
            headers, _ = importing.read_sheet(job)
        except ValidationError as exc:
            problem = "；".join(exc.messages)
    initial_roles = importing.remembered(org, headers) if org is not None and headers else {}
    month = source.get("month") or source.get("effective_month") or ""
    form = MappingForm(request.POST or None, orgs=orgs, headers=headers, initial_roles=initial_roles,
                       initial={"org": org.pk if org else None, "effective_month": month})
    if request.method == "POST" and not problem and form.is_valid():
        chosen = form.cleaned_data["org"]
        try:
            job = importing.payroll_confirm(actor=request.user, job=job, org=chosen,
                                            month=form.cleaned_data["effective_month"], columns=form.columns())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if job.status == ImportJob.State.DONE:
                messages.success(request, f"已导入 {job.created_count} 名党员的党费基数"
                                          f"（自{billing.month_label(form.cleaned_data['effective_month'])}起）。")
                return redirect(reverse("dues:home") + f"?org={chosen.pk}")
    fields = [form[f"col{i}"] for i in range(len(form.headers))]
    return render(request, "dues/payroll_map.html", {
        "job": job, "form": form, "fields": fields, "problem": problem, "tab": "payroll", "can_import": True,
        "errors_shown": (job.errors or [])[:ERRORS_SHOWN] if job.status == ImportJob.State.FAILED else [],
        "error_count": len(job.errors or []) if job.status == ImportJob.State.FAILED else 0},
        status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def errors(request, pk):
    job = scoping.get_for_user(request, ImportJob.objects.defer("content"), pk)
    response = HttpResponse(errors_workbook(job),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition(f"工资表导入错误_{job.pk}.xlsx", "payroll-errors.xlsx")
    return response
