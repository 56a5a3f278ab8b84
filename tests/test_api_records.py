"""The API uses the UI's scoping and services: same results, same history and audit rows, JSON errors."""

from datetime import date

import pytest
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.members.models import OrgMembership, Person, PersonChange, Status, StatusEvent
from dangjian.orgs.models import CommitteePost, OrgEvent, OrgKind, Role
from tests.factories import make_id_number, make_org, make_person, make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def sec(tree):
    return token_for(make_user("api_sec", Role.SECRETARY, tree["school_a"]))


@pytest.fixture
def viewer(tree):
    return token_for(make_user("api_viewer", Role.VIEWER, tree["school_a"]))


def person_body(org, **extra):
    birth = date(1990, 3, 4)
    return {"org": org.pk, "name": "李明", "gender": "M", "birth_date": birth.isoformat(),
            "id_number": make_id_number(birth), "phone": "13800001111", "status": "full",
            "joined_on": "2015-06-01", "full_member_on": "2016-06-01", **extra}


# --- scope -------------------------------------------------------------------------

def test_branch_users_token_cannot_read_another_branchs_records_by_id(client, tree):
    token = token_for(make_user("b1_sec", Role.SECRETARY, tree["branch_a1"]))
    other = make_person(tree["branch_a2"])
    seat = CommitteePost.objects.create(org=tree["branch_a2"], person=other, post="secretary",
                                        started_on=date(2020, 1, 1))
    for path in (f"/people/{other.pk}", f"/people/{other.pk}/status-events", f"/people/{other.pk}/memberships",
                 f"/orgs/{tree['branch_a2'].pk}", f"/orgs/{tree['branch_a2'].pk}/events",
                 f"/orgs/{tree['branch_a2'].pk}/posts", f"/posts/{seat.pk}"):
        response = call(client, "get", path, token)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "未找到或无权访问。", "errors": {}}
    assert call(client, "post", f"/people/{other.pk}/unmask", token).status_code == 404
    assert call(client, "patch", f"/people/{other.pk}", token, body={"name": "改"}).status_code == 404
    listed = call(client, "get", "/people", token, params={"status": "all", "limit": 200}).json()
    assert other.pk not in {p["id"] for p in listed["items"]}
    assert AuditLog.objects.filter(event="denied", object_id=str(other.pk)).exists()


def test_people_list_is_the_roster_with_the_same_filters(client, tree, viewer):
    make_person(tree["branch_a1"], name="王正式")
    make_person(tree["branch_a2"], name="赵预备", status=Status.PROBATIONARY)
    make_person(tree["branch_a2"], name="钱申请", status=Status.APPLICANT, joined_on=None)
    make_person(tree["school_b"], name="孙外校")
    make_person(tree["branch_a1"], name="周转出", status=Status.TRANSFERRED_OUT)
    def names(**params):
        return [p["name"] for p in call(client, "get", "/people", viewer, params=params).json()["items"]]

    assert sorted(names()) == sorted(["王正式", "赵预备", "钱申请"])
    assert sorted(names(status="members")) == sorted(["王正式", "赵预备"])
    assert names(status="all", q="转出") == ["周转出"]
    assert names(org=tree["branch_a2"].pk, status="probationary") == ["赵预备"]
    assert call(client, "get", "/people", viewer, params={"org": tree["school_b"].pk}).status_code == 404
    assert call(client, "get", "/people", viewer, params={"status": "nonsense"}).status_code == 400


def test_lists_paginate_with_a_total_and_a_maximum_limit(client, tree, viewer):
    for _ in range(7):
        make_person(tree["branch_a1"])
    first = call(client, "get", "/people", viewer, params={"limit": 3}).json()
    second = call(client, "get", "/people", viewer, params={"limit": 3, "offset": 3}).json()
    assert first["count"] == second["count"] == 7 and len(first["items"]) == 3
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in second["items"]}
    response = call(client, "get", "/people", viewer, params={"limit": 201})
    assert response.status_code == 400 and response.json()["errors"] == {"limit": ["不能大于200。"]}


