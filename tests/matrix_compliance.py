"""Permission-matrix entries for the compliance screens (see tests/test_permission_matrix.py): the matrix and
the findings list are for organisation roles within their scope; everyone else is refused."""

from tests.test_permission_matrix import Route, read_list

ROUTES = {
    "compliance:matrix": Route(expect=read_list()),
    "compliance:findings": Route(expect=read_list()),
}
