"""Scheduled jobs that run once, however many app servers run `dangjian scheduler`.

Each tick (every minute by default) a scheduler takes one lock — a PostgreSQL advisory lock, a lock file next
to the SQLite database, or a Redis lock (`SCHEDULER_LOCK=redis`) — and, holding it, runs every job whose
period has come and has no successful run recorded for that period. Runs are recorded in the audit trail
(object_type "scheduler", object_id "<job>:<period>"), in the same database as the data the jobs change, so a
second scheduler that gets the lock later sees the run and skips it; a scheduler that was down catches up on
its next tick; a failed run is retried after `RETRY_AFTER`.
"""

import fcntl
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count
from django.utils import timezone

from dangjian.compliance.rulebook import Severity

from . import audit

log = logging.getLogger(__name__)

LOCK_KEY = 0x646A7363  # "djsc": the advisory lock key of the scheduler
REDIS_LOCK_NAME = "dangjian:scheduler"
REDIS_LOCK_TTL = 6 * 3600  # a crashed holder frees the Redis lock after this many seconds
RETRY_AFTER = timedelta(minutes=30)
OBJECT_TYPE = "scheduler"
ACTOR = "(定时任务)"


@dataclass(frozen=True)
class Job:
    name: str
    label: str
    at: time  # local time of day the job becomes due
    run: Callable[[datetime], str]  # local "now" -> a one-line summary in Chinese
    day: int | None = None  # day of the month: monthly; None: daily

    @property
    def schedule_label(self):
        when = self.at.strftime("%H:%M")
        return f"每月 {self.day} 日 {when}" if self.day else f"每天 {when}"

    def period(self, now):
        """The key of the period due at local time `now` (e.g. "2026-11" or "2026-11-03"), or None."""
        if self.day is None:
            return now.date().isoformat() if now.time() >= self.at else None
        due = datetime.combine(date(now.year, now.month, self.day), self.at, tzinfo=now.tzinfo)
        return f"{now.year:04d}-{now.month:02d}" if now >= due else None


# --- the jobs ---------------------------------------------------------------------------------------------

def _dues_bills(now):
    from dangjian.dues import services

    return services.bills_generate(actor=None, month=date(now.year, now.month, 1), org=None).message()


def _findings(now):
    from dangjian.compliance.services import findings_store

    run = findings_store(on=now.date())   # reads on a replica when there is one, stores on the primary
    counts = dict(run.findings.order_by().values_list("severity").annotate(n=Count("id")))
    detail = "，".join(f"{Severity.LABELS[key]} {counts[key]} 条" for key in Severity.LABELS if counts.get(key))
    return f"检查 {run.org_count} 个组织，共 {run.finding_count} 条问题（{detail or '无问题'}），已保存供工作台和问题清单使用"


def _audit_verify(now):
    ok, checked, broken = audit.verify_chain()
    if not ok:
        raise RuntimeError(f"审计链在第 {broken} 条断裂")
    return f"审计链完整：共 {checked} 条"


def _backup(now):
    from dangjian.core.backup import create_backup

    result = create_backup(keep=settings.SCHEDULER_BACKUP_KEEP)
    return f"备份完成：{result.path.name}，{result.size:,} 字节"


JOBS = {
    job.name: job for job in [
        Job("dues_bills", "生成当月党费账单", time(1, 0), _dues_bills, day=1),
        Job("backup", "数据库与上传文件备份", time(2, 0), _backup),
        Job("findings", "夜间问题清单检查", time(3, 0), _findings),
        Job("audit_verify", "审计链校验", time(4, 0), _audit_verify),
    ]
}


def enabled_jobs():
    unknown = [name for name in settings.SCHEDULER_JOBS if name not in JOBS]
    if unknown:
        raise ValueError(f"SCHEDULER_JOBS 中有未知的任务：{', '.join(unknown)}（可选：{', '.join(JOBS)}）")
    return [JOBS[name] for name in settings.SCHEDULER_JOBS]


# --- the lock -----------------------------------------------------------------------------------------------

@contextmanager
def scheduler_lock():
    """Yields True when this process holds the scheduler lock, False when another one does."""
    if settings.SCHEDULER_LOCK == "redis":
        with _redis_lock() as held:
            yield held
    elif connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        with _advisory_lock() as held:
            yield held
    else:
        with _file_lock() as held:
            yield held


@contextmanager
def _advisory_lock():
    # Session-level: held by this connection until unlocked or the connection dies (a crashed scheduler
    # frees it). Behind pgbouncer in transaction mode point the scheduler at PostgreSQL directly.
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


@contextmanager
def _file_lock():
    # SQLite means one machine: a lock file beside the database file serialises its schedulers.
    name = settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"]
    path = Path(settings.VAR_DIR) / "scheduler.lock" if str(name) == ":memory:" or "mode=memory" in str(name) \
        else Path(f"{name}.scheduler.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _redis_lock():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    lock = client.lock(REDIS_LOCK_NAME, timeout=REDIS_LOCK_TTL, blocking=False)
    held = lock.acquire()
    try:
        yield held
    finally:
        if held:
            try:
                lock.release()
            except redis.exceptions.LockError:
                log.warning("scheduler Redis lock expired before release")


# --- a tick -------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    job: Job
    period: str
    ok: bool
    summary: str


def run_key(job, period):
    return f"{job.name}:{period}"


def _status(job, period):
    """"done", "retry-later" or "due" for a job's period, from the audit trail."""
    from .models import AuditLog

    rows = AuditLog.objects.filter(object_type=OBJECT_TYPE, object_id=run_key(job, period))
    if rows.filter(outcome="success").exists():
        return "done"
    if rows.filter(outcome="failure", at__gt=timezone.now() - RETRY_AFTER).exists():
        return "retry-later"
    return "due"


def _record(job, period, ok, summary):
    audit.record(event=audit.Event.CREATE, object_type=OBJECT_TYPE, object_id=run_key(job, period),
                 object_repr=f"定时任务：{job.label}（{period}）", username=ACTOR,
                 outcome="success" if ok else "failure", changes={"after": {"结果": summary}})


def run_due(now=None, jobs=None):
    """One tick: run the due jobs under the lock. Returns the outcomes (empty when another process holds
    the lock or nothing is due)."""
    now = timezone.localtime(now)
    jobs = enabled_jobs() if jobs is None else jobs
    outcomes = []
    with scheduler_lock() as held:
        if not held:
            log.info("scheduler lock held elsewhere; skipping this tick")
            return outcomes
        for job in jobs:
            period = job.period(now)
            if period is None or _status(job, period) != "due":
                continue
            try:
                summary, ok = job.run(now), True
            except Exception as exc:  # a failed job is recorded and retried later; the others still run
                log.exception("scheduled job %s failed", job.name)
                summary, ok = f"{type(exc).__name__}: {exc}"[:500], False
            _record(job, period, ok, summary)
            outcomes.append(Outcome(job, period, ok, summary))
    return outcomes


def last_runs(jobs):
    """{job name: latest AuditLog row of that job} for `dangjian scheduler --list`."""
    from .models import AuditLog

    latest = {}
    for job in jobs:
        latest[job.name] = (AuditLog.objects.filter(object_type=OBJECT_TYPE, object_id__startswith=f"{job.name}:")
                            .order_by("-id").first())
    return latest
