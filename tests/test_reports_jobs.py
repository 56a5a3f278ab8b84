"""Report jobs: one active job per kind, scope and parameters; progress; failures leave no file; only the
requester sees the job."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.reports import jobs
from dangjian.reports.models import ReportJob
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SEEN = []


def good_builder(job, progress):
    for step in range(3):
        progress(step, 3, f"第 {step + 1} 步")
        SEEN.append(ReportJob.objects.values_list("done", "total", "message").get(pk=job.pk))
    return f"报告-{job.org.name}.txt", "text/plain; charset=utf-8", f"{job.org.name} {job.params['n']}".encode()


def refusing_builder(job, progress):
    raise ValidationError("所选期间内没有可统计的记录。")


def broken_builder(job, progress):
    raise RuntimeError("secret internal detail")


@pytest.fixture
def kinds(monkeypatch):
    SEEN.clear()
    monkeypatch.setattr(jobs, "KINDS", {
        "good": jobs.Kind("good", "测试报告", f"{__name__}.good_builder"),
        "refusing": jobs.Kind("refusing", "测试报告", f"{__name__}.refusing_builder"),
        "broken": jobs.Kind("broken", "测试报告", f"{__name__}.broken_builder"),
    })


@pytest.fixture
def secretary(tree):
    return make_user(role=Role.SECRETARY, org=tree["school_a"])


def test_a_job_runs_with_progress_and_keeps_its_file(kinds, tree, secretary, client):
    job = jobs.job_start(actor=secretary, kind="good", org=tree["school_a"], params={"n": 1})
    assert job.status == ReportJob.State.DONE
    assert SEEN == [(0, 3, "第 1 步"), (1, 3, "第 2 步"), (2, 3, "第 3 步")]
    assert job.percent == 100 and job.finished_at is not None
    client.force_login(secretary)
    response = client.get(reverse("reports:job_download", args=[job.pk]))
    assert response.status_code == 200
    assert response.content == f"{tree['school_a'].name} 1".encode()
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    states = list(AuditLog.objects.filter(object_type="reports.reportjob", object_id=str(job.pk))
                  .order_by("pk").values_list("changes__state", flat=True))
    assert states == ["queued", "done", "downloaded"]


def test_the_same_job_cannot_run_twice_but_other_parameters_can(kinds, tree, secretary):
    pending = jobs.job_start(actor=secretary, kind="good", org=tree["school_a"], params={"n": 1}, in_thread=True)
    assert pending.status == ReportJob.State.PENDING  # the thread starts only once the test transaction commits
    with pytest.raises(ValidationError, match="正在生成"):
        jobs.job_start(actor=secretary, kind="good", org=tree["school_a"], params={"n": 1})
    assert ReportJob.objects.count() == 1
    other = jobs.job_start(actor=secretary, kind="good", org=tree["school_a"], params={"n": 2})
    assert other.status == ReportJob.State.DONE
    # Another user asking for the same report waits for the same running job too.
    viewer = make_user(role=Role.VIEWER, org=tree["school_a"])
    with pytest.raises(ValidationError):
        jobs.job_start(actor=viewer, kind="good", org=tree["school_a"], params={"n": 1})


def test_the_database_refuses_a_second_active_row_for_one_key(kinds, tree, secretary):
    fields = dict(kind="good", org=tree["school_a"], key="good:x", created_by=secretary)
    ReportJob.objects.create(status=ReportJob.State.RUNNING, **fields)
    ReportJob.objects.create(status=ReportJob.State.DONE, **fields)  # finished rows never block
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportJob.objects.create(status=ReportJob.State.PENDING, **fields)


def test_a_lost_job_frees_its_key_after_an_hour(kinds, tree, secretary):
    lost = jobs.job_start(actor=secretary, kind="good", org=tree["school_a"], params={"n": 1}, in_thread=True)
    ReportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=59))
    with pytest.raises(ValidationError):
        jobs.job_start(actor=secretary, kind="good", org=tree["school_a"], params={"n": 1})
    ReportJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=61))
    again = jobs.job_start(actor=secretary, kind="good", org=tree["school_a"], params={"n": 1})
    assert again.status == ReportJob.State.DONE
    lost.refresh_from_db()
    assert lost.status == ReportJob.State.FAILED and "中断" in lost.error


def test_a_refused_job_says_why_and_a_crash_hides_its_detail(kinds, tree, secretary, client):
    refused = jobs.job_start(actor=secretary, kind="refusing", org=tree["school_a"], params={})
    assert refused.status == ReportJob.State.FAILED
    assert refused.error == "所选期间内没有可统计的记录。" and refused.content is None
    broken = jobs.job_start(actor=secretary, kind="broken", org=tree["school_a"], params={})
    assert broken.status == ReportJob.State.FAILED
    assert "secret" not in broken.error and "未生成文件" in broken.error
    client.force_login(secretary)
    page = client.get(reverse("reports:job_detail", args=[broken.pk]))
    assert "未生成文件" in page.content.decode() and "secret" not in page.content.decode()
    assert client.get(reverse("reports:job_download", args=[broken.pk])).status_code == 409


def test_scope_and_kind_are_checked(kinds, tree, secretary):
    with pytest.raises(PermissionDenied):
        jobs.job_start(actor=secretary, kind="good", org=tree["school_b"], params={"n": 1})
    with pytest.raises(ValidationError):
        jobs.job_start(actor=secretary, kind="nonsense", org=tree["school_a"], params={})
    assert not ReportJob.objects.exists()


def test_progress_page_polls_until_finished_and_list_shows_own_jobs(kinds, tree, secretary, client):
    pending = jobs.job_start(actor=secretary, kind="good", org=tree["school_a"], params={"n": 1}, in_thread=True)
    ReportJob.objects.filter(pk=pending.pk).update(status=ReportJob.State.RUNNING, done=1, total=4, message="正在统计会议")
    client.force_login(secretary)
    page = client.get(reverse("reports:job_detail", args=[pending.pk]), HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert 'hx-trigger="every 1s"' in html and "正在统计会议" in html and "25%" in html
    done = jobs.job_start(actor=secretary, kind="good", org=tree["school_a"], params={"n": 3})
    page = client.get(reverse("reports:job_detail", args=[done.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in page and reverse("reports:job_download", args=[done.pk]) in page
    listing = client.get(reverse("reports:job_list")).content.decode()
    assert listing.count(reverse("reports:job_detail", args=[pending.pk])) == 1
    other = make_user(role=Role.SECRETARY, org=tree["school_a"])
    client.force_login(other)
    assert "还没有报告任务" in client.get(reverse("reports:job_list")).content.decode()
    assert client.get(reverse("reports:job_detail", args=[done.pk])).status_code == 404
