"""Proof on one machine that the platform runs as a cluster: PostgreSQL primary + streaming replica, two
stateless gunicorn app servers, one of them killed mid-run, scheduled jobs run once.

    .venv/bin/python deploy/proof/cluster_proof.py [--requests 240] [--clients 4] [--keep]

Needs the PostgreSQL 15 server binaries (/usr/lib/postgresql/15/bin, or PG_BIN) with pg_stat_statements, and
Redis on 127.0.0.1:6379 (REDIS_URL to change; --no-redis to run without). Everything lives in a temporary
directory on loopback ports and is stopped and removed at the end (--keep keeps the directory).
Exit code 0 only when every check passes. Prints a report in Chinese.
"""

import argparse
import base64
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "Demo@2024"
USERS = ["district_viewer", "district_admin", "school_admin", "branch_secretary"]
# (path, read from the replica?) — the report-like screens are listed in settings.DATABASE_REPLICA_VIEWS.
PAGES = [("/", False), ("/members/", False), ("/rules/matrix/", True), ("/rules/findings/", True),
         ("/dues/arrears/", True), ("/dues/publication/", True)]
MARKER_TABLES = ("compliance_", "life_", "dues_")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def step(text):
    print(f"\n== {text}", flush=True)


class Cluster:
    def __init__(self, workdir, *, redis_url):
        self.dir = workdir
        self.redis_url = redis_url
        self.primary_port, self.replica_port = free_port(), free_port()
        self.app_ports = [free_port(), free_port()]
        self.apps = {}
        self.pg_started = []
        self.as_postgres = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]

    # --- PostgreSQL ---------------------------------------------------------------------------------------

    def pg(self, *args, **kwargs):
        return subprocess.run([*self.as_postgres, *map(str, args)], check=True, capture_output=True, text=True,
                              **kwargs)

    def psql(self, port, sql, db="dangjian"):
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db, "-At",
                              "-c", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def start_postgres(self):
        pgdir = self.dir / "pg"
        pgdir.mkdir()
        if self.as_postgres:
            shutil.chown(pgdir, "postgres", "postgres")
        primary, replica = pgdir / "primary", pgdir / "replica"
        self.pg(PG_BIN / "initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        with open(primary / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.primary_port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{pgdir}'\n"
                       "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nfsync = off\n"
                       "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n"
                       "max_connections = 100\n")
        with open(primary / "pg_hba.conf", "a") as hba:
            hba.write("\nhost replication postgres 127.0.0.1/32 trust\n")
        self.pg(PG_BIN / "pg_ctl", "-D", primary, "-l", pgdir / "primary.log", "-w", "start")
        self.pg_started.append(primary)
        self.psql(self.primary_port, "CREATE DATABASE dangjian", db="postgres")
        self.psql(self.primary_port, "CREATE EXTENSION pg_stat_statements")
        self.pg(PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", self.primary_port, "-U", "postgres",
                "-D", replica, "-R", "-X", "stream", "--checkpoint=fast")
        with open(replica / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.replica_port}\n")
        self.pg(PG_BIN / "pg_ctl", "-D", replica, "-l", pgdir / "replica.log", "-w", "start")
        self.pg_started.append(replica)
        state = self.psql(self.replica_port, "SELECT pg_is_in_recovery()")
        senders = self.psql(self.primary_port, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
        print(f"主库 127.0.0.1:{self.primary_port}，从库 127.0.0.1:{self.replica_port}（pg_is_in_recovery={state}，"
              f"主库流复制连接 {senders} 个）")
        return state == "t" and senders == "1"

    def stop_postgres(self):
        for data in reversed(self.pg_started):
            subprocess.run([*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                           capture_output=True)
        self.pg_started.clear()

    # --- the application ----------------------------------------------------------------------------------

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DATABASE", "DANGJIAN", "REDIS", "S3_", "SCHEDULER", "DEBUG"))}
        env.update({
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.primary_port}/dangjian",
            "DATABASE_REPLICA_URLS": f"postgres://postgres@127.0.0.1:{self.replica_port}/dangjian",
            "DEBUG": "0", "SECRET_KEY": self.secret, "FIELD_ENCRYPTION_KEY": self.field_key,
            "DANGJIAN_VAR_DIR": str(self.dir / "var"), "STATIC_ROOT": str(self.dir / "static"),
            "SECURE_SSL_REDIRECT": "0", "SECURE_COOKIES": "0", "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost", "IMPORT_IN_THREAD": "0",
        })
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        env.update(extra)
        return env

    def manage(self, *args, **extra):
        started = time.perf_counter()
        subprocess.run([str(ROOT / ".venv" / "bin" / "dangjian"), *args],
                       check=True, env=self.env(**extra), cwd=ROOT, capture_output=True, text=True)
        return time.perf_counter() - started

    def prepare(self):
        self.secret = secrets.token_urlsafe(50)
        self.field_key = base64.b64encode(secrets.token_bytes(32)).decode()
        print(f"migrate：{self.manage('migrate', '--noinput'):.1f} 秒")
        print(f"demo（演示区县）：{self.manage('demo', '--force'):.1f} 秒")
        print(f"collectstatic：{self.manage('collectstatic', '--noinput'):.1f} 秒")

    def start_app(self, port):
        log = open(self.dir / f"app-{port}.log", "w")
        process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "dangjian.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--timeout", "60", "--access-logfile", "-", "--name", f"dangjian-{port}"],
            env=self.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.apps[port] = process
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"应用服务器 {port} 未能启动，见 {log.name}")

    def kill_app(self, port):
        process = self.apps.pop(port)
        os.killpg(process.pid, signal.SIGKILL)  # the whole gunicorn (master and workers), abruptly
        process.wait()

    def stop_apps(self):
        for port in list(self.apps):
            process = self.apps.pop(port)
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)


