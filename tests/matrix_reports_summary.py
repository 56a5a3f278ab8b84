"""Permission-matrix rows for the 工作总结 pages (see tests/test_permission_matrix.py).

The organisation is in the URL: "in" is branch_a2 (inside school_a, the roles' scope), "out" is school_b. The
period is in the query string / form (a fixed school year). Saving the text needs the write right; generating the
Word document (a report job, run inline in tests) only the read right.
"""

from tests.test_permission_matrix import ORG_ROLES, Route, org, read_list, read_object, write_object

PERIOD = {"start": "2025-09-01", "end": "2026-08-31"}


def _download():
    expect = read_object()
    for role in ORG_ROLES:
        expect[role] = (302, 404)
    return expect


ROUTES = {
    "reports:summary": Route(expect=read_list()),
    "reports:summary_edit": Route(org, read_object(), data=PERIOD),
    "reports:summary_save": Route(org, write_object(302), method="post", data={**PERIOD, "title": "工作总结"}),
    "reports:summary_download": Route(org, _download(), method="post", data=PERIOD),
}
