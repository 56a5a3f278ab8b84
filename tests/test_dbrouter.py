"""The primary/replica router (dangjian/core/dbrouter.py), without a real replica: a fake connection stands in
for the replica alias, so the tests check where reads would go. The cluster proof (deploy/proof) checks the
real thing against a streaming replica."""

import json
import os
import subprocess
import sys

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, get_resolver, path

from dangjian.core import dbrouter
from dangjian.core.dbrouter import PrimaryReplicaRouter, primary, replica, replica_view
from dangjian.orgs.models import Organisation

router = PrimaryReplicaRouter()


class FakeConnection:
    def __init__(self, up=True):
        self.up = up
        self.attempts = 0

    def ensure_connection(self):
        self.attempts += 1
        if not self.up:
            raise OSError("connection refused")


class FakeConnections:
    """`default` is the real connection; replica aliases are fakes."""

    def __init__(self, **replicas):
        self.replicas = replicas

    def __getitem__(self, alias):
        return self.replicas[alias] if alias in self.replicas else connections[alias]


@pytest.fixture
def replicas(settings, monkeypatch):
    settings.DATABASE_REPLICAS = ["replica1"]
    fake = FakeConnections(replica1=FakeConnection())
    monkeypatch.setattr(dbrouter, "connections", fake)
    monkeypatch.setattr(dbrouter, "_down_until", {})
    return fake


def read_alias(model=Organisation):
    return router.db_for_read(model) or DEFAULT_DB_ALIAS


def test_without_replicas_router_and_middleware_do_nothing(settings, rf):
    settings.DATABASE_REPLICAS = []
    with replica():
        assert router.db_for_read(Organisation) is None
    response = dbrouter.ReplicaRoutingMiddleware(lambda request: HttpResponse("ok"))(rf.post("/"))
    assert dbrouter.STICKY_COOKIE not in response.cookies


def test_reads_go_to_primary_outside_a_replica_scope(replicas):
    assert read_alias() == DEFAULT_DB_ALIAS


def test_replica_scope_reads_from_replica(replicas, db):
    with replica():
        assert read_alias() == "replica1"
        assert dbrouter.reads_from_replica() == "replica1"
    assert read_alias() == DEFAULT_DB_ALIAS


def test_replica_works_as_a_decorator(replicas):
    @replica()
    def report():
        return read_alias()

    assert report() == "replica1"
    assert read_alias() == DEFAULT_DB_ALIAS


def test_a_write_in_the_scope_sends_later_reads_to_primary(replicas, db):
    with replica():
        assert read_alias() == "replica1"
        assert router.db_for_write(Organisation) == DEFAULT_DB_ALIAS
        assert read_alias() == DEFAULT_DB_ALIAS
    with replica():  # a new scope starts clean
        assert read_alias() == "replica1"


def test_transaction_on_primary_reads_primary(replicas, transactional_db):
    with replica():
        with transaction.atomic():
            assert read_alias() == DEFAULT_DB_ALIAS
        assert read_alias() == "replica1"


@pytest.mark.parametrize("app_label", sorted(dbrouter.PRIMARY_ONLY_APPS))
def test_security_relevant_apps_always_read_primary(replicas, app_label):
    from django.apps import apps

    model = next(iter(apps.get_app_config(app_label).get_models()))
    with replica():
        assert read_alias(model) == DEFAULT_DB_ALIAS


def test_primary_block_inside_replica_scope(replicas):
    with replica():
        with primary():
            assert read_alias() == DEFAULT_DB_ALIAS
        assert read_alias() == "replica1"


def test_unreachable_replica_falls_back_to_primary_and_is_not_retried_at_once(replicas):
    replicas.replicas["replica1"].up = False
    with replica():
        assert read_alias() == DEFAULT_DB_ALIAS
    with replica():
        assert read_alias() == DEFAULT_DB_ALIAS
    assert replicas.replicas["replica1"].attempts == 1  # marked down for REPLICA_RETRY_SECONDS
    dbrouter._down_until.clear()
    replicas.replicas["replica1"].up = True
    with replica():
        assert read_alias() == "replica1"


def test_one_replica_per_scope(settings, replicas):
    settings.DATABASE_REPLICAS = ["replica1", "replica2"]
    replicas.replicas["replica2"] = FakeConnection()
    for _ in range(10):
        with replica():
            first = read_alias()
            assert all(read_alias() == first for _ in range(5))


def test_replicas_are_never_migrated():
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "members") is True
    assert router.allow_migrate("replica1", "members") is False


# --- through the middleware, with the whole middleware stack ------------------------------------------------

def _where(request):
    return JsonResponse({"org": read_alias(), "user": read_alias(__import__("dangjian.accounts.models").accounts.models.User)})


@replica_view
def report_view(request):
    return _where(request)


def plain_view(request):
    return _where(request)


@replica_view
def report_that_writes(request):
    before = read_alias()
    router.db_for_write(Organisation)
    return JsonResponse({"before": before, "after": read_alias()})


def save_view(request):
    router.db_for_write(Organisation)
    return HttpResponse("saved")


def session_only_view(request):
    from django.contrib.sessions.models import Session

    router.db_for_write(Session)
    return HttpResponse("ok")


urlpatterns = [
    path("report/", report_view, name="report"),
    path("plain/", plain_view, name="plain"),
    path("listed/", plain_view, name="listed"),
    path("report-writes/", report_that_writes),
    path("save/", save_view),
    path("session/", session_only_view),
]


@pytest.fixture
def routed(replicas, settings):
    settings.ROOT_URLCONF = __name__
    settings.DATABASE_REPLICA_VIEWS = ["listed"]
    return replicas