def test_list_and_detail_never_return_the_full_id_number_or_phone(client, tree, sec):
    person = make_person(tree["branch_a1"])
    full = person.get_id_number()
    for response in (call(client, "get", "/people", sec), call(client, "get", f"/people/{person.pk}", sec)):
        text = response.content.decode()
        assert full not in text and person.get_phone() not in text
    assert call(client, "get", f"/people/{person.pk}", sec).json()["id_number_masked"] == person.id_number_masked


def test_unmask_returns_the_full_number_for_writers_and_is_audited(client, tree, sec, viewer):
    person = make_person(tree["branch_a1"])
    response = call(client, "post", f"/people/{person.pk}/unmask", sec)
    assert response.json() == {"id_number": person.get_id_number(), "phone": person.get_phone()}
    row = AuditLog.objects.get(event="unmask")
    assert row.username == "api_sec" and person.get_id_number() not in str(row.changes)
    assert call(client, "post", f"/people/{person.pk}/unmask", viewer).status_code == 403


# --- people writes -------------------------------------------------------------------

def test_creating_a_person_returns_201_and_writes_history_and_audit(client, tree, sec):
    response = call(client, "post", "/people", sec, body=person_body(tree["branch_a1"]))
    assert response.status_code == 201, response.content
    data = response.json()
    person = Person.objects.get(pk=data["id"])
    assert data["name"] == "李明" and data["status"] == "full" and data["org"]["id"] == tree["branch_a1"].pk
    assert data["id_number_masked"] == person.id_number_masked
    assert OrgMembership.objects.filter(person=person).count() == 1
    assert StatusEvent.objects.filter(person=person).count() == 1
    assert AuditLog.objects.filter(event="create", object_type="members.person", username="api_sec").count() == 1


def test_duplicate_id_number_is_a_409_conflict_and_changes_nothing(client, tree, sec):
    body = person_body(tree["branch_a1"])
    assert call(client, "post", "/people", sec, body=body).status_code == 201
    response = call(client, "post", "/people", sec, body={**body, "name": "李明二"})
    assert response.status_code == 409
    assert response.json()["errors"] == {"id_number": ["该身份证号已登记在其他人员名下。"]}
    assert Person.objects.count() == 1


def test_service_rules_come_back_as_422_with_chinese_field_messages(client, tree, sec):
    body = person_body(tree["branch_a1"], joined_on=None, full_member_on=None)
    response = call(client, "post", "/people", sec, body=body)
    assert response.status_code == 422
    assert response.json()["errors"] == {"joined_on": ["正式党员须填写入党日期。"]}
    bad_id = person_body(tree["branch_a1"], id_number="110101199003041230")
    assert "身份证号" in call(client, "post", "/people", sec, body=bad_id).json()["errors"]["id_number"][0]
    assert not Person.objects.exists()


def test_schema_errors_are_422_per_field_in_chinese(client, tree, sec):
    body = person_body(tree["branch_a1"], gender="X", birth_date="1990-13-01", phone="12ab", extra_field=1)
    del body["name"]
    errors = call(client, "post", "/people", sec, body=body).json()["errors"]
    assert errors["name"] == ["此项为必填项。"]
    assert errors["gender"][0].startswith("取值无效")
    assert errors["birth_date"] == ["日期格式应为 YYYY-MM-DD。"]
    assert errors["phone"] == ["手机号应为7至15位数字。"]
    assert errors["extra_field"] == ["不支持此字段。"]


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b"null", b'"text"'])
def test_malformed_bodies_are_400(client, tree, sec, raw):
    response = call(client, "post", "/people", sec, raw=raw)
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


def test_a_path_id_that_is_not_a_number_is_400_and_an_unknown_route_404(client, sec):
    assert call(client, "get", "/people/abc", sec).status_code == 400
    assert call(client, "get", f"/people/{2**70}", sec).status_code == 404
    response = call(client, "get", "/nothing-here", sec)
    assert response.status_code == 404 and response.json()["detail"] == "接口不存在。"


