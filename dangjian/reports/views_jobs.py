"""The user's report jobs: list, progress page (polled with htmx), download of the finished file."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from dangjian.core import audit, scoping
from dangjian.members.exporting import content_disposition

from .jobs import kind_label
from .models import ReportJob

PER_PAGE = 20


def _job_for_user(request, pk):
    """Only the user who asked for the job sees it (404 and an audit row otherwise)."""
    return scoping.get_for_user(request, ReportJob.objects.select_related("org").defer("content"), pk)


@login_required
@require_GET
def job_list(request):
    jobs = ReportJob.objects.visible_to(request.user).select_related("org").defer("content", "error")
    page = Paginator(jobs, PER_PAGE).get_page(request.GET.get("page"))
    for job in page.object_list:
        job.kind_label = kind_label(job.kind)
    return render(request, "reports/jobs.html", {"page": page})


@login_required
@require_GET
def job_detail(request, pk):
    job = _job_for_user(request, pk)
    job.kind_label = kind_label(job.kind)
    template = "reports/_job_progress.html" if request.htmx else "reports/job_detail.html"
    response = render(request, template, {"job": job})
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def job_download(request, pk):
    job = _job_for_user(request, pk)
    if job.status != ReportJob.State.DONE:
        return render(request, "reports/job_detail.html", {"job": job, "not_ready": True}, status=409)
    data = ReportJob.objects.values_list("content", flat=True).get(pk=job.pk)
    audit.record(actor=request.user, event=audit.Event.EXPORT, obj=job,
                 changes={"kind": job.kind, "org": job.org_id, "file": job.file_name, "state": "downloaded"})
    response = HttpResponse(bytes(data), content_type=job.content_type or "application/octet-stream")
    extension = job.file_name.rsplit(".", 1)[-1] if "." in job.file_name else "bin"
    response["Content-Disposition"] = content_disposition(job.file_name, f"report-{job.pk}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("jobs/", job_list, name="job_list"),
    path("jobs/<int:pk>/", job_detail, name="job_detail"),
    path("jobs/<int:pk>/download/", job_download, name="job_download"),
]
