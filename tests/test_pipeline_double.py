"""The 双培养 view: backbone teachers among activists and 发展对象 (把骨干教师培养成党员) and among party members
(把党员培养成骨干教师), per organisation of a subtree, with counts, in a fixed number of queries."""

from datetime import date

import pytest
from django.urls import reverse

from dangjian.members.models import Status
from dangjian.orgs.models import Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db


def people(org, n, status, backbone):
    return [make_person(org, status=status, is_backbone=backbone, status_since=date(2020, 1, 1))
            for _ in range(n)]


@pytest.fixture
def district(tree):
    a1, a2, b = tree["branch_a1"], tree["branch_a2"], tree["school_b"]
    people(a1, 2, Status.ACTIVIST, True)
    people(a1, 1, Status.CANDIDATE, True)
    people(a1, 1, Status.ACTIVIST, False)
    people(a1, 3, Status.FULL, True)
    people(a1, 1, Status.PROBATIONARY, False)
    people(a1, 2, Status.APPLICANT, True)           # applicants are not counted
    people(a2, 1, Status.FULL, False)
    people(b, 1, Status.CANDIDATE, True)
    return tree


def rows(html):
    return html.split('id="double-table"', 1)[1]


def test_counts_per_organisation_and_totals(client, district):
    user = make_user(role=Role.VIEWER, org=district["school_a"])
    client.force_login(user)
    response = client.get(reverse("pipeline:double"))
    assert response.status_code == 200
    ctx = response.context
    by_org = {r["org"].pk: r for r in ctx["rows"]}
    a1 = by_org[district["branch_a1"].pk]
    assert (a1["trainees"], a1["trainees_backbone"], a1["members"], a1["members_backbone"]) == (4, 3, 4, 3)
    assert a1["trainee_share"] == 75 and len(a1["trainee_people"]) == 3 and len(a1["member_people"]) == 3
    a2 = by_org[district["branch_a2"].pk]
    assert (a2["trainees"], a2["members"], a2["members_backbone"], a2["trainee_share"]) == (0, 1, 0, None)
    assert district["school_b"].pk not in by_org                   # outside the viewer's scope
    assert ctx["total"]["trainees_backbone"] == 3 and ctx["total"]["members_backbone"] == 3
    assert ctx["total"]["members"] == 5


def test_the_district_sees_every_school_and_a_branch_only_itself(client, district):
    top = make_user(role=Role.SECRETARY, org=district["district"])
    client.force_login(top)
    total = client.get(reverse("pipeline:double")).context["total"]
    assert total["trainees_backbone"] == 4
    branch = make_user(role=Role.SECRETARY, org=district["branch_a2"])
    client.force_login(branch)
    response = client.get(reverse("pipeline:double"))
    assert [r["org"].pk for r in response.context["rows"]] == [district["branch_a2"].pk]
    assert client.get(reverse("pipeline:double") + f"?org={district['school_b'].pk}").status_code == 404


def test_query_count_does_not_grow_with_the_data(client, tree, django_assert_num_queries):
    user = make_user(role=Role.SECRETARY, org=tree["district"])
    client.force_login(user)
    url = reverse("pipeline:double")
    people(tree["branch_a1"], 1, Status.ACTIVIST, True)
    with django_assert_num_queries(10):
        client.get(url)
    for org in (tree["branch_a1"], tree["branch_a2"], tree["school_b"], tree["group_a1"]):
        people(org, 3, Status.ACTIVIST, True)
        people(org, 3, Status.FULL, True)
    with django_assert_num_queries(10):
        html = client.get(url).content.decode()
    assert rows(html).count("<tr data-org=") == 4
