"""Background report jobs: start (at most one active job per kind, scope and parameters), run with progress, keep
the finished file in the row.

A kind names a builder `build(job, progress) -> (file_name, content_type, bytes)`; `progress(done, total, message)`
stores how far it got so the job page can show it. The builder runs in a thread of the app server once the job row is
committed (inline when settings.REPORT_JOBS_IN_THREAD is false, as in tests). Two requests — even on two app
servers — cannot start the same job: a partial unique index on the job key allows one pending/running row.
"""

import contextvars
import hashlib
import json
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from dangjian.core import audit
from dangjian.core.jobs import STALE_AFTER
from dangjian.orgs.models import Organisation

from .models import ReportJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    builder: str  # dotted path, imported when a job runs


KINDS = {kind.key: kind for kind in [
    Kind("summary", "工作总结", "dangjian.reports.summary.build_job"),
    Kind("statistics", "党内统计表", "dangjian.reports.statistics.build_job"),
]}

FAILED_MESSAGE = "生成时出错，未生成文件。请稍后重试；如仍失败，请联系系统管理员。"
LOST_MESSAGE = "任务长时间未完成，可能因服务器重启而中断，未生成文件。请重新生成。"


def job_key(kind, org, params):
    canonical = json.dumps(params or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"{kind}:{org.pk}:" + hashlib.sha256(canonical.encode()).hexdigest()


def kind_label(kind):
    return KINDS[kind].label if kind in KINDS else kind


def _expire_lost(key):
    """A job left pending/running past STALE_AFTER was lost with its server: fail it so the key is free again."""
    ReportJob.objects.filter(key=key, status__in=ReportJob.ACTIVE, created_at__lt=timezone.now() - STALE_AFTER).update(
        status=ReportJob.State.FAILED, error=LOST_MESSAGE, finished_at=timezone.now())


def job_start(*, actor, kind, org, params, in_thread=None):
    """Queue a job and start it. The caller has validated `params`; this checks the kind, that `org` is in the
    actor's scope, and that the same job is not already active (ValidationError, nothing written)."""
    if kind not in KINDS:
        raise ValidationError({"kind": "不支持的报告类型。"})
    if not Organisation.objects.visible_to(actor).filter(pk=org.pk).exists():
        raise PermissionDenied("您无权查看该组织的报告。")
    label = KINDS[kind].label
    busy = ValidationError(f"“{org.name}”的{label}（相同参数）正在生成，请等待完成后再试。", code="busy")
    key = job_key(kind, org, params)
    _expire_lost(key)
    with transaction.atomic():
        if ReportJob.objects.filter(key=key, status__in=ReportJob.ACTIVE).exists():
            raise busy
        try:
            with transaction.atomic():
                job = ReportJob.objects.create(kind=kind, org=org, params=params or {}, key=key, created_by=actor)
        except IntegrityError:  # another request started it between the check and the insert
            raise busy from None
        audit.record(actor=actor, event=audit.Event.EXPORT, obj=job,
                     changes={"kind": kind, "org": org.pk, "params": params or {}, "state": "queued"})
    if in_thread is None:
        in_thread = settings.REPORT_JOBS_IN_THREAD
    if in_thread:
        context = contextvars.copy_context()  # keeps the request for the audit trail
        thread = threading.Thread(target=context.run, args=(_run_in_thread, job.pk), name=f"report-{job.pk}",
                                  daemon=True)
        transaction.on_commit(thread.start)
    else:
        job_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def _run_in_thread(job_id):
    try:
        job_run(job_id=job_id)
    finally:
        connection.close()


def _progress(job_id):
    def progress(done, total, message=""):
        ReportJob.objects.filter(pk=job_id).update(done=max(0, int(done)), total=max(0, int(total)),
                                                   message=str(message)[:200])
    return progress


def job_run(*, job_id):
    """Claim the pending job and run its builder; the outcome (file or error) is stored on the row."""
    if not ReportJob.objects.filter(pk=job_id, status=ReportJob.State.PENDING).update(status=ReportJob.State.RUNNING):
        return  # already claimed by another worker, or finished
    job = ReportJob.objects.select_related("org", "created_by").defer("content").get(pk=job_id)
    try:
        builder = import_string(KINDS[job.kind].builder)
        file_name, content_type, data = builder(job, _progress(job.pk))
    except ValidationError as exc:
        _finish(job, status=ReportJob.State.FAILED, error="；".join(exc.messages)[:2000])
    except Exception:  # the user gets a clear message; the trace goes to the log, never to the page
        logger.exception("report job %s (%s) failed", job.pk, job.kind)
        _finish(job, status=ReportJob.State.FAILED, error=FAILED_MESSAGE)
    else:
        _finish(job, status=ReportJob.State.DONE, file_name=file_name, content_type=content_type, content=data,
                done=job.total or 1, total=job.total or 1, message="")


def _finish(job, **fields):
    with transaction.atomic():
        ReportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now(), **fields)
        audit.record(actor=job.created_by, event=audit.Event.EXPORT, obj=job,
                     outcome="success" if fields["status"] == ReportJob.State.DONE else "failure",
                     changes={"kind": job.kind, "org": job.org_id, "state": fields["status"],
                              "file": fields.get("file_name", "")})
