"""`dangjian serve` in production mode: gunicorn + WhiteNoise, the security headers, a 404 that leaks nothing.

The server runs in a subprocess with a production-like environment (DEBUG=0, no test settings) on a free
loopback port, against a throwaway SQLite database and a throwaway STATIC_ROOT filled by collectstatic.
"""

import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from dangjian.core.management.commands.serve import MAX_WORKERS, default_workers

ROOT = Path(__file__).resolve().parent.parent
KEY = base64.b64encode(b"k" * 32).decode()


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp, **extra):
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "dangjian.settings",
        "DEBUG": "0",
        "SECRET_KEY": "serve-test-" + "x" * 50,
        "FIELD_ENCRYPTION_KEY": KEY,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DANGJIAN_VAR_DIR": str(tmp / "var"),
        "STATIC_ROOT": str(tmp / "static"),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def _dangjian(*args, env, timeout=180):
    return subprocess.run([sys.executable, "-m", "dangjian.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback test server
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A migrated database and collected static files, shared by the tests of this module."""
    tmp = tmp_path_factory.mktemp("serve")
    env = _env(tmp)
    for args in (("migrate", "--noinput"), ("collectstatic", "--noinput")):
        result = _dangjian(*args, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp / "static" / "staticfiles.json").exists()
    return tmp


@pytest.fixture(scope="module")
def server(prepared):
    port = _free_port()
    log = open(prepared / "server.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "dangjian.cli", "serve", "--port", str(port), "--workers", "2"],
                               cwd=ROOT, env=_env(prepared), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"dangjian serve exited with {process.returncode}:\n{log.read()[-3000:]}")
        try:
            status, _, body = _get(base + "/healthz")
            if status == 200:
                break
        except (urllib.error.URLError, ConnectionError, socket.timeout):
            pass
        if time.monotonic() > deadline:
            process.kill()
            log.seek(0)
            pytest.fail("dangjian serve did not answer /healthz within 60 s:\n" + log.read()[-3000:])
        time.sleep(0.2)
    yield {"base": base, "process": process, "log": log}
    if process.poll() is None:
        process.kill()
        process.wait()
    log.close()


def test_serve_answers_healthz_from_gunicorn_with_a_production_setup(server):
    status, headers, body = _get(server["base"] + "/healthz")
    assert status == 200
    assert b'"status": "ok"' in body
    assert headers["Cache-Control"] == "no-store"


def test_pages_carry_the_security_headers(server):
    status, headers, body = _get(server["base"] + "/accounts/login/")
    assert status == 200
    assert headers["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"].split("script-src", 1)[1].split(";")[0]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "<script>" not in body.decode()  # no inline script


def test_behind_the_tls_proxy_pages_send_hsts_and_secure_httponly_cookies(server):
    status, headers, _ = _get(server["base"] + "/accounts/login/", {"X-Forwarded-Proto": "https"})
    assert status == 200
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookies = headers.get_all("Set-Cookie") or []
    csrf = [c for c in cookies if c.startswith("csrftoken=")]
    assert csrf and "Secure" in csrf[0]


def test_static_files_are_served_hashed_compressed_and_cacheable_by_whitenoise(server):
    _, _, body = _get(server["base"] + "/accounts/login/")
    scripts = re.findall(r'src="(/static/js/app\.[0-9a-f]{12}\.js)"', body.decode())
    assert scripts, "the page must reference the hashed app.js from the manifest"
    status, headers, content = _get(server["base"] + scripts[0])
    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert "immutable" in headers["Cache-Control"] and "max-age=" in headers["Cache-Control"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert content == (ROOT / "static" / "js" / "app.js").read_bytes()
    status, headers, _ = _get(server["base"] + scripts[0], {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"


def test_not_found_page_leaks_nothing(server):
    for path in ("/no-such-page/", "/static/no-such-file.js", "/dangjian/settings.py", "/static/../manage.py"):
        status, headers, body = _get(server["base"] + path)
        text = body.decode("utf-8", "replace")
        assert status == 404, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        for leak in ("Traceback", "DEBUG", "SECRET_KEY", "settings.py", "urlpatterns", "dangjian.urls",
                     "URLconf", "Django", "manage.py", str(ROOT)):
            assert leak not in text, (path, leak)
    status, headers, body = _get(server["base"] + "/no-such-page/")
    assert "未找到" in body.decode() and headers["Cache-Control"] == "no-store"


def test_serve_writes_an_access_log_and_stops_gracefully_on_sigterm(server):
    _get(server["base"] + "/healthz?access-log-probe=1")
    process = server["process"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=40) == 0
    server["log"].seek(0)
    log = server["log"].read()
    assert "GET /healthz?access-log-probe=1" in log
    assert "Traceback" not in log


def test_serve_refuses_to_start_with_debug_on_unless_dev(prepared):
    result = _dangjian("serve", "--check-only", env=_env(prepared, DEBUG="1"))
    assert result.returncode != 0
    assert "DEBUG 已开启" in result.stderr
    result = _dangjian("serve", "--check-only", "--dev", env=_env(prepared, DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert "启动检查通过" in result.stdout


def test_serve_refuses_without_collected_static_files_or_migrations(prepared, tmp_path):
    result = _dangjian("serve", "--check-only", env=_env(prepared, STATIC_ROOT=str(tmp_path / "empty")))
    assert result.returncode != 0
    assert "collectstatic" in result.stderr
    result = _dangjian("serve", "--check-only", env=_env(prepared, DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite3'}"))
    assert result.returncode != 0
    assert "dangjian migrate" in result.stderr


def test_serve_refuses_without_the_field_encryption_key(prepared, tmp_path):
    env = _env(prepared, FIELD_ENCRYPTION_KEY_FILE=str(tmp_path / "missing.key"))
    del env["FIELD_ENCRYPTION_KEY"]
    result = _dangjian("serve", "--check-only", env=env)
    assert result.returncode != 0
    assert "字段加密密钥" in result.stderr


def test_worker_count_is_twice_the_cores_plus_one_capped_and_overridable():
    assert default_workers(cpu_count=1, environ={}) == 3
    assert default_workers(cpu_count=2, environ={}) == 5
    assert default_workers(cpu_count=64, environ={}) == MAX_WORKERS
    assert default_workers(cpu_count=64, environ={"WEB_CONCURRENCY": "20"}) == 20
    from django.core.management.base import CommandError

    for bad in ("0", "-1", "many"):
        with pytest.raises(CommandError, match="WEB_CONCURRENCY"):
            default_workers(cpu_count=2, environ={"WEB_CONCURRENCY": bad})
