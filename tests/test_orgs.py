from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.models import AuditLog
from dangjian.orgs import services
from dangjian.orgs.models import CommitteePost, Organisation, OrgEvent, OrgKind, Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tree):
    return make_user("district_admin", Role.ORG_ADMIN, tree["district"])


def test_creating_an_org_records_its_founding_in_history_and_audit(tree, admin):
    org = services.org_create(actor=admin, parent=tree["school_a"], name="实验中学第三党支部", kind=OrgKind.BRANCH,
                              founded_on=date(2024, 9, 1), unit_name="实验中学")
    assert Organisation.objects.get_parent(org).pk == tree["school_a"].pk
    event = OrgEvent.objects.get(org=org)
    assert event.kind == OrgEvent.Kind.CREATE and event.actor == admin
    assert AuditLog.objects.filter(object_type="orgs.organisation", object_id=str(org.pk), event="create").exists()


@pytest.mark.parametrize("parent_key,kind", [
    ("group_a1", OrgKind.BRANCH),          # nothing under a 党小组
    ("school_a", OrgKind.GROUP),           # 党小组 only under a branch
    ("branch_a1", OrgKind.GENERAL_BRANCH),  # no 总支 under a 支部
])
def test_impossible_tree_shapes_are_refused_with_a_chinese_message(tree, admin, parent_key, kind):
    before = Organisation.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.org_create(actor=admin, parent=tree[parent_key], name="新组织", kind=kind,
                            founded_on=date(2024, 1, 1))
    assert "不能设立" in str(exc.value)
    assert Organisation.objects.count() == before


def test_rename_keeps_history_with_before_and_after(tree, admin):
    services.org_update(actor=admin, org=tree["school_b"], effective_on=date(2025, 3, 1), name="城南实验小学党支部")
    event = OrgEvent.objects.filter(org=tree["school_b"]).first()
    assert event.kind == OrgEvent.Kind.RENAME
    assert event.before["name"] == "城南小学党支部" and event.after["name"] == "城南实验小学党支部"


def test_moving_a_subtree_moves_its_people_and_keeps_paths_consistent(tree, admin):
    person = make_person(tree["branch_a1"])
    area2 = services.org_create(actor=admin, parent=tree["district"], name="第二片区党委",
                                kind=OrgKind.AREA_COMMITTEE, founded_on=date(2020, 1, 1))
    services.org_move(actor=admin, org=tree["school_a"], new_parent=area2, effective_on=date(2025, 1, 1))
    school = Organisation.objects.get(pk=tree["school_a"].pk)
    assert Organisation.objects.get_parent(school).pk == area2.pk
    group = Organisation.objects.get(pk=tree["group_a1"].pk)
    assert group.path.startswith(area2.path)
    person.refresh_from_db()
    assert person.org.path.startswith(area2.path)
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    event = OrgEvent.objects.filter(org=school, kind=OrgEvent.Kind.MOVE).get()
    assert event.before["parent"] == "第一片区党委" and event.after["parent"] == "第二片区党委"


def test_a_subtree_cannot_move_under_itself(tree, admin):
    with pytest.raises(ValidationError):
        services.org_move(actor=admin, org=tree["school_a"], new_parent=tree["branch_a1"],
                          effective_on=date(2025, 1, 1))


def test_upgrading_a_branch_to_a_general_branch_keeps_the_node(tree, admin):
    org = services.org_upgrade(actor=admin, org=tree["school_b"], effective_on=date(2025, 9, 1),
                               new_name="城南小学党总支")
    assert org.pk == tree["school_b"].pk and org.kind == OrgKind.GENERAL_BRANCH and org.name == "城南小学党总支"
    event = OrgEvent.objects.get(org=org, kind=OrgEvent.Kind.UPGRADE)
    assert event.before["kind"] == "党支部" and event.after["kind"] == "党总支"


def test_a_branch_with_party_groups_must_resolve_them_before_upgrading(tree, admin):
    services.org_create(actor=admin, parent=tree["school_b"], name="低年级党小组", kind=OrgKind.GROUP,
                        founded_on=date(2020, 1, 1))
    with pytest.raises(ValidationError, match="党小组"):
        services.org_upgrade(actor=admin, org=tree["school_b"], effective_on=date(2025, 9, 1))


def test_a_branch_under_a_general_branch_cannot_become_a_general_branch(tree, admin):
    with pytest.raises(ValidationError, match="党总支下不能设立党总支"):
        services.org_upgrade(actor=admin, org=tree["branch_a2"], effective_on=date(2025, 9, 1))


def test_dissolving_requires_an_empty_organisation(tree, admin):
    make_person(tree["branch_a2"])
    with pytest.raises(ValidationError, match="仍有人员"):
        services.org_dissolve(actor=admin, org=tree["branch_a2"], dissolved_on=date(2025, 1, 1))
    with pytest.raises(ValidationError, match="下级组织"):
        services.org_dissolve(actor=admin, org=tree["branch_a1"], dissolved_on=date(2025, 1, 1))


def test_dissolving_keeps_the_org_in_history_and_ends_its_posts(tree, admin):
    org = services.org_dissolve(actor=admin, org=tree["group_a1"], dissolved_on=date(2025, 1, 31), note="教研组调整")
    assert org.dissolved_on == date(2025, 1, 31)
    assert Organisation.objects.filter(pk=org.pk).exists()
    assert OrgEvent.objects.filter(org=org, kind=OrgEvent.Kind.DISSOLVE, note="教研组调整").exists()
    assert org not in Organisation.objects.active()
    assert org in Organisation.objects.active(on=date(2025, 1, 30))


