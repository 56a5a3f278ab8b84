"""Load test: concurrent users against gunicorn on 127.0.0.1, over the main pages and the API.

    .venv/bin/python benchmarks/load.py                              # 100 users, 60 s, synthetic district
    .venv/bin/python benchmarks/load.py --users 20 --duration 15     # smaller run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/load .venv/bin/python benchmarks/load.py

1. Prepare a database in a child process (production-like environment: DEBUG=0, a throwaway SECRET_KEY and
   FIELD_ENCRYPTION_KEY unless given): a temporary SQLite file by default, or the given DATABASE_URL. Migrate,
   generate the synthetic district with the `dangjian synth` generator (reused if the seed's district already
   exists), ANALYZE on PostgreSQL (fresh planner statistics, as autovacuum would have), create demo-like accounts (district viewer, school organisation administrators, branch secretaries)
   with passwords and API tokens, and pick the ids each account may see.
2. Start gunicorn (`dangjian.wsgi`, --workers N) on a free port of 127.0.0.1, in its own process group.
3. --sessions sessions (default 20, round-robin over the accounts) log in through the login form (CSRF token,
   session cookie; Argon2 is slow on purpose, so logins are outside the measured window); virtual user i shares
   session i % sessions. Every session first requests every page once (warm-up, not measured: each gunicorn
   worker imports and compiles lazily). Each virtual user then, until the deadline or the request budget is spent, requests pages
   at random (one connection per request: gunicorn's sync workers do not keep connections alive): home, organisation tree, roster (random filters), person page,
   meetings list, dues month, compliance matrix, GET /api/people and /api/orgs with a token, and /healthz — the
   trivial view whose p95 is the baseline, measured in the same run under the same load.
4. Print a table (Markdown) per page: requests, errors, p50/p95/p99 latency in ms, and p95 ÷ healthz p95.

A request is an error when it fails at the socket level, times out, answers outside 2xx/3xx, or redirects to the
login or password-change page (a lost session). The exit status is 1 when there is any error. Stops by itself:
bounded by --duration and --max-requests. Nothing here asserts on time.
"""

import argparse
import base64
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
PASSWORD_BYTES = 18

# Runs in a child process with the server's environment; prints one JSON line.
SETUP = r"""
import io
import json
import secrets
import sys

import django

django.setup()
from django.core.management import call_command
from django.db import connection

from dangjian.accounts.models import User
from dangjian.api import services as api_services
from dangjian.api.models import ApiToken
from dangjian.demo.builder import REFERENCE_DATE
from dangjian.demo.plans import synth_root_code
from dangjian.members.models import Person
from dangjian.orgs.models import BRANCH_KINDS, Organisation, OrgKind, Role, RoleAssignment

args = json.loads(sys.argv[1])
call_command("migrate", verbosity=0)
# Production storage serves hashed file names from a manifest: collect into this run's STATIC_ROOT.
call_command("collectstatic", interactive=False, verbosity=0)
code = synth_root_code(args["seed"])
created = False
if not Organisation.objects.filter(code=code).exists():
    call_command("synth", schools=args["schools"], members=args["members"], seed=args["seed"], force=True,
                 stdout=io.StringIO())
    created = True
root = Organisation.objects.get(code=code)
if connection.vendor == "postgresql":
    # Planner statistics, as autovacuum would gather them after a bulk load. Without them the planner
    # assumes the freshly filled tables are empty and the absence check on the home page takes minutes.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
subtree = Organisation.objects.filter(path__startswith=root.path)
schools = list(subtree.filter(depth=root.depth + 2).order_by("-numchild", "path")[:3])
branches = list(subtree.filter(kind__in=BRANCH_KINDS).order_by("path")[:: max(1, subtree.count() // 20)][:3])


def account(username, role, org):
    password = secrets.token_urlsafe(18) + "aA1!"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password=password, display_name=username)
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    user.role_assignments.all().delete()
    RoleAssignment.objects.create(user=user, org=org, role=role)
    ApiToken.objects.filter(user=user).delete()
    _, token = api_services.token_create(actor=None, user=user, name="压力测试", expires_days=1)
    scope = Organisation.objects.filter(path__startswith=org.path)
    people = list(Person.objects.filter(org__path__startswith=org.path).order_by("pk")
                  .values_list("pk", flat=True)[:2000])
    rng = __import__("random").Random(args["seed"])
    return {
        "username": username, "password": password, "token": token, "org": org.pk,
        "people": rng.sample(people, min(100, len(people))),
        "orgs": list(scope.exclude(kind=OrgKind.GROUP).order_by("path").values_list("pk", flat=True)[:200]),
    }


accounts = [account(f"load_district_{args['seed']}", Role.VIEWER, root)]
accounts += [account(f"load_school_{args['seed']}_{i}", Role.ORG_ADMIN, org) for i, org in enumerate(schools, 1)]
accounts += [account(f"load_secretary_{args['seed']}_{i}", Role.SECRETARY, org) for i, org in enumerate(branches, 1)]
print(json.dumps({
    "created": created, "root": root.name, "orgs": subtree.count(),
    "people": Person.objects.filter(org__path__startswith=root.path).count(),
    "month": REFERENCE_DATE.replace(day=1).isoformat()[:7], "year": REFERENCE_DATE.year,
    "accounts": accounts,
}))
"""

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SESSION_LOST = ("/accounts/login/", "/accounts/password/")


