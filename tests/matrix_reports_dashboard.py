"""Permission-matrix entries for the cockpit (see tests/test_permission_matrix.py): organisation roles open the
dashboard of their own organisation, and any organisation's dashboard inside their scope ("in": branch_a2 of
school_a, where the roles sit); outside it ("out": school_b) 404. Members and administrators have no party scope:
403 on their own dashboard, 404 on any organisation's."""

from tests.test_permission_matrix import Route, org, read_list, read_object

ROUTES = {
    "reports:dashboard": Route(expect=read_list()),
    "reports:dashboard_org": Route(org, read_object()),
}
