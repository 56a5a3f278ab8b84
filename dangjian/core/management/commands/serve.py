"""`dangjian serve`: the production web server (gunicorn), after the checks that would make it fail at once.

Host and port come from settings (SERVE_HOST, SERVE_PORT environment variables); workers default to
2 × CPU cores + 1, capped at MAX_WORKERS, and WEB_CONCURRENCY overrides. The command checks first and
refuses to start when: DEBUG is on (unless --dev), Django's system checks (with the deployment tags)
report an error, the field-encryption key cannot be loaded, the database is unreachable or has unapplied
migrations, or (production) the collected static files are missing. Then it replaces itself with
gunicorn (exec), so signals reach gunicorn's master directly: SIGTERM or SIGINT stop it gracefully
(requests in progress get --graceful-timeout seconds), SIGHUP reloads the workers.
"""

import os
import sys

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

MAX_WORKERS = 12


def default_workers(cpu_count=None, environ=None):
    """WEB_CONCURRENCY when set (a positive integer), else 2 × cores + 1 capped at MAX_WORKERS."""
    environ = os.environ if environ is None else environ
    raw = (environ.get("WEB_CONCURRENCY") or "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise CommandError(f"WEB_CONCURRENCY 必须是正整数，当前为 {raw!r}") from None
        if value < 1:
            raise CommandError(f"WEB_CONCURRENCY 必须是正整数，当前为 {raw!r}")
        return value
    cores = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    return min(2 * cores + 1, MAX_WORKERS)


def gunicorn_argv(*, host, port, workers, timeout, graceful_timeout, access_log, dev):
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    argv = [
        sys.executable, "-m", "gunicorn", "dangjian.wsgi:application",
        "--bind", bind,
        "--workers", str(workers),
        "--timeout", str(timeout),
        "--graceful-timeout", str(graceful_timeout),
        "--access-logfile", access_log,
        "--error-logfile", "-",
        "--access-logformat", '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"',
        # X-Forwarded-* are honoured only from the local reverse proxy (nginx on the same machine).
        "--forwarded-allow-ips", "127.0.0.1,::1",
        "--name", "dangjian",
    ]
    if os.path.isdir("/dev/shm"):
        argv += ["--worker-tmp-dir", "/dev/shm"]  # heartbeat files in memory: no stalls on a busy disk
    if dev:
        argv.append("--reload")
    return argv


class Command(BaseCommand):
    help = "以生产方式启动网站（gunicorn）；启动前检查配置、数据库、密钥和静态文件。"
    requires_system_checks = []  # run below, with the deployment tags, and reported in our words

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="监听地址（默认 settings.SERVE_HOST，即环境变量 SERVE_HOST 或 127.0.0.1）")
        parser.add_argument("--port", type=int, default=None, help="端口（默认 settings.SERVE_PORT，即环境变量 SERVE_PORT 或 8000）")
        parser.add_argument("--workers", type=int, default=None,
                            help=f"工作进程数（默认 WEB_CONCURRENCY，或 CPU 核数×2+1，最多 {MAX_WORKERS}）")
        parser.add_argument("--timeout", type=int, default=120, help="单个请求最长秒数，超时重启该工作进程（默认 120）")
        parser.add_argument("--graceful-timeout", type=int, default=30,
                            help="收到停止信号后等待进行中请求完成的秒数（默认 30）")
        parser.add_argument("--access-log", default="-", help="访问日志文件（默认 - 即标准输出）")
        parser.add_argument("--dev", action="store_true", help="开发模式：允许 DEBUG=1，代码改动后自动重载")
        parser.add_argument("--check-only", action="store_true", help="只做启动前检查，不启动")

    def handle(self, *args, **options):
        dev = options["dev"]
        if settings.DEBUG and not dev:
            raise CommandError("DEBUG 已开启，拒绝以生产方式启动：请设置 DEBUG=0，或开发时加 --dev。")
        workers = options["workers"] or default_workers()
        if workers < 1:
            raise CommandError("--workers 必须是正整数。")
        host = options["host"] or settings.SERVE_HOST
        port = options["port"] or settings.SERVE_PORT
        if not 0 < port < 65536:
            raise CommandError(f"端口 {port} 无效。")
        self.preflight(dev=dev)
        argv = gunicorn_argv(host=host, port=port, workers=workers, timeout=options["timeout"],
                             graceful_timeout=options["graceful_timeout"], access_log=options["access_log"], dev=dev)
        self.stdout.write(f"启动检查通过。gunicorn：{host}:{port}，{workers} 个工作进程。")
        if options["check_only"]:
            return
        self.stdout.flush()
        sys.stderr.flush()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
        connections.close_all()
        os.execv(sys.executable, argv)

    # --- checks before start ---------------------------------------------------------------------

    def preflight(self, *, dev):
        problems = []
        messages = checks.run_checks(include_deployment_checks=not dev)
        for message in messages:
            if message.is_serious():
                problems.append(f"系统检查错误 {message.id}：{message.msg}")
            elif not message.is_silenced():
                self.stderr.write(f"提示 {message.id}：{message.msg}")
        if settings.SECRET_KEY.startswith("insecure-") and not dev:
            problems.append("SECRET_KEY 仍是开发用的默认值，请设置环境变量 SECRET_KEY。")
        try:
            from dangjian.core import crypto

            crypto.reset_keys()
            crypto.keyring()
        except (ImproperlyConfigured, ValueError, OSError) as exc:
            problems.append(f"字段加密密钥无法加载：{exc}")
        try:
            connection = connections[DEFAULT_DB_ALIAS]
            connection.ensure_connection()
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                problems.append(f"数据库有 {len(pending)} 个迁移尚未执行，请先运行 dangjian migrate。")
        except Exception as exc:  # any driver error: report it, do not start
            problems.append(f"无法连接数据库：{type(exc).__name__}: {exc}")
        if not dev and not settings.DEBUG:
            manifest = os.path.join(settings.STATIC_ROOT, "staticfiles.json")
            if not os.path.exists(manifest):
                problems.append(f"静态文件尚未收集（{settings.STATIC_ROOT} 中没有 staticfiles.json），"
                                "请先运行 dangjian collectstatic --noinput。")
        if problems:
            raise CommandError("启动前检查未通过：\n- " + "\n- ".join(problems))
