"""Crash safety: every write acknowledged to a client survives the server being killed.

The test runs the real production stack (gunicorn, DEBUG=0, a file database) in child processes. Client threads
create people through the JSON API (POST /api/people) and remember every write the server acknowledged (201 with
the new id). At seeded random moments the whole server process group (master and workers) is killed with SIGKILL,
often in the middle of transactions. After each kill the database is checked from a fresh process:

* SQLite: `PRAGMA integrity_check` is "ok", no foreign-key violation, and the connection really runs with
  `journal_mode=WAL` and `synchronous=FULL` (NORMAL survives a process kill but may lose the last acknowledged
  transactions on power loss);
* PostgreSQL: amcheck's `bt_index_check` passes on every B-tree index of the schema;
* every acknowledged person is present with the content that was sent (name, birth date, decrypted ID number and
  phone, organisation), with its organisation membership, status event and audit row (same transaction);
* the audit trail's hash chain is intact.

The server is then restarted and the next round of writes runs against the recovered database. The SQLite case
always runs; the PostgreSQL case runs in a scratch database (created and dropped here) when the suite itself runs
with a postgres DATABASE_URL. Each case takes about 20–30 seconds.
"""

import base64
import http.client
import itertools
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from dangjian.core import idnumber

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")

SEED = 9_2024
KILLS = 5  # SIGKILLs per database
WRITERS = 4  # concurrent client threads
WORKERS = 2  # gunicorn worker processes
MAX_WRITES_PER_ROUND = 400  # bound even if a round runs long
BOOT_TIMEOUT = 30  # seconds for gunicorn to answer /healthz

# Runs in a child process with the server's environment: migrate, one branch, a writer account and its API token.
SETUP = r"""
import json
from datetime import date

import django

django.setup()
from django.core.management import call_command

call_command("migrate", verbosity=0)
from dangjian.accounts.models import User
from dangjian.api import services
from dangjian.orgs.models import Organisation, OrgKind, Role, RoleAssignment

root = Organisation.objects.add_root(dict(name="崩溃测试区委教育工委", kind=OrgKind.WORK_COMMITTEE,
                                          founded_on=date(2010, 1, 1)))
branch = Organisation.objects.add_child(root, dict(name="崩溃测试中学党支部", kind=OrgKind.BRANCH,
                                                   founded_on=date(2010, 1, 1), unit_name="崩溃测试中学"))
user = User.objects.create_user("crash_writer")
RoleAssignment.objects.create(user=user, org=root, role=Role.ORG_ADMIN)
_, clear = services.token_create(actor=None, user=user, name="崩溃测试", expires_days=None)
print(json.dumps({"org": branch.pk, "token": clear}))
"""

