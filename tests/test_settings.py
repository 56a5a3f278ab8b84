"""Settings come from the environment only, fail loudly, and pass Django's deploy check in production."""

import os
import subprocess
import sys

import pytest

PROD_ENV = {
    "SECRET_KEY": "x7Gk2pQ9vL4mN8rT1wY6zB3cF5hJ0dS-prod-key-for-check-only_abcdefghijklmnop",
    "FIELD_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "DEBUG": "0",
    "ALLOWED_HOSTS": "dj.example.edu.cn",
}


def run_manage(args, extra_env, drop=()):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DANGJIAN_TESTING", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", *drop)}
    env.update(extra_env)
    env["DJANGO_SETTINGS_MODULE"] = "dangjian.settings"
    return subprocess.run([sys.executable, "-m", "django", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], PROD_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_in_production_fails_loudly():
    env = dict(PROD_ENV)
    del env["SECRET_KEY"]
    result = run_manage(["check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("name,value", [("DEBUG", "perhaps"), ("CONN_MAX_AGE", "ten")])
def test_malformed_values_fail_loudly(name, value):
    result = run_manage(["check"], {**PROD_ENV, name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_unknown_database_engine_is_refused():
    result = run_manage(["check"], {**PROD_ENV, "DATABASE_URL": "mysql://root@127.0.0.1/test"})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_every_model_change_has_its_migration(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exc:
        raise AssertionError(f"models differ from migrations:\n{out.getvalue()}") from exc