def test_a_viewer_cannot_change_the_tree(tree):
    viewer = make_user("viewer", Role.VIEWER, tree["district"])
    with pytest.raises(ValidationError):
        services.org_update(actor=viewer, org=tree["school_b"], effective_on=date(2025, 1, 1), name="x")


def test_committee_posts_allow_one_secretary_at_a_time(tree, admin):
    a, b = make_person(tree["school_b"]), make_person(tree["school_b"])
    services.committee_post_add(actor=admin, org=tree["school_b"], person=a, post="secretary",
                                started_on=date(2023, 1, 1))
    with pytest.raises(ValidationError, match="在任书记"):
        services.committee_post_add(actor=admin, org=tree["school_b"], person=b, post="secretary",
                                    started_on=date(2024, 1, 1))
    seat = CommitteePost.objects.get(person=a)
    services.committee_post_end(actor=admin, seat=seat, ended_on=date(2024, 1, 1))
    services.committee_post_add(actor=admin, org=tree["school_b"], person=b, post="secretary",
                                started_on=date(2024, 1, 1))
    assert CommitteePost.objects.filter(org=tree["school_b"], post="secretary", ended_on__isnull=True).get().person == b


def test_a_non_member_cannot_sit_on_a_committee(tree, admin):
    activist = make_person(tree["school_b"], status="activist")
    with pytest.raises(ValidationError, match="党员"):
        services.committee_post_add(actor=admin, org=tree["school_b"], person=activist, post="organisation",
                                    started_on=date(2024, 1, 1))


# --- pages ---------------------------------------------------------------

def test_tree_page_shows_only_the_users_subtree_with_subtree_totals(client, tree):
    make_person(tree["branch_a1"]), make_person(tree["branch_a2"], status="probationary")
    make_person(tree["school_b"])
    user = make_user("school_admin", Role.ORG_ADMIN, tree["school_a"])
    client.force_login(user)
    response = client.get("/orgs/")
    assert response.status_code == 200
    names = [row["org"].name for row in response.context["rows"]]
    assert names == ["实验中学党总支", "实验中学第一党支部", "语文组党小组", "实验中学第二党支部"]
    top = response.context["rows"][0]
    assert (top["full"], top["probationary"]) == (1, 1)


def test_tree_page_query_count_does_not_grow_with_the_tree(client, tree, django_assert_max_num_queries):
    from tests.factories import make_org

    user = make_user("district_admin", Role.ORG_ADMIN, tree["district"])
    client.force_login(user)
    client.get("/orgs/")  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get("/orgs/")
    for i in range(15):
        branch = make_org(tree["area"], f"新学校{i}党支部", OrgKind.BRANCH)
        make_person(branch)
    with CaptureQueriesContext(connection) as large:
        client.get("/orgs/")
    assert len(large) == len(small)


def test_org_detail_outside_scope_is_404_and_audited(client, tree):
    user = make_user("school_admin", Role.ORG_ADMIN, tree["school_a"])
    client.force_login(user)
    assert client.get(f"/orgs/{tree['school_b'].pk}/").status_code == 404
    assert AuditLog.objects.filter(event="denied", username="school_admin").exists()


def test_org_detail_shows_findings_by_rule_with_their_source(client, tree):
    make_person(tree["school_b"])
    user = make_user("district_admin", Role.ORG_ADMIN, tree["district"])
    client.force_login(user)
    response = client.get(f"/orgs/{tree['school_b'].pk}/")
    assert response.status_code == 200
    groups = {g["rule"].id: g for g in response.context["finding_groups"]}
    assert groups["org.branch_min_full"]["count"] == 1
    assert groups["org.branch_min_full"]["orgs"] == [tree["school_b"].name]
    assert response.context["findings_total"] == sum(g["count"] for g in groups.values())
    body = response.content.decode()
    assert groups["org.branch_min_full"]["rule"].title in body and "支条 第四条" in body
    assert f"?org={tree['school_b'].pk}&amp;rule=org.branch_min_full&amp;severity=overdue" in body


def test_org_detail_query_count_is_fixed(client, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = make_user("district_admin", Role.ORG_ADMIN, tree["district"])
    client.force_login(user)
    url = f"/orgs/{tree['school_a'].pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(10):
        make_person(tree["branch_a1"])
        make_person(tree["branch_a2"])
    services.org_update(actor=user, org=tree["school_a"], effective_on=date(2025, 1, 1), name="实验中学党总支委员会")
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)


def test_rename_through_the_page_validates_and_saves(client, tree):
    user = make_user("school_admin", Role.ORG_ADMIN, tree["school_a"])
    client.force_login(user)
    url = f"/orgs/{tree['branch_a2'].pk}/edit/"
    bad = client.post(url, {"name": "", "founded_on": "2010-01-01", "effective_on": "2025-01-01"})
    assert bad.status_code == 400
    assert "必填" in bad.content.decode()
    good = client.post(url, {"name": "实验中学党支部（二）", "founded_on": "2010-01-01", "effective_on": "2025-01-01",
                             "unit_name": "实验中学", "code": "", "note": "更名"})
    assert good.status_code == 302
    assert Organisation.objects.get(pk=tree["branch_a2"].pk).name == "实验中学党支部（二）"


def test_a_viewer_gets_403_on_edit_inside_scope_and_404_outside(client, tree):
    viewer = make_user("viewer", Role.VIEWER, tree["school_a"])
    client.force_login(viewer)
    assert client.get(f"/orgs/{tree['branch_a1'].pk}/edit/").status_code == 403
    assert client.get(f"/orgs/{tree['school_b'].pk}/edit/").status_code == 404