# Runs in a child process after a kill (server dead): integrity, durability settings and the stored people.
CHECK = r"""
import json

import django

django.setup()
from django.db import connection

from dangjian.core.audit import Event, verify_chain
from dangjian.core.models import AuditLog
from dangjian.members.models import OrgMembership, Person, StatusEvent

out = {"vendor": connection.vendor}
with connection.cursor() as cursor:
    if connection.vendor == "sqlite":
        out["synchronous"] = cursor.execute("PRAGMA synchronous").fetchone()[0]
        out["journal_mode"] = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        out["integrity"] = [row[0] for row in cursor.execute("PRAGMA integrity_check").fetchall()]
        out["foreign_key_violations"] = len(cursor.execute("PRAGMA foreign_key_check").fetchall())
    else:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE am.amname = 'btree' AND n.nspname = current_schema() AND i.indisvalid")
        indexes = [row[0] for row in cursor.fetchall()]
        problems = []
        for name in indexes:
            try:
                cursor.execute("SELECT bt_index_check(%s::regclass, true)", [name])
            except Exception as exc:  # report every corrupt index, not only the first
                problems.append(f"{name}: {exc}")
        out["integrity"] = problems or ["ok"]
        out["indexes_checked"] = len(indexes)

out["people"] = {
    str(p.pk): [p.name, p.birth_date.isoformat(), p.get_id_number(), p.get_phone(), p.org_id]
    for p in Person.objects.all()
}
out["memberships"] = sorted(set(OrgMembership.objects.values_list("person_id", flat=True)))
out["status_events"] = sorted(set(StatusEvent.objects.values_list("person_id", flat=True)))
out["audited"] = sorted(set(AuditLog.objects.filter(event=Event.CREATE, object_type="members.person")
                            .values_list("object_id", flat=True)))
ok, checked, broken = verify_chain()
out["audit_chain"] = {"ok": ok, "checked": checked, "broken": broken}
print(json.dumps(out))
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(database_url, var_dir):
    env = {k: v for k, v in os.environ.items() if k not in {"DANGJIAN_TESTING", "DATABASE_TEST_NAME"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "dangjian.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "DANGJIAN_VAR_DIR": str(var_dir),
        "PYTHONPATH": str(ROOT),
    })
    return env


def _run_python(code, env):
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Server:
    """gunicorn in its own process group, so that SIGKILL takes the master and every worker at once."""

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = log_path
        self.proc = None
        self.port = None

    def start(self):
        self.port = _free_port()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(GUNICORN), "dangjian.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", str(WORKERS),
                 "--timeout", "60"],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited at start:\n{self.log_tail()}"
            try:
                status, _ = request(self.port, "GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"gunicorn did not answer /healthz within {BOOT_TIMEOUT} s:\n{self.log_tail()}")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)
            # Workers are in the same process group; wait until none is left holding the database.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.killpg(self.proc.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        self.proc = None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None

    def log_tail(self, lines=40):
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def request(port, method, path, body=None, token=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Host": "127.0.0.1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class Writers:
    """Client threads creating people; `acked` holds exactly the writes the server acknowledged."""

    def __init__(self, org_id, token):
        self.org_id = org_id
        self.token = token
        self.seq = itertools.count(1)
        self.lock = threading.Lock()
        self.acked = {}  # id -> expected [name, birth_date, id_number, phone, org]
        self.unanswered = 0  # requests cut off by a kill: may or may not have committed
        self.errors = []  # answered, but not 201: always a failure

    def payload(self, n):
        birth = date(1970, 1, 1) + timedelta(days=n // 400)
        body = f"110101{birth:%Y%m%d}{(n % 400) * 2 + 1:03d}"
        return {
            "org": self.org_id, "name": f"崩溃测试{n:05d}", "gender": "M", "birth_date": birth.isoformat(),
            "id_number": body + idnumber.check_digit(body), "phone": f"139{n:08d}", "status": "full",
            "joined_on": "2010-07-01", "full_member_on": "2011-07-01",
        }

    def run_round(self, port, stop, limit):
        def worker():
            while not stop.is_set():
                with self.lock:
                    n = next(self.seq)
                    if limit[0] <= 0:
                        return
                    limit[0] -= 1
                body = self.payload(n)
                try:
                    status, raw = request(port, "POST", "/api/people", body, self.token)
                except (OSError, http.client.HTTPException):
                    with self.lock:
                        self.unanswered += 1
                    return  # the server is gone: this round is over for this thread
                if status == 201:
                    data = json.loads(raw)
                    expected = [body["name"], body["birth_date"], body["id_number"], body["phone"], self.org_id]
                    with self.lock:
                        self.acked[str(data["id"])] = expected
                else:
                    with self.lock:
                        self.errors.append((status, raw[:300].decode(errors="replace")))

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(WRITERS)]
        for t in threads:
            t.start()
        return threads


def check_database(env, writers, label):
    result = _run_python(CHECK, env)
    assert result["integrity"] == ["ok"], f"{label}: integrity check failed: {result['integrity']}"
    if result["vendor"] == "sqlite":
        assert result["synchronous"] == 2, f"{label}: SQLite must run with synchronous=FULL (2)"
        assert result["journal_mode"] == "wal", label
        assert result["foreign_key_violations"] == 0, label
    else:
        assert result["indexes_checked"] > 0, label
    people = result["people"]
    missing = [pk for pk in writers.acked if pk not in people]
    assert not missing, f"{label}: {len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
    changed = {pk: (people[pk], expected) for pk, expected in writers.acked.items() if people[pk] != expected}
    assert not changed, f"{label}: acknowledged writes altered: {list(changed.items())[:3]}"
    for key in ("memberships", "status_events"):
        have = {str(pk) for pk in result[key]}
        assert not [pk for pk in people if pk not in have], f"{label}: people without {key} (torn transaction)"
    audited = set(result["audited"])
    assert not [pk for pk in people if pk not in audited], f"{label}: people without their audit row"
    assert result["audit_chain"]["ok"], f"{label}: audit hash chain broken at {result['audit_chain']['broken']}"
    return result


def crash_loop(database_url, tmp_path):
    env = _server_env(database_url, tmp_path)
    setup = _run_python(SETUP, env)
    writers = Writers(setup["org"], setup["token"])
    server = Server(env, tmp_path / "gunicorn.log")
    rng = random.Random(SEED)
    try:
        for round_no in range(1, KILLS + 1):
            server.start()
            stop = threading.Event()
            threads = writers.run_round(server.port, stop, [MAX_WRITES_PER_ROUND])
            time.sleep(rng.uniform(0.3, 2.5))  # the random moment of the crash
            server.kill()
            stop.set()
            for t in threads:
                t.join(timeout=40)
            assert not any(t.is_alive() for t in threads), "client threads hung after the kill"
            assert not writers.errors, f"round {round_no}: writes answered with an error: {writers.errors[:3]}"
            check_database(env, writers, f"after kill {round_no}")

        # The recovered server serves every acknowledged write through the API.
        server.start()
        status, raw = request(server.port, "GET", f"/api/people?org={setup['org']}&limit=1", token=setup["token"])
        assert status == 200, raw
        assert json.loads(raw)["count"] >= len(writers.acked)
        for pk in rng.sample(sorted(writers.acked), min(30, len(writers.acked))):
            status, raw = request(server.port, "GET", f"/api/people/{pk}", token=setup["token"])
            assert status == 200, raw
            data = json.loads(raw)
            assert data["name"] == writers.acked[pk][0]
            assert data["birth_date"] == writers.acked[pk][1]
        server.stop()
    finally:
        server.kill()
    # Sanity: the loop really wrote in every round.
    assert len(writers.acked) >= KILLS * WRITERS, len(writers.acked)
    return writers


def test_sqlite_acknowledged_writes_survive_sigkill_and_integrity_check_is_ok(tmp_path):
    writers = crash_loop(f"sqlite:///{tmp_path / 'crash.sqlite3'}", tmp_path)
    print(f"SQLite: {len(writers.acked)} acknowledged writes, {writers.unanswered} cut off by {KILLS} kills")


def _suite_postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.mark.skipif(_suite_postgres_url() is None,
                    reason="PostgreSQL crash test runs only when the suite runs with a postgres DATABASE_URL")
def test_postgresql_acknowledged_writes_survive_sigkill_and_indexes_are_intact(tmp_path):
    import psycopg
    from psycopg import sql

    parts = urlsplit(_suite_postgres_url())
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    name = f"dangjian_crash_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        writers = crash_loop(urlunsplit(parts._replace(path=f"/{name}")), tmp_path)
        print(f"PostgreSQL: {len(writers.acked)} acknowledged writes, {writers.unanswered} cut off by {KILLS} kills")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