def test_patch_changes_only_the_fields_sent(client, tree, sec):
    person = make_person(tree["branch_a1"], professional_title="二级教师")
    response = call(client, "patch", f"/people/{person.pk}", sec, body={"ethnicity": "回族", "is_backbone": True})
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.ethnicity == "回族" and person.is_backbone and person.professional_title == "二级教师"
    assert PersonChange.objects.filter(person=person).count() == 1
    assert call(client, "patch", f"/people/{person.pk}", sec, body={"name": None}).status_code == 422
    assert call(client, "patch", f"/people/{person.pk}", sec, body={"status": "full"}).json()["errors"] == {
        "status": ["不支持此字段。"]}


def test_patch_can_set_and_clear_the_group(client, tree, sec):
    person = make_person(tree["branch_a1"])
    group = tree["group_a1"]
    response = call(client, "patch", f"/people/{person.pk}", sec, body={"group": group.pk})
    assert response.json()["group"]["id"] == group.pk
    assert call(client, "patch", f"/people/{person.pk}", sec, body={"group": None}).json()["group"] is None
    other_group = make_org(tree["school_b"], kind=OrgKind.GROUP)
    response = call(client, "patch", f"/people/{person.pk}", sec, body={"group": other_group.pk})
    assert response.status_code == 422 and "group" in response.json()["errors"]


def test_status_change_goes_through_the_service_with_its_rules(client, tree, sec):
    person = make_person(tree["branch_a1"], status=Status.FULL)
    today = timezone.localdate().isoformat()
    response = call(client, "post", f"/people/{person.pk}/status", sec,
                    body={"status": "suspended", "effective_on": today})
    assert response.status_code == 422 and "decided_by" in response.json()["errors"]
    response = call(client, "post", f"/people/{person.pk}/status", sec, body={
        "status": "suspended", "effective_on": today, "decided_by": "第一党支部党员大会", "decision_date": today})
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    response = call(client, "post", f"/people/{person.pk}/status", sec,
                    body={"status": "applicant", "effective_on": today})
    assert response.status_code == 422 and response.json()["errors"]["status"][0].startswith("不能从")


def test_move_within_scope_keeps_history(client, tree, sec):
    person = make_person(tree["branch_a1"])
    OrgMembership.objects.create(person=person, org=tree["branch_a1"], started_on=date(2011, 7, 1))
    response = call(client, "post", f"/people/{person.pk}/move", sec, body={
        "org": tree["branch_a2"].pk, "effective_on": timezone.localdate().isoformat(), "note": "交流轮岗"})
    assert response.status_code == 200 and response.json()["org"]["id"] == tree["branch_a2"].pk
    rows = call(client, "get", f"/people/{person.pk}/memberships", sec).json()
    assert rows["count"] == 2 and rows["items"][0]["ended_on"] is not None
    outside = call(client, "post", f"/people/{person.pk}/move", sec, body={
        "org": tree["school_b"].pk, "effective_on": timezone.localdate().isoformat()})
    assert outside.status_code == 422 and outside.json()["errors"] == {"org": ["不存在或无权访问。"]}


# --- organisations ---------------------------------------------------------------------

def test_org_list_shows_the_visible_tree_with_parents(client, tree, viewer):
    data = call(client, "get", "/orgs", viewer).json()
    by_name = {o["name"]: o for o in data["items"]}
    assert set(by_name) == {"实验中学党总支", "实验中学第一党支部", "实验中学第二党支部", "语文组党小组"}
    assert by_name["实验中学党总支"]["parent_id"] is None  # the 片区党委 lies outside the scope
    assert by_name["语文组党小组"]["parent_id"] == tree["branch_a1"].pk
    children = call(client, "get", "/orgs", viewer, params={"parent": tree["school_a"].pk}).json()
    assert {o["name"] for o in children["items"]} == {"实验中学第一党支部", "实验中学第二党支部"}