# --- HTTP -------------------------------------------------------------------------------------------------------

class Client:
    """One virtual user: a cookie jar (Secure cookies are sent: this is plain HTTP on 127.0.0.1 on purpose)."""

    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            all_headers = {"Host": "127.0.0.1", "Connection": "close"}
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            all_headers.update(headers or {})
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location") or "", data
        finally:
            conn.close()

    def login(self, username, password):
        status, _, html = self.request("GET", "/accounts/login/")
        match = CSRF_INPUT.search(html.decode(errors="replace"))
        if status != 200 or not match:
            raise RuntimeError(f"登录页异常：HTTP {status}")
        form = urlencode({"csrfmiddlewaretoken": match.group(1), "username": username, "password": password})
        status, location, _ = self.request("POST", "/accounts/login/", form.encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/"})
        if status != 302 or location.startswith("/accounts/"):
            raise RuntimeError(f"{username} 登录失败：HTTP {status} {location}")


# --- the pages ----------------------------------------------------------------------------------------------------
# Each returns (method, path, headers) for a virtual user; weights make every page get a usable sample.

ROSTER_FILTERS = {"status": ["", "members", "full", "probationary", "activist"],
                  "post": ["", "class_teacher", "backbone"], "age": ["", "31-35", "41-45"], "years": ["", "5-10"]}


def page_home(rng, acct, run):
    return "/", None


def page_org_tree(rng, acct, run):
    return "/orgs/", None


def page_roster(rng, acct, run):
    params = {"org": rng.choice(acct["orgs"])}
    for key, values in ROSTER_FILTERS.items():
        value = rng.choice(values)
        if value:
            params[key] = value
    if rng.random() < 0.3:
        params["page"] = rng.randint(1, 3)
    return "/members/?" + urlencode(params), None


def page_person(rng, acct, run):
    return f"/members/{rng.choice(acct['people'])}/", None


def page_meetings(rng, acct, run):
    return "/life/", None


def page_dues(rng, acct, run):
    return "/dues/?" + urlencode({"month": run["month"], "org": rng.choice(acct["orgs"])}), None


def page_matrix(rng, acct, run):
    return "/rules/matrix/?" + urlencode({"org": rng.choice(acct["orgs"]), "year": run["year"]}), None


def api_people(rng, acct, run):
    params = {"org": rng.choice(acct["orgs"]), "limit": 50}
    if rng.random() < 0.5:
        params["status"] = "full"
    return "/api/people?" + urlencode(params), {"Authorization": f"Bearer {acct['token']}"}


def api_orgs(rng, acct, run):
    return "/api/orgs?limit=50", {"Authorization": f"Bearer {acct['token']}"}


def healthz(rng, acct, run):
    return "/healthz", None


PAGES = [  # key, label, weight, builder
    ("healthz", "基准：/healthz", 3, healthz),
    ("home", "工作台 /", 1, page_home),
    ("org_tree", "组织树 /orgs/", 1, page_org_tree),
    ("roster", "名册（随机筛选）/members/", 2, page_roster),
    ("person", "人员页 /members/<id>/", 2, page_person),
    ("meetings", "会议列表 /life/", 1, page_meetings),
    ("dues", "党费月度 /dues/?month=", 1, page_dues),
    ("matrix", "合规矩阵 /rules/matrix/", 1, page_matrix),
    ("api_people", "接口 GET /api/people", 2, api_people),
    ("api_orgs", "接口 GET /api/orgs", 1, api_orgs),
]


# --- the run ------------------------------------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.errors = defaultdict(int)
        self.samples = []  # first error descriptions
        self.sent = 0

    def take(self, budget):
        with self.lock:
            if self.sent >= budget:
                return False
            self.sent += 1
            return True

    def add(self, key, seconds, error=None):
        with self.lock:
            self.latencies[key].append(seconds)
            if error:
                self.errors[key] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{key}: {error}")


def percentile(sorted_values, q):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def report(stats, elapsed, args, run):
    base = percentile(sorted(stats.latencies["healthz"]), 95)
    total = sum(len(v) for v in stats.latencies.values())
    errors = sum(stats.errors.values())
    lines = ["| 页面 | 请求数 | 错误 | p50 毫秒 | p95 毫秒 | p99 毫秒 | p95 ÷ 基准 p95 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for key, label, _, _ in PAGES:
        values = sorted(stats.latencies[key])
        if not values:
            lines.append(f"| {label} | 0 | 0 | — | — | — | — |")
            continue
        p50, p95, p99 = (percentile(values, q) * 1000 for q in (50, 95, 99))
        ratio = f"{p95 / (base * 1000):.1f}" if base else "—"
        lines.append(f"| {label} | {len(values)} | {stats.errors[key]} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {ratio} |")
    print()
    print(f"{args.users} 个并发用户，{elapsed:.1f} 秒（上限 {args.duration} 秒、{args.max_requests} 个请求），"
          f"gunicorn {args.workers} 个工作进程，{run['backend']}；模拟区县 {run['orgs']} 个党组织、{run['people']} 人。")
    print(f"请求 {total} 个，错误 {errors} 个，吞吐 {total / elapsed:.1f} 请求/秒。")
    print()
    print("\n".join(lines))
    if stats.samples:
        print()
        print("错误示例：")
        for sample in stats.samples:
            print("  " + sample)
    return errors


# --- setup and server -------------------------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url, var_dir):
    env = {k: v for k, v in os.environ.items() if k not in {"DANGJIAN_TESTING", "DATABASE_TEST_NAME"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "dangjian.settings",
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": os.environ.get("FIELD_ENCRYPTION_KEY") or base64.b64encode(os.urandom(32)).decode(),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "DANGJIAN_VAR_DIR": str(var_dir),
        "PYTHONPATH": str(ROOT),
    })
    return env


def prepare(env, args):
    params = json.dumps({"schools": args.schools, "members": args.members, "seed": args.seed})
    proc = subprocess.run([sys.executable, "-c", SETUP, params], env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit("准备数据失败。")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def start_server(env, port, workers, log_path):
    log = open(log_path, "ab")  # noqa: SIM115 - kept open for the server's lifetime
    proc = subprocess.Popen([str(GUNICORN), "dangjian.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
                             "--timeout", "120", "--backlog", "2048"],
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("gunicorn 启动失败：\n" + Path(log_path).read_text(errors="replace")[-3000:])
        try:
            if Client(port, 5).request("GET", "/healthz")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    sys.exit("gunicorn 60 秒内没有响应 /healthz。")


def stop_server(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main():
    parser = argparse.ArgumentParser(description="党建平台压力测试：gunicorn + 模拟区县，多用户并发访问主要页面和接口")
    parser.add_argument("--users", type=int, default=100, help="并发用户数（默认100）")
    parser.add_argument("--duration", type=float, default=60, help="持续秒数（默认60）")
    parser.add_argument("--max-requests", type=int, default=200_000, help="请求总数上限（默认200000）")
    parser.add_argument("--sessions", type=int, default=20,
                        help="登录会话数（默认20）：用户轮流共用这些会话；Argon2 登录很慢，登录不计入测量时间")
    parser.add_argument("--timeout", type=float, default=60, help="单个请求的超时秒数（默认60）")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn 工作进程数（默认 2×CPU+1）")
    parser.add_argument("--schools", type=int, default=100, help="模拟区县的学校数（默认100）")
    parser.add_argument("--members", type=int, default=4000, help="模拟区县的人数（默认4000）")
    parser.add_argument("--seed", type=int, default=1, help="模拟数据与访问顺序的随机种子（默认1）")
    parser.add_argument("--database-url", default=None,
                        help="使用给定的数据库（先迁移；该种子的模拟区县不存在时生成）；默认用临时 SQLite 文件")
    args = parser.parse_args()
    if min(args.users, args.sessions, args.max_requests, args.workers) < 1 or args.duration <= 0:
        parser.error("--users、--sessions、--duration、--max-requests、--workers 须为正数。")

    with tempfile.TemporaryDirectory(prefix="dangjian-load-") as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/load.sqlite3"
        env = server_env(database_url, tmp)
        started = time.perf_counter()
        print("正在迁移并生成模拟区县……", file=sys.stderr, flush=True)
        run = prepare(env, args)
        run["backend"] = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        print(f"准备用时 {time.perf_counter() - started:.1f} 秒（{'新生成' if run['created'] else '沿用已有'}模拟区县"
              f"“{run['root']}”）。", file=sys.stderr, flush=True)

        port = _free_port()
        server = start_server(env, port, args.workers, Path(tmp) / "gunicorn.log")
        try:
            print(f"{args.users} 个用户正在登录……", file=sys.stderr, flush=True)
            stats = Stats()
            started = time.perf_counter()
            # Logins are outside the measured window (Argon2 is slow on purpose); at most 8 at a time.
            sessions = min(args.users, args.sessions)
            try:
                with ThreadPoolExecutor(max_workers=min(8, sessions)) as pool:
                    logged_in = list(pool.map(lambda i: _login(i, port, run, args), range(sessions)))
            except (RuntimeError, OSError, http.client.HTTPException) as exc:
                log = (Path(tmp) / "gunicorn.log").read_text(errors="replace")[-3000:]
                sys.exit(f"登录失败：{exc}\n{log}")
            print(f"{sessions} 个会话登录用时 {time.perf_counter() - started:.1f} 秒；开始计时。", file=sys.stderr, flush=True)
            # Virtual user i shares session i % sessions (and its account), with its own copy of the cookies.
            clients = []
            for i in range(args.users):
                client = Client(port, args.timeout)
                client.cookies = dict(logged_in[i % sessions].cookies)
                client.account = logged_in[i % sessions].account
                clients.append(client)

            # Warm-up, not measured: every session requests every page once, so that each gunicorn worker has
            # imported its modules and compiled its templates before the clock starts.
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=min(8, sessions)) as pool:
                failures = [e for e in pool.map(lambda c: _warm_up(c, run), logged_in) if e]
            if failures:
                sys.exit("预热失败：" + "；".join(failures[:5]))
            print(f"预热用时 {time.perf_counter() - started:.1f} 秒。", file=sys.stderr, flush=True)

            started = time.perf_counter()
            deadline = time.monotonic() + args.duration
            threads = []
            for i, client in enumerate(clients):
                t = threading.Thread(target=_run_user, args=(i, client, run, args, stats, deadline), daemon=True)
                threads.append(t)
                t.start()
            for t in threads:
                t.join(args.duration + args.timeout + 5)
            elapsed = time.perf_counter() - started
        finally:
            stop_server(server)
        errors = report(stats, elapsed, args, run)
    sys.exit(1 if errors else 0)


def _login(index, port, run, args):
    acct = run["accounts"][index % len(run["accounts"])]
    client = Client(port, args.timeout)
    client.login(acct["username"], acct["password"])
    client.account = acct
    return client


def _warm_up(client, run):
    rng = random.Random(0)
    for key, _, _, builder in PAGES:
        path, headers = builder(rng, client.account, run)
        try:
            status = client.request("GET", path, headers=headers)[0]
        except (OSError, http.client.HTTPException) as exc:
            return f"{key}: {exc}"
        if not 200 <= status < 400:
            return f"{key}: HTTP {status} {path}"
    return None


def _run_user(index, client, run, args, stats, deadline):
    """The virtual user's loop, with its logged-in client."""
    rng = random.Random(f"{args.seed}-{index}")
    acct = client.account
    keys = [p[0] for p in PAGES]
    weights = [p[2] for p in PAGES]
    builders = {p[0]: p[3] for p in PAGES}
    port = client.port
    while time.monotonic() < deadline and stats.take(args.max_requests):
        key = rng.choices(keys, weights)[0]
        path, headers = builders[key](rng, acct, run)
        started = time.perf_counter()
        error = None
        try:
            status, location, _ = client.request("GET", path, headers=headers)
            if not 200 <= status < 400:
                error = f"HTTP {status} {path}"
            elif location.startswith(SESSION_LOST) or any(f"//127.0.0.1:{port}{p}" in location for p in SESSION_LOST):
                error = f"会话失效：{path} → {location}"
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc} {path}"
        stats.add(key, time.perf_counter() - started, error)


if __name__ == "__main__":
    main()
