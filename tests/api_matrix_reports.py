"""API permission-matrix rows for the reports app (see tests/test_api_permissions.py): the summary figures of an
organisation in the scope ("in": school_a) or outside it ("out": school_b) — like the page."""

from tests.test_api_permissions import Case, api_scoped_list, api_write


def _params(ctx, scope):
    return {"org": ctx["tree"]["school_a" if scope == "in" else "school_b"].pk, "start": "2025-09-01",
            "end": "2026-08-31"}


def _org(ctx, scope):
    return {"org_id": ctx["tree"]["school_a" if scope == "in" else "school_b"].pk}


EXPECT = {
    "reports_summary": Case(api_scoped_list(), params=_params, scoped=True),
    "reports_summary_text": Case(api_scoped_list(), _org, params={"start": "2025-09-01", "end": "2026-08-31"}),
    "reports_summary_text_save": Case(api_write(), _org, body={"start": "2025-09-01", "end": "2026-08-31",
                                                               "sections": {"basic": "全校共有党员…"}}),
}
