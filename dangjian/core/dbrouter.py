"""Read replicas: which database a query goes to.

With no `DATABASE_REPLICA_URLS` nothing here does anything: every query goes to `default`.

With replicas configured (aliases in `settings.DATABASE_REPLICAS`), the rule is *primary unless proven safe*:

- every write goes to the primary (`default`); replicas are never migrated;
- a read goes to a replica only inside a **replica scope**: `with replica():` (or `@replica()` on a function),
  or a view listed in `settings.DATABASE_REPLICA_VIEWS` (URL names, `namespace:*` for a whole app) that
  `ReplicaRoutingMiddleware` opts in for GET/HEAD — dashboards, statistics, reports, exports;
- inside a replica scope a read still goes to the primary once the scope (the request) has written anything,
  inside `transaction.atomic()` on the primary, for apps whose freshness is a matter of security
  (`PRIMARY_ONLY_APPS`: sessions, login lockouts, accounts and roles), and for the rest of the request when the
  request is not a GET/HEAD — so a view never reads stale data after its own write;
- after a request that wrote domain data, the middleware sets a short-lived cookie
  (`settings.DATABASE_REPLICA_STICKY_SECONDS`): the next pages (the redirect after a POST) read the primary,
  so a user sees what they just saved even on a lagging replica;
- one replica is chosen per scope (reads inside a request never move between replicas of different lag);
  a replica that cannot be reached is skipped for `REPLICA_RETRY_SECONDS` and its reads go to the primary.
"""

import contextvars
import logging
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger(__name__)

STICKY_COOKIE = "dj_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Apps always read from the primary: a stale read there is a security problem (a revoked role, a
# lockout not yet seen, a session just created by the login on the primary).
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "accounts", "auth", "contenttypes"})
# Writes to these do not make the *next* request stick to the primary (every request saves its session).
BOOKKEEPING_APPS = frozenset({"sessions", "axes"})
REPLICA_RETRY_SECONDS = 30

_down_until = {}  # replica alias -> monotonic time before which it is not tried again


@dataclass
class RoutingState:
    allow_replica: bool = False  # inside a replica scope
    primary_only: bool = False  # the request is not a GET/HEAD, or carries the sticky cookie
    wrote: bool = False  # anything was written in this scope: read the primary from now on
    wrote_data: bool = False  # a write other than bookkeeping: set the sticky cookie
    alias: str | None = None  # the replica chosen for this scope


_state = contextvars.ContextVar("dangjian_db_routing", default=None)


def replicas():
    return list(getattr(settings, "DATABASE_REPLICAS", ()))


def current_state():
    return _state.get()


def reads_from_replica():
    """The alias reads go to right now (for diagnostics and tests): a replica alias or "default"."""
    return _route_read(None) or DEFAULT_DB_ALIAS


@contextmanager
def replica():
    """Let the reads of this block (or decorated function) go to a replica, unless this request has
    written, is a POST, carries the sticky cookie, or the block is inside a transaction on the primary."""
    state = _state.get()
    if state is None:
        token = _state.set(RoutingState(allow_replica=True))
        try:
            yield
        finally:
            _state.reset(token)
        return
    before = state.allow_replica
    state.allow_replica = True
    try:
        yield
    finally:
        state.allow_replica = before


@contextmanager
def primary():
    """Force the reads of this block to the primary (e.g. a read that must see a row just written by
    another process)."""
    state = _state.get()
    token = None
    if state is None:
        token = _state.set(state := RoutingState())
    before = state.primary_only
    state.primary_only = True
    try:
        yield
    finally:
        state.primary_only = before
        if token is not None:
            _state.reset(token)


def _healthy_replica(state):
    if state.alias is not None and _down_until.get(state.alias, 0) <= time.monotonic():
        return state.alias
    candidates = [alias for alias in replicas() if _down_until.get(alias, 0) <= time.monotonic()]
    random.shuffle(candidates)
    for alias in candidates:
        try:
            connections[alias].ensure_connection()
        except Exception as exc:  # any driver error: fall back to the primary for a while
            _down_until[alias] = time.monotonic() + REPLICA_RETRY_SECONDS
            log.warning("read replica %s unreachable, reading from the primary for %ss: %s",
                        alias, REPLICA_RETRY_SECONDS, exc)
            continue
        state.alias = alias
        return alias
    return None


def _route_read(model):
    if not replicas():
        return None
    if model is not None and model._meta.app_label in PRIMARY_ONLY_APPS:
        return DEFAULT_DB_ALIAS
    state = _state.get()
    if state is None or not state.allow_replica or state.primary_only or state.wrote:
        return DEFAULT_DB_ALIAS
    if _in_transaction(connections[DEFAULT_DB_ALIAS]):
        return DEFAULT_DB_ALIAS
    return _healthy_replica(state) or DEFAULT_DB_ALIAS


def _in_transaction(connection):
    # The transactions a test case wraps each test in do not count (Django marks them).
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def note_write(model=None):
    state = _state.get()
    if state is None:
        return
    state.wrote = True
    if model is None or model._meta.app_label not in BOOKKEEPING_APPS:
        state.wrote_data = True


class PrimaryReplicaRouter:
    """settings.DATABASE_ROUTERS entry, installed when DATABASE_REPLICA_URLS is set."""

    def db_for_read(self, model, **hints):
        return _route_read(model)

    def db_for_write(self, model, **hints):
        note_write(model)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # primary and replicas hold the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # replicas receive the schema by streaming replication


class ReplicaRoutingMiddleware:
    """One routing scope per request; opts listed read-only views into the replica; sets and honours the
    stick-to-primary cookie. Does nothing when no replica is configured."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replicas():
            return self.get_response(request)
        state = RoutingState(primary_only=request.method not in SAFE_METHODS or STICKY_COOKIE in request.COOKIES)
        token = _state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _state.reset(token)
        if state.wrote_data or (request.method not in SAFE_METHODS and state.wrote):
            response.set_cookie(STICKY_COOKIE, "1", max_age=settings.DATABASE_REPLICA_STICKY_SECONDS,
                                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        state = _state.get()
        if state is None or request.method not in SAFE_METHODS:
            return None
        if getattr(view_func, "reads_from_replica", False) or view_matches(request.resolver_match):
            state.allow_replica = True
        return None


def replica_view(view):
    """Mark a read-only view: the middleware lets its GET/HEAD reads go to a replica."""
    view.reads_from_replica = True
    return view


def view_matches(match, patterns=None):
    if match is None:
        return False
    patterns = settings.DATABASE_REPLICA_VIEWS if patterns is None else patterns
    name = match.view_name or ""
    namespace = match.namespace or ""
    for pattern in patterns:
        if pattern == name or (pattern.endswith(":*") and namespace and pattern[:-2] == namespace):
            return True
    return False