class Client:
    """One browser: its own cookies; each request goes to the next app server, and to the other one when
    the connection fails (what a load balancer's retry does)."""

    def __init__(self, ports, stats):
        self.ports = ports
        self.cookies = {}
        self.stats = stats
        self.turn = random.randrange(len(ports))
        self.down_until = {}  # port -> time before which it is not tried (a load balancer's passive check)

    def request(self, method, path, body=None):
        now = time.monotonic()
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, (v, expires) in self.cookies.items()
                                       if expires is None or expires > now)}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.ports[0]}/accounts/login/"
        for attempt in range(len(self.ports) * 2):
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
            if self.down_until.get(port, 0) > time.monotonic() and attempt < len(self.ports):
                continue
            headers["Host"] = "127.0.0.1"
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read().decode("utf-8", "replace")
            except (ConnectionError, http.client.HTTPException, OSError):
                self.stats.add("retries")
                self.down_until[port] = time.monotonic() + 10
                continue
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    self.set_cookie(value)
            self.stats.add(f"port:{port}")
            return response.status, data
        self.stats.add("failed")
        return None, ""

    def set_cookie(self, header):
        """Honour Max-Age like a browser (the stick-to-primary cookie lives a few seconds)."""
        name, _, rest = header.partition("=")
        value, *attributes = rest.split(";")
        expires = None
        for attribute in attributes:
            key, _, number = attribute.strip().partition("=")
            if key.lower() == "max-age":
                expires = time.monotonic() + int(number)
        self.cookies[name] = (value, expires)

    def login(self, username):
        status, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = f"csrfmiddlewaretoken={token}&username={username}&password={PASSWORD.replace('@', '%40')}"
        status, _ = self.request("POST", "/accounts/login/", body)
        return status == 302


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.errors = []

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n


