"""List endpoints issue a fixed number of queries whatever the data size (small vs large, pinned)."""

from datetime import date

import pytest

from dangjian.members.models import Status
from dangjian.orgs.models import CommitteePost, OrgKind, Role, RoleAssignment
from tests.factories import make_org, make_person, make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db

# token + scopes + count + page (+ the parents of the orgs on the page)
EXPECTED = {"/people": 4, "/orgs": 5, "/role-assignments": 4}


def grow(tree, n):
    for i in range(n):
        branch = make_org(tree["school_a"], kind=OrgKind.BRANCH)
        make_org(branch, kind=OrgKind.GROUP)
        for status in (Status.FULL, Status.PROBATIONARY, Status.APPLICANT):
            make_person(branch, status=status, joined_on=date(2015, 1, 1) if status != Status.APPLICANT else None)
        RoleAssignment.objects.create(user=make_user(), org=branch, role=Role.VIEWER)


@pytest.fixture
def token(tree):
    return token_for(make_user("q_viewer", Role.VIEWER, tree["school_a"]))


def _count(client, token, path, django_assert_num_queries, n, **params):
    call(client, "get", path, token)  # the first call refreshes last_used_at (at most once a minute)
    with django_assert_num_queries(n):
        response = call(client, "get", path, token, params=params)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_list_query_count_does_not_grow_with_the_data(client, tree, token, django_assert_num_queries, path):
    grow(tree, 2)
    small = _count(client, token, path, django_assert_num_queries, EXPECTED[path], limit=200)
    grow(tree, 25)
    large = _count(client, token, path, django_assert_num_queries, EXPECTED[path], limit=200)
    assert large["count"] > small["count"]


def test_sub_resource_lists_are_fixed_too(client, tree, token, django_assert_num_queries):
    org = tree["branch_a2"]
    person = make_person(org)
    for i in range(2):
        CommitteePost.objects.create(org=org, person=make_person(org), post="member", started_on=date(2020, 1, 1))
    _count(client, token, f"/orgs/{org.pk}/posts", django_assert_num_queries, 5)
    _count(client, token, f"/people/{person.pk}/memberships", django_assert_num_queries, 5)
    for i in range(20):
        CommitteePost.objects.create(org=org, person=make_person(org), post="member", started_on=date(2020, 1, 1))
    _count(client, token, f"/orgs/{org.pk}/posts", django_assert_num_queries, 5)


def test_findings_query_count_does_not_grow_with_the_number_of_orgs(client, tree, token, django_assert_num_queries):
    grow(tree, 2)
    call(client, "get", "/findings", token)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        call(client, "get", "/findings", token)
    grow(tree, 25)
    with django_assert_num_queries(len(small.captured_queries)):
        response = call(client, "get", "/findings", token, params={"limit": 200})
    assert response.json()["count"] > 0
