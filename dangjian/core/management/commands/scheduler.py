"""`dangjian scheduler [--once | --list] [--interval 60]`: run the scheduled jobs (see core/scheduling.py).

Run it on every app server (e.g. a systemd service beside `dangjian serve`): a lock makes each job run once.
"""

import signal
import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from dangjian.core import scheduling


class Command(BaseCommand):
    help = ("定时任务：每月生成党费账单、每天备份、夜间问题清单检查、审计链校验。"
            "可在每台应用服务器上运行，数据库锁（或 Redis 锁）保证每项任务只执行一次；运行记录写入审计日志。")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="只检查并执行一次到期任务后退出（供 cron 或 systemd 定时器使用）")
        parser.add_argument("--list", action="store_true", dest="list_jobs", help="列出任务、执行时间和最近一次运行")
        parser.add_argument("--interval", type=int, default=60, help="两次检查之间的秒数（默认 60）")
        parser.add_argument("--at", default=None,
                            help="与 --once 同用：按指定的本地时间（YYYY-MM-DDTHH:MM）判断哪些任务到期，用于补跑或演练")

    def handle(self, *args, once=False, list_jobs=False, interval=60, at=None, **options):
        try:
            jobs = scheduling.enabled_jobs()
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if list_jobs:
            return self._list(jobs)
        if interval < 1:
            raise CommandError("--interval 必须是正整数。")
        when = None
        if at is not None:
            if not once:
                raise CommandError("--at 只能与 --once 一起使用。")
            try:
                when = timezone.make_aware(datetime.fromisoformat(at))
            except ValueError:
                raise CommandError(f"--at 格式应为 YYYY-MM-DDTHH:MM：{at}") from None
        if once:
            self._tick(jobs, when)
            return
        stopping = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.append(True))
        self.stdout.write(f"定时任务已启动：{len(jobs)} 项任务，每 {interval} 秒检查一次。")
        self.stdout.flush()
        while not stopping:
            try:
                self._tick(jobs)
            finally:
                connections.close_all()  # hold no connection (or pool slot) between ticks
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(1.0, deadline - time.monotonic()))
        self.stdout.write("定时任务已停止。")

    def _tick(self, jobs, when=None):
        outcomes = scheduling.run_due(when, jobs=jobs)
        for outcome in outcomes:
            status = "完成" if outcome.ok else "失败"
            line = f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {outcome.job.label}（{outcome.period}）{status}：{outcome.summary}"
            self.stdout.write(self.style.SUCCESS(line) if outcome.ok else self.style.ERROR(line))
        self.stdout.flush()

    def _list(self, jobs):
        latest = scheduling.last_runs(jobs)
        for job in jobs:
            row = latest[job.name]
            last = "从未运行" if row is None else (
                f"{timezone.localtime(row.at):%Y-%m-%d %H:%M} {row.get_outcome_display()}（{row.object_id.split(':', 1)[1]}）")
            self.stdout.write(f"{job.name:<14}{job.label}  {job.schedule_label}  最近：{last}")
