"""Permission-matrix entries for the holiday calendar (see tests/test_permission_matrix.py): everyone logged in
reads the year view; only the system administrator imports and deletes."""

from datetime import date

from dangjian.workdays.models import Holiday
from tests.test_permission_matrix import ALL, Route, only


def extend_ctx(ctx):
    ctx["holiday"] = Holiday.objects.create(date=date(2025, 10, 1), kind=Holiday.Kind.REST, name="国庆节")


ROUTES = {
    "workdays:home": Route(expect={role: 200 for role in ALL} | {"anon": 302}),
    "workdays:import": Route(expect=only("system")),
    # The system admin's first POST deletes the entry, so the second answers 404.
    "workdays:delete": Route(lambda c, s: {"pk": c["holiday"].pk},
                             {r: (403, 403) for r in ALL} | {"anon": (302, 302), "system": (302, 404)},
                             method="post"),
}
