import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.orgs.models import OrgKind, Role
from tests.factories import make_org, make_person, make_user

pytestmark = pytest.mark.django_db


def test_home_counts_members_and_lists_findings_in_scope(client, tree):
    make_person(tree["school_b"])
    make_person(tree["branch_a1"], status="probationary")
    client.force_login(make_user("district_admin", Role.ORG_ADMIN, tree["district"]))
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["member_total"] == 2
    body = response.content.decode()
    assert "城南小学党支部" in body and "支条 第四条" in body
    assert "组织管理员" in body  # the role label, not its code


def test_a_school_user_sees_only_their_school_on_the_home_page(client, tree):
    make_person(tree["school_b"])
    client.force_login(make_user("school_admin", Role.ORG_ADMIN, tree["school_a"]))
    response = client.get("/")
    assert response.context["member_total"] == 0
    assert "城南小学党支部" not in response.content.decode()


def test_home_page_query_count_does_not_grow_with_the_district(client, tree):
    client.force_login(make_user("district_admin", Role.ORG_ADMIN, tree["district"]))
    client.get("/")
    with CaptureQueriesContext(connection) as small:
        client.get("/")
    for i in range(12):
        branch = make_org(tree["area"], f"学校{i}党支部", OrgKind.BRANCH)
        for _ in range(3):
            make_person(branch)
    with CaptureQueriesContext(connection) as large:
        client.get("/")
    assert len(large) == len(small)


def test_an_account_without_roles_is_told_to_ask_for_one(client, db):
    client.force_login(make_user("nobody"))
    assert "尚未分配组织角色" in client.get("/").content.decode()


def test_a_long_todo_list_shows_ten_and_folds_the_rest(client, tree):
    from datetime import timedelta

    from django.utils import timezone

    from dangjian.life.models import Meeting

    secretary = make_user("branch_sec", Role.SECRETARY, tree["branch_a1"])
    past = timezone.localdate() - timedelta(days=3)
    for i in range(13):   # planned meetings whose date has passed: 补录会议记录 for the writer
        Meeting.objects.create(org=tree["branch_a1"], type="committee", status=Meeting.Status.PLANNED,
                               theme=f"第{i}次支委会", date=past - timedelta(days=i))
    client.force_login(secretary)
    response = client.get("/")
    body = response.content.decode()
    assert len(response.context["todos"]) == 13
    assert body.count('class="list-group-item d-flex justify-content-between align-items-start gap-2"') == 13
    assert "展开其余 3 项" in body


def test_a_short_todo_list_has_nothing_to_fold(client, tree):
    client.force_login(make_user("branch_sec", Role.SECRETARY, tree["branch_a1"]))
    assert "展开其余" not in client.get("/").content.decode()
