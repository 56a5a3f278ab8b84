"""API permission-matrix rows for the reports app (see tests/test_api_permissions.py): the summary figures of an
organisation in the scope ("in": school_a) or outside it ("out": school_b) — like the page."""

from tests.test_api_permissions import Case, api_scoped_list


def _params(ctx, scope):
    return {"org": ctx["tree"]["school_a" if scope == "in" else "school_b"].pk, "start": "2025-09-01",
            "end": "2026-08-31"}


EXPECT = {
    "reports_summary": Case(api_scoped_list(), params=_params, scoped=True),
}
