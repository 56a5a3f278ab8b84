"""Permission-matrix entries for the 党内统计 pages (see tests/test_permission_matrix.py).

The page takes the organisation as ?org= (default: the user's first scope root), so the matrix checks the role
rows; an organisation outside the scope (404, audited) is tested in tests/test_reports_statistics.py. The export
POST with an empty form answers 400 to an organisation role (no date: nothing is started).
"""

from tests.test_permission_matrix import ALL, ORG_ROLES, Route, read_list

ROUTES = {
    "reports:stats_index": Route(expect=read_list()),
    "reports:stats_export": Route(expect={role: 400 if role in ORG_ROLES else 403 for role in ALL} | {"anon": 302},
                                  method="post"),
}