def test_org_create_update_move_upgrade_dissolve_write_history_and_audit(client, tree, sec):
    created = call(client, "post", "/orgs", sec, body={"parent": tree["school_a"].pk, "kind": "branch",
                                                       "name": "实验中学第三党支部", "founded_on": "2024-09-01"})
    assert created.status_code == 201
    org_id = created.json()["id"]
    assert created.json()["parent_id"] == tree["school_a"].pk
    renamed = call(client, "patch", f"/orgs/{org_id}", sec, body={"name": "实验中学退休党支部", "note": "文号1"})
    assert renamed.json()["name"] == "实验中学退休党支部"
    group = make_org(tree["branch_a1"], kind=OrgKind.GROUP)
    moved = call(client, "post", f"/orgs/{group.pk}/move", sec, body={"parent": org_id, "effective_on": "2024-10-01"})
    assert moved.status_code == 200 and moved.json()["parent_id"] == org_id
    blocked = call(client, "post", f"/orgs/{org_id}/upgrade", sec, body={"effective_on": "2024-10-02"})
    assert blocked.status_code == 422
    dissolved = call(client, "post", f"/orgs/{group.pk}/dissolve", sec, body={"dissolved_on": "2024-11-01"})
    assert dissolved.json()["dissolved_on"] == "2024-11-01"
    events = call(client, "get", f"/orgs/{org_id}/events", sec).json()
    assert [e["kind"] for e in events["items"]] == ["rename", "create"]
    assert list(OrgEvent.objects.filter(org_id=group.pk).values_list("kind", flat=True)) == ["dissolve", "move"]
    assert AuditLog.objects.filter(object_type="orgs.organisation", username="api_sec").count() >= 4


def test_committee_posts_through_the_api(client, tree, sec):
    person = make_person(tree["branch_a2"])
    added = call(client, "post", f"/orgs/{tree['branch_a2'].pk}/posts", sec,
                 body={"person": person.pk, "post": "secretary", "started_on": "2023-01-01"})
    assert added.status_code == 201 and added.json()["post_label"] == "书记"
    again = call(client, "post", f"/orgs/{tree['branch_a2'].pk}/posts", sec,
                 body={"person": person.pk, "post": "member", "started_on": "2023-01-01"})
    assert again.status_code == 409
    post_id = added.json()["id"]
    ended = call(client, "post", f"/posts/{post_id}/end", sec, body={"ended_on": "2022-01-01"})
    assert ended.status_code == 422 and "ended_on" in ended.json()["errors"]
    ended = call(client, "post", f"/posts/{post_id}/end", sec, body={"ended_on": "2024-01-01"})
    assert ended.json()["ended_on"] == "2024-01-01"
    assert call(client, "get", f"/orgs/{tree['branch_a2'].pk}/posts", sec).json()["count"] == 1


def test_role_assignments_are_listed_within_the_scope_only(client, tree, viewer):
    make_user("outsider", Role.SECRETARY, tree["school_b"])
    make_user("insider", Role.SECRETARY, tree["branch_a1"])
    data = call(client, "get", "/role-assignments", viewer).json()
    users = {row["username"] for row in data["items"]}
    assert "insider" in users and "api_viewer" in users and "outsider" not in users


def test_findings_cover_the_visible_subtree_of_the_org(client, tree, viewer):
    response = call(client, "get", "/findings", viewer, params={"org": tree["branch_a2"].pk, "on": "2025-06-30"})
    assert response.status_code == 200
    data = response.json()
    assert data["on"] == "2025-06-30" and data["count"] == len(data["items"]) > 0
    assert {f["org"]["id"] for f in data["items"]} <= {tree["branch_a2"].pk}
    finding = data["items"][0]
    assert {"rule_id", "title", "source", "severity", "due_on", "message"} <= set(finding)
    assert finding["source"]
    everything = call(client, "get", "/findings", viewer).json()
    assert everything["count"] >= data["count"]
    assert all(f["org"]["id"] != tree["school_b"].pk for f in everything["items"])
    assert call(client, "get", "/findings", viewer, params={"on": "not-a-date"}).status_code == 400
