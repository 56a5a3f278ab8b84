"""Permission-matrix entries for the dues app (see tests/test_permission_matrix.py)."""

from tests.test_permission_matrix import ALL, Route

ROUTES = {
    "dues:home": Route(expect={role: 404 for role in ALL}),  # placeholder view, replaced with the real screens
}
