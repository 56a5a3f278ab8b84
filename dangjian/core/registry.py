"""Per-app extension points, discovered by module name so apps never edit a shared list.

Each installed dangjian app may provide:
- `rules.py` with `RULES = [Rule(...)]`                       (collected by compliance.rulebook)
- `checks.py` with `CHECKS = [callable(orgs, rulebook, on)]`  (run by compliance.engine.findings_for)
- `demo.py` with `extend(result, *, seed, years)`             (called by `dangjian demo` and `dangjian synth`)
- `todos.py` with `todos_for(user, on) -> list[core.worklist.Todo]` (the 待办 list on the 工作台)
- `points.py` with `SOURCES = [points.sources.Source(...)]`  (the quantities 党员积分 are computed from; see points app)
- `api.py` with `router` (a django-ninja Router, mounted under /api/)
"""

from functools import lru_cache
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps


@lru_cache(maxsize=None)
def app_modules(name):
    modules = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dangjian."):
            continue
        dotted = f"{config.name}.{name}"
        if find_spec(dotted) is not None:
            modules.append(import_module(dotted))
    return tuple(modules)


def extend_demo(result, *, seed, years=1):
    """Let every app add its records to a freshly built demo or synthetic district."""
    for module in app_modules("demo"):
        module.extend(result, seed=seed, years=years)


def refresh_planner_statistics():
    """After a bulk load, give PostgreSQL's planner fresh statistics (autovacuum may lag or be off);
    without them a grouped check can pick a nested loop over millions of rows. SQLite: nothing to do."""
    from django.db import connection

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
