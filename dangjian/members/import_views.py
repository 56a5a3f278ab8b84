"""Roster Excel export, the import template, uploads and the import job page (polled with htmx)."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core import scoping
from dangjian.core.forms import StyledFormMixin, add_service_errors
from dangjian.imports.models import ImportJob

from . import exporting, importing

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS_SHOWN = 200


class RosterImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）", error_messages={"required": "请选择要上传的文件。",
                                                                     "empty": "上传的文件是空的。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".xlsx," + XLSX


def _xlsx(content, filename, ascii_fallback):
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = exporting.content_disposition(filename, ascii_fallback)
    return response


def _require_import_right(request):
    if not importing.can_import(request.user):
        scoping.deny(request, "imports.importjob", forbidden=True)


def _job_for_user(request, pk):
    """The job, only for the user who uploaded it (404 and an audit row otherwise)."""
    return scoping.get_for_user(request, ImportJob.objects.defer("content"), pk)


@login_required
@require_GET
def export_roster(request):
    if not scoping.has_party_scope(request.user):
        scoping.deny(request, "members.person", forbidden=True)
    result = exporting.roster_export(actor=request.user, params=request.GET)
    return _xlsx(result.content, result.filename, "roster.xlsx")


@login_required
@require_GET
def export_national(request):
    """The 16-item layout of the national system, with full ID numbers: writers only (组织管理员, 书记)."""
    _require_import_right(request)
    result = exporting.national_export(actor=request.user, params=request.GET)
    return _xlsx(result.content, result.filename, "national.xlsx")


@login_required
@require_GET
def import_template(request):
    _require_import_right(request)
    if request.GET.get("layout") == importing.NATIONAL.key:
        return _xlsx(importing.template_workbook(importing.NATIONAL), "全国党员信息系统格式导入模板.xlsx",
                     "national-template.xlsx")
    return _xlsx(importing.template_workbook(), "党员名册导入模板.xlsx", "roster-template.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request):
    _require_import_right(request)
    if request.method == "POST":
        form = RosterImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = importing.roster_import_submit(actor=request.user, upload=form.cleaned_data["file"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                importing.roster_import_start(job)
                return redirect("members:import_job", pk=job.pk)
    else:
        form = RosterImportForm()
    jobs = list(ImportJob.objects.visible_to(request.user).defer("content", "errors")[:10])
    return render(request, "members/import.html", {
        "form": form,
        "jobs": jobs,
        "max_size": filesizeformat(settings.IMPORT_MAX_BYTES),
        "max_rows": importing.MAX_ROWS,
        "columns": importing.COLUMNS,
        "national": importing.NATIONAL,
    })


@login_required
@require_GET
def import_job(request, pk):
    job = _job_for_user(request, pk)
    context = {"job": job, "errors_shown": (job.errors or [])[:ERRORS_SHOWN], "errors_limit": ERRORS_SHOWN}
    template = "members/_import_progress.html" if request.htmx else "members/import_job.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def import_errors(request, pk):
    job = _job_for_user(request, pk)
    stem = job.file_name.rsplit(".", 1)[0]
    return _xlsx(importing.errors_workbook(job), f"导入错误_{stem}.xlsx", "import-errors.xlsx")
