"""`dangjian scheduler`: jobs run once per period, under a lock, with runs recorded in the audit trail."""

import fcntl
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection
from zoneinfo import ZoneInfo

from dangjian.core import scheduling
from dangjian.core.models import AuditLog
from dangjian.core.scheduling import JOBS, Job, run_due

TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=TZ)


class Counter:
    def __init__(self, fail=False):
        self.calls = []
        self.fail = fail

    def __call__(self, now):
        self.calls.append(now)
        if self.fail:
            raise RuntimeError("磁盘已满")
        return f"第 {len(self.calls)} 次"


def daily(counter, name="test_daily"):
    return Job(name, "测试任务", time(2, 0), counter)


@contextmanager
def lock_held_elsewhere():
    """Another scheduler (another connection / open file) holds the lock."""
    if connection.vendor == "postgresql":
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(%s)", [scheduling.LOCK_KEY])
            yield
            other.execute("SELECT pg_advisory_unlock(%s)", [scheduling.LOCK_KEY])
    else:
        name = django_settings.DATABASES["default"]["NAME"]
        path = Path(django_settings.VAR_DIR) / "scheduler.lock" if ("memory" in str(name)) else Path(f"{name}.scheduler.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
            fcntl.flock(handle, fcntl.LOCK_UN)


def test_daily_period_the_minute_before_at_and_after():
    job = daily(Counter())
    assert job.period(at(2026, 11, 3, 1, 59)) is None
    assert job.period(at(2026, 11, 3, 2, 0)) == "2026-11-03"
    assert job.period(at(2026, 11, 3, 23, 59)) == "2026-11-03"
    assert job.schedule_label == "每天 02:00"


def test_monthly_period():
    job = JOBS["dues_bills"]
    assert job.period(at(2026, 11, 1, 0, 59)) is None
    assert job.period(at(2026, 11, 1, 1, 0)) == "2026-11"
    assert job.period(at(2026, 11, 30, 12, 0)) == "2026-11"  # a scheduler that was down catches up
    assert job.schedule_label == "每月 1 日 01:00"


def test_job_runs_once_per_period_and_is_audited(db):
    counter = Counter()
    job = daily(counter)
    assert run_due(at(2026, 11, 3, 1, 0), jobs=[job]) == []  # not yet due
    outcomes = run_due(at(2026, 11, 3, 2, 1), jobs=[job])
    assert [(o.period, o.ok, o.summary) for o in outcomes] == [("2026-11-03", True, "第 1 次")]
    assert run_due(at(2026, 11, 3, 2, 2), jobs=[job]) == []  # a second scheduler, later: already done
    assert len(counter.calls) == 1
    row = AuditLog.objects.get(object_type="scheduler")
    assert (row.object_id, row.outcome, row.username) == ("test_daily:2026-11-03", "success", "(定时任务)")
    assert row.changes == {"after": {"结果": "第 1 次"}}
    run_due(at(2026, 11, 4, 2, 0), jobs=[job])  # the next day
    assert len(counter.calls) == 2


def test_nothing_runs_while_another_scheduler_holds_the_lock(db):
    counter = Counter()
    with lock_held_elsewhere():
        assert run_due(at(2026, 11, 3, 3, 0), jobs=[daily(counter)]) == []
    assert counter.calls == []
    assert len(run_due(at(2026, 11, 3, 3, 0), jobs=[daily(counter)])) == 1


def test_failed_job_is_recorded_and_retried_later_and_others_still_run(db, monkeypatch):
    failing, fine = Counter(fail=True), Counter()
    jobs = [daily(failing, "broken"), daily(fine, "fine")]
    outcomes = run_due(at(2026, 11, 3, 2, 0), jobs=jobs)
    assert [(o.job.name, o.ok) for o in outcomes] == [("broken", False), ("fine", True)]
    assert "磁盘已满" in outcomes[0].summary
    assert AuditLog.objects.get(object_id="broken:2026-11-03").outcome == "failure"
    assert run_due(at(2026, 11, 3, 2, 5), jobs=jobs) == []  # retried only after RETRY_AFTER
    failing.fail = False
    monkeypatch.setattr(scheduling, "RETRY_AFTER", timedelta(0))  # as if half an hour had passed
    retried = run_due(at(2026, 11, 3, 2, 40), jobs=jobs)
    assert [(o.job.name, o.ok) for o in retried] == [("broken", True)]
    assert len(failing.calls) == 2


def test_real_jobs_run(tree, settings):
    settings.SCHEDULER_JOBS = ["dues_bills", "findings", "audit_verify"]
    outcomes = run_due(at(2026, 11, 1, 5, 0))
    assert {o.job.name: o.ok for o in outcomes} == {"dues_bills": True, "findings": True, "audit_verify": True}
    summaries = {o.job.name: o.summary for o in outcomes}
    assert summaries["findings"].startswith("检查 7 个组织")
    assert summaries["audit_verify"].startswith("审计链完整")


def test_backup_job(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    outcome, = run_due(at(2026, 11, 3, 2, 0), jobs=[JOBS["backup"]])
    assert outcome.ok, outcome.summary
    assert list((tmp_path / "backups").glob("*"))


def test_unknown_job_in_settings(db, settings):
    settings.SCHEDULER_JOBS = ["dues_bills", "coffee"]
    with pytest.raises(CommandError, match="未知的任务：coffee"):
        call_command("scheduler", "--once")


def test_command_once_and_list(tree, settings):
    settings.SCHEDULER_JOBS = ["audit_verify"]
    out = StringIO()
    call_command("scheduler", "--list", stdout=out)
    assert "audit_verify  审计链校验  每天 04:00  最近：从未运行" in out.getvalue()
    AuditLog.objects.create(at=at(2026, 11, 3, 4, 0), event="create", object_type="scheduler",
                            object_id="audit_verify:2026-11-03", outcome="success", prev_hash="x", hash="y")
    out = StringIO()
    call_command("scheduler", "--list", stdout=out)
    assert "最近：2026-11-03 04:00 成功（2026-11-03）" in out.getvalue()


def test_redis_lock(settings):
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    settings.SCHEDULER_LOCK = "redis"
    with scheduling.scheduler_lock() as first:
        with scheduling.scheduler_lock() as second:
            assert (first, second) == (True, False)
    with scheduling.scheduler_lock() as again:
        assert again is True


def test_command_once_at_a_given_time(tree, settings):
    settings.SCHEDULER_JOBS = ["audit_verify", "dues_bills"]
    out = StringIO()
    call_command("scheduler", "--once", "--at", "2026-11-01T03:00", stdout=out)
    assert "生成当月党费账单（2026-11）完成" in out.getvalue()
    assert "审计链校验" not in out.getvalue()  # due at 04:00
    assert AuditLog.objects.filter(object_type="scheduler").count() == 1
    with pytest.raises(CommandError, match="格式"):
        call_command("scheduler", "--once", "--at", "明天")
    with pytest.raises(CommandError, match="只能与 --once"):
        call_command("scheduler", "--at", "2026-11-01T03:00")