def test_marked_view_reads_replica_but_not_accounts(client, routed, db):
    assert client.get("/report/").json() == {"org": "replica1", "user": DEFAULT_DB_ALIAS}


def test_view_listed_in_settings_reads_replica(client, routed, db):
    assert client.get("/listed/").json()["org"] == "replica1"


def test_other_views_read_primary(client, routed, db):
    assert client.get("/plain/").json()["org"] == DEFAULT_DB_ALIAS


def test_post_to_a_replica_view_reads_primary(client, routed, db):
    assert client.post("/report/").json()["org"] == DEFAULT_DB_ALIAS


def test_view_reads_primary_after_its_own_write(client, routed, db):
    assert client.get("/report-writes/").json() == {"before": "replica1", "after": DEFAULT_DB_ALIAS}


def test_after_a_write_the_next_pages_stick_to_primary(client, routed, db, settings):
    response = client.post("/save/")
    cookie = response.cookies[dbrouter.STICKY_COOKIE]
    assert cookie["max-age"] == settings.DATABASE_REPLICA_STICKY_SECONDS
    assert cookie["httponly"]
    assert client.get("/report/").json()["org"] == DEFAULT_DB_ALIAS  # the redirect target after the POST
    client.cookies.pop(dbrouter.STICKY_COOKIE)  # the cookie expired
    assert client.get("/report/").json()["org"] == "replica1"


def test_saving_the_session_alone_does_not_stick(client, routed, db):
    response = client.get("/session/")
    assert dbrouter.STICKY_COOKIE not in response.cookies


def test_a_get_that_writes_data_sticks(client, routed, db):
    response = client.get("/report-writes/")
    assert dbrouter.STICKY_COOKIE in response.cookies


def test_namespace_wildcard():
    class Match:
        view_name = "reports:stats"
        namespace = "reports"

    assert dbrouter.view_matches(Match(), ["reports:*"])
    assert not dbrouter.view_matches(Match(), ["members:*", "reports:stat"])
    assert not dbrouter.view_matches(None, ["reports:*"])


def _url_names(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _url_names(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}"


def test_default_replica_views_exist(settings):
    names = set(_url_names(get_resolver()))
    namespaces = {name.split(":")[0] for name in names if ":" in name}
    for entry in settings.DATABASE_REPLICA_VIEWS:
        if entry.endswith(":*"):
            assert entry[:-2] in namespaces, entry
        else:
            assert entry in names, entry


def test_real_queries_in_a_replica_scope_use_the_chosen_alias(settings, db, monkeypatch):
    """With the default alias standing in as the 'replica', a queryset in a replica scope reads via it."""
    settings.DATABASE_REPLICAS = [DEFAULT_DB_ALIAS]
    monkeypatch.setattr(dbrouter, "_down_until", {})
    with replica():
        assert Organisation.objects.all()._db is None
        assert Organisation.objects.all().db == DEFAULT_DB_ALIAS


# --- settings ----------------------------------------------------------------------------------------------

def _settings_in_subprocess(**env):
    code = ("import json, dangjian.settings as s; print(json.dumps({'dbs': s.DATABASES, 'replicas': s.DATABASE_REPLICAS,"
            " 'routers': s.DATABASE_ROUTERS, 'caches': s.CACHES, 'storages': s.STORAGES, 'lock': s.SCHEDULER_LOCK},"
            " default=str))")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "S3_", "SCHEDULER", "CONN_"))}
    result = subprocess.run([sys.executable, "-c", code], env={**base, "DANGJIAN_TESTING": "1", **env},
                            capture_output=True, text=True, timeout=60)
    return result


def test_settings_replicas_pool_and_health_checks():
    result = _settings_in_subprocess(
        DATABASE_URL="postgres://app@10.0.0.1:5432/dangjian",
        DATABASE_REPLICA_URLS="postgres://app@10.0.0.2:5432/dangjian, postgres://app@10.0.0.3:5432/dangjian",
        DATABASE_POOL="1", DATABASE_POOL_MAX_SIZE="20")
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)
    assert conf["replicas"] == ["replica1", "replica2"]
    assert conf["routers"] == ["dangjian.core.dbrouter.PrimaryReplicaRouter"]
    assert conf["dbs"]["replica2"]["HOST"] == "10.0.0.3"
    assert conf["dbs"]["replica1"]["TEST"] == {"MIRROR": "default"}
    for alias in ("default", "replica1"):
        assert conf["dbs"][alias]["CONN_HEALTH_CHECKS"] is True
        assert conf["dbs"][alias]["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 20, "timeout": 10}


def test_settings_defaults_have_no_router_redis_or_s3():
    result = _settings_in_subprocess(DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)
    assert conf["replicas"] == [] and conf["routers"] == []
    assert "locmem" in conf["caches"]["default"]["BACKEND"]
    assert conf["storages"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


@pytest.mark.parametrize("env, message", [
    ({"DATABASE_URL": "sqlite:///:memory:", "DATABASE_REPLICA_URLS": "postgres://x@h/db"}, "needs PostgreSQL"),
    ({"DATABASE_URL": "postgres://x@h/db", "DATABASE_POOL": "1", "CONN_MAX_AGE": "60"}, "CONN_MAX_AGE=0"),
    ({"SCHEDULER_LOCK": "redis"}, "needs REDIS_URL"),
    ({"SCHEDULER_LOCK": "zookeeper"}, "database or redis"),
])
def test_settings_refuse_bad_combinations(env, message):
    result = _settings_in_subprocess(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_settings_redis_cache():
    result = _settings_in_subprocess(REDIS_URL="redis://127.0.0.1:6379/3")
    conf = json.loads(result.stdout)
    assert conf["caches"]["default"] == {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                         "LOCATION": "redis://127.0.0.1:6379/3", "KEY_PREFIX": "dangjian"}
