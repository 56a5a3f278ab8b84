"""API permission-matrix rows for the points app (see tests/test_api_permissions.py)."""

from tests.test_api_permissions import Case, api_read, api_scoped_list


def org_param(c, s):
    return {"org": c["tree"]["school_a" if s == "in" else "school_b"].pk, "year": 2025}


EXPECT = {
    "points_scores": Case(api_scoped_list(), params=org_param, scoped=True),
    "points_person": Case(api_read(), lambda c, s: {"person_id": c[f"person_{s}"].pk}),
}