def drive(cluster, *, requests, clients, kill_at):
    stats = Stats()
    ports = list(cluster.app_ports)
    done = [0]
    killed = threading.Event()
    lock = threading.Lock()

    def user(index):
        username = USERS[index % len(USERS)]
        client = Client(ports, stats)
        if not client.login(username):
            stats.errors.append(f"{username} 登录失败")
            return
        while True:
            with lock:
                if done[0] >= requests:
                    return
                done[0] += 1
                n = done[0]
                if n == kill_at and not killed.is_set():
                    killed.set()
                    cluster.kill_app(ports[0])
                    print(f"第 {n} 个请求时强行终止应用服务器 127.0.0.1:{ports[0]}（SIGKILL 整个进程组）", flush=True)
            path, _ = PAGES[n % len(PAGES)]
            status, page = client.request("GET", path)
            stats.add("requests")
            if status != 200:
                stats.errors.append(f"{username} GET {path} → {status}")
            elif "退出" not in page:  # a logged-in page (the other server knew the session)
                stats.errors.append(f"{username} GET {path}：未处于登录状态")

    threads = [threading.Thread(target=user, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats, time.perf_counter() - started


def statement_calls(cluster, port):
    rows = cluster.psql(port, "SELECT query, calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                              "WHERE d.datname = 'dangjian' AND query ILIKE 'select%'")
    marker, total = 0, 0
    for line in rows.splitlines():
        query, _, calls = line.rpartition("|")
        total += int(calls)
        if any(f'"{t}' in query for t in MARKER_TABLES):
            marker += int(calls)
    return total, marker


def prove_routing(cluster):
    client = Client([p for p in cluster.app_ports if p in cluster.apps], Stats())
    client.login(USERS[0])
    time.sleep(11)  # the stick-to-primary cookie of the login (DATABASE_REPLICA_STICKY_SECONDS=10) expires
    results = {}
    for kind, pages in (("报表页", [p for p, r in PAGES if r]), ("其他页", [p for p, r in PAGES if not r])):
        for port in (cluster.primary_port, cluster.replica_port):
            cluster.psql(port, "SELECT pg_stat_statements_reset()")
        for path in pages:
            client.request("GET", path)
        primary, replica = (statement_calls(cluster, port) for port in (cluster.primary_port, cluster.replica_port))
        results[kind] = (primary, replica)
        print(f"{kind} {', '.join(pages)}：主库 SELECT {primary[0]} 次（业务表 {primary[1]}），"
              f"从库 SELECT {replica[0]} 次（业务表 {replica[1]}）")
    (report_primary, report_replica), (other_primary, other_replica) = results["报表页"], results["其他页"]
    return report_replica[1] > 0 and report_primary[1] == 0 and other_replica[1] == 0 and other_primary[1] > 0


def prove_scheduler(cluster):
    """Two schedulers (one per app server) at the same moment: each job runs once."""
    when = time.strftime("%Y-%m-%d") + "T05:00"
    env = cluster.env(SCHEDULER_JOBS="dues_bills,findings,audit_verify")
    command = [str(ROOT / ".venv" / "bin" / "dangjian"), "scheduler", "--once", "--at", when]
    procs = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    again = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True).stdout
    rows = cluster.psql(cluster.primary_port, "SELECT object_id, outcome FROM core_auditlog "
                                               "WHERE object_type = 'scheduler' ORDER BY object_id")
    for index, output in enumerate(outputs, 1):
        print(f"调度器 {index}：" + (output.strip().replace("\n", "\n          ") or "（未取得锁或无到期任务）"))
    print(f"稍后再运行一次：{again.strip() or '无到期任务（均已完成）'}")
    print("审计日志中的运行记录：" + ", ".join(rows.splitlines()))
    runs = rows.splitlines()
    return len(runs) == 3 and len({r.split(':')[0] for r in runs}) == 3 and all(r.endswith("|success") for r in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=240)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="dangjian-proof-"))
    os.chmod(workdir, 0o755)
    cluster = Cluster(workdir, redis_url=None if args.no_redis else os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"))
    checks = {}
    try:
        step("1. PostgreSQL 主库 + 流复制从库（initdb、pg_basebackup -R）")
        checks["从库以流复制方式运行"] = cluster.start_postgres()
        step("2. 迁移并载入演示数据（写主库，经流复制到达从库）")
        cluster.prepare()
        time.sleep(1)
        lsn = cluster.psql(cluster.primary_port, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        replayed = cluster.psql(cluster.replica_port, "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn")
        people = cluster.psql(cluster.replica_port, "SELECT count(*) FROM members_person")
        print(f"主库 WAL 位置 {lsn}，从库已回放 {replayed}；从库上的人员 {people} 人")
        checks["演示数据已复制到从库"] = int(people) > 0
        step(f"3. 两台应用服务器（gunicorn，各 2 个工作进程）：{cluster.app_ports}")
        for port in cluster.app_ports:
            cluster.start_app(port)
        for port in (cluster.primary_port, cluster.replica_port):
            cluster.psql(port, "SELECT pg_stat_statements_reset()")
        step(f"4. {args.clients} 个用户轮流访问两台服务器，共 {args.requests} 个页面请求；中途强行终止一台")
        stats, elapsed = drive(cluster, requests=args.requests, clients=args.clients, kill_at=args.requests // 2)
        counts = stats.counts
        served = {port: counts.get(f"port:{port}", 0) for port in cluster.app_ports}
        print(f"用时 {elapsed:.1f} 秒；完成 {counts.get('requests', 0)} 个请求（另有登录请求）；各服务器应答："
              + "，".join(f"{p}：{n}" for p, n in served.items())
              + f"；连接失败后改投另一台 {counts.get('retries', 0)} 次；重试后仍失败 {counts.get('failed', 0)} 个")
        for error in stats.errors[:10]:
            print("  错误：" + error)
        checks["重试后没有失败的用户请求"] = counts.get("failed", 0) == 0 and not stats.errors
        checks["两台服务器都分担了请求"] = all(served.values())
        checks["终止后请求改投另一台"] = counts.get("retries", 0) > 0
        step("5. 读写分离：报表类页面读从库，其余页面读主库（pg_stat_statements，两库分别统计）")
        primary_total, primary_marker = statement_calls(cluster, cluster.primary_port)
        replica_total, replica_marker = statement_calls(cluster, cluster.replica_port)
        print(f"上面的全部流量：主库 SELECT {primary_total} 次，从库 SELECT {replica_total} 次"
              "（登录后 10 秒内的页面按“写后读主库”规则读主库）")
        checks["报表页读从库、其他页读主库"] = prove_routing(cluster)
        step("6. 定时任务：两台服务器上的调度器同时运行，每项任务只执行一次")
        checks["定时任务只执行一次"] = prove_scheduler(cluster)
    finally:
        cluster.stop_apps()
        cluster.stop_postgres()
        if args.keep:
            print(f"\n临时目录保留在 {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    step("结论")
    for name, ok in checks.items():
        print(f"{'通过' if ok else '未通过'}  {name}")
    ok = len(checks) == 7 and all(checks.values())
    print("全部通过。" if ok else "有检查未通过。")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
