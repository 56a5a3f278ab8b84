"""The life API (meetings, attendance, votes, study) uses the pages' scoping and the life services:
same records, same audit rows, JSON errors in Chinese, nothing changed on bad input."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core.models import AuditLog
from dangjian.life import services
from dangjian.life.models import Attendance, Meeting, MeetingChange, StudyLog, StudyTask, Vote
from dangjian.members.models import Status
from dangjian.orgs.models import Role
from tests.factories import make_org, make_person, make_user
from tests.life_helpers import member
from tests.test_api_fuzz import body_strategy, params_strategy
from tests.test_api_permissions import call, operations, token_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def sec_user(tree):
    return make_user("life_api_sec", Role.SECRETARY, tree["school_a"])


@pytest.fixture
def sec(sec_user):
    return token_for(sec_user)


def branch(tree, n=4, org="branch_a2"):
    """Members of a branch on today's list (正式党员, with their 组织关系 records)."""
    return [member(tree[org]) for _ in range(n)]


def held_body(org, **extra):
    return {"org": org.pk, "status": "held", "type": "assembly", "theme": "学习党的二十届三中全会精神",
            "date": TODAY.isoformat(), **extra}


def audit_rows(object_type, **filters):
    return AuditLog.objects.filter(object_type=object_type, **filters)


# --- scope -----------------------------------------------------------------------------------


def test_branch_users_token_cannot_read_another_branchs_meetings_votes_tasks_or_logs_by_id(client, tree, sec_user):
    people = branch(tree, 2)
    meeting = services.meeting_record(actor=sec_user, org=tree["branch_a2"], type="assembly", theme="二支部大会",
                                      date=TODAY)
    vote = services.vote_record(actor=sec_user, meeting=meeting, kind="decision", subject="决议", yes=0, no=0,
                                abstain=0)
    task = services.study_task_create(actor=sec_user, org=tree["branch_a2"], title="二支部任务", starts_on=TODAY,
                                      due_on=TODAY)
    log = StudyLog.objects.create(person=people[0], task=task, date=TODAY, hours=1)
    token = token_for(make_user("b1_sec_life", Role.SECRETARY, tree["branch_a1"]))

    for path in (f"/meetings/{meeting.pk}", f"/meetings/{meeting.pk}/attendance", f"/meetings/{meeting.pk}/votes",
                 f"/votes/{vote.pk}", f"/study-tasks/{task.pk}", f"/study-logs/{log.pk}"):
        response = call(client, "get", path, token)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "未找到或无权访问。", "errors": {}}
    assert call(client, "patch", f"/meetings/{meeting.pk}", token, body={"place": "改"}).status_code == 404
    assert call(client, "post", f"/meetings/{meeting.pk}/votes", token,
                body={"kind": "decision", "subject": "越权", "yes": 0, "no": 0, "abstain": 0}).status_code == 404
    assert call(client, "delete", f"/study-tasks/{task.pk}", token).status_code == 404
    for path in ("/meetings", "/study-tasks", "/study-logs"):
        assert call(client, "get", path, token).json()["count"] == 0, path
    assert audit_rows("life.meeting", event="denied", object_id=str(meeting.pk)).exists()
    assert audit_rows("life.studytask", event="denied", object_id=str(task.pk)).exists()
    assert Vote.objects.count() == 1 and StudyTask.objects.filter(pk=task.pk).exists()


def test_a_read_only_role_reads_but_cannot_write(client, tree, sec_user):
    branch(tree, 1)
    meeting = services.meeting_plan(actor=sec_user, org=tree["branch_a2"], type="assembly", theme="计划", date=TODAY)
    viewer = token_for(make_user("life_viewer", Role.VIEWER, tree["school_a"]))
    assert call(client, "get", f"/meetings/{meeting.pk}", viewer).status_code == 200
    response = call(client, "post", f"/meetings/{meeting.pk}/cancel", viewer, body={})
    assert response.status_code == 403 and set(response.json()) == {"detail", "errors"}
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.PLANNED
    assert call(client, "post", "/meetings", viewer, body=held_body(tree["branch_a2"])).status_code == 403


def test_member_sees_only_the_meetings_he_is_expected_at_and_cannot_write(client, tree, sec_user):
    me = member(tree["branch_a1"])
    token = token_for(make_user("life_member", Role.MEMBER, tree["branch_a1"], person=me))
    branch(tree, 1)
    mine = services.meeting_record(actor=sec_user, org=tree["branch_a1"], type="assembly", theme="一支部", date=TODAY)
    other = services.meeting_record(actor=sec_user, org=tree["branch_a2"], type="assembly", theme="二支部",
                                    date=TODAY)
    listed = call(client, "get", "/meetings", token).json()
    assert [m["id"] for m in listed["items"]] == [mine.pk]
    assert call(client, "get", f"/meetings/{mine.pk}/attendance", token).json()["items"][0]["person"]["id"] == me.pk
    assert call(client, "get", f"/meetings/{other.pk}", token).status_code == 404
    assert call(client, "patch", f"/meetings/{mine.pk}", token, body={"place": "改"}).status_code == 403


# --- meetings through the services -----------------------------------------------------------


def test_meeting_created_through_the_api_is_the_services_record_with_its_expected_attendees(client, tree, sec):
    people = branch(tree, 3)
    make_person(tree["branch_a2"], status=Status.APPLICANT, joined_on=None)  # not a party member: not expected
    # yesterday: a meeting today at 08:30 would not have started yet before 08:30 local time
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    response = call(client, "post", "/meetings", sec, body=held_body(tree["branch_a2"], start_time="08:30",
                                                                        end_time="09:30", place="会议室",
                                                                        date=yesterday))
    assert response.status_code == 201, response.content
    data = response.json()
    meeting = Meeting.objects.get(pk=data["id"])
    assert data["status"] == "held" and data["type_label"] == "支部党员大会" and data["start_time"] == "08:30:00"
    assert data["expected"] == 3 and data["present"] == 0 and data["org"]["id"] == tree["branch_a2"].pk
    assert set(meeting.attendance.values_list("person_id", flat=True)) == {p.pk for p in people}
    assert audit_rows("life.meeting", event="create", object_id=str(meeting.pk)).count() == 1


def test_planned_meeting_recorded_then_attendance_and_a_vote_with_the_quorum_rule(client, tree, sec):
    people = branch(tree, 4)
    planned = call(client, "post", "/meetings", sec, body={"org": tree["branch_a2"].pk, "type": "assembly",
                                                           "theme": "接收预备党员", "date": TODAY.isoformat()})
    assert planned.status_code == 201 and planned.json()["status"] == "planned"
    meeting_id = planned.json()["id"]
    early = call(client, "post", f"/meetings/{meeting_id}/votes", sec,
                 body={"kind": "decision", "subject": "过早", "yes": 0, "no": 0, "abstain": 0})
    assert early.status_code == 422 and early.json()["detail"] == "会议登记为已召开后才能记录表决。"

    recorded = call(client, "post", f"/meetings/{meeting_id}/record", sec, body={"minutes": "会议记录全文"})
    assert recorded.status_code == 200 and recorded.json()["status"] == "held"
    assert recorded.json()["minutes"] == "会议记录全文"

    entries = [{"person": p.pk, "status": "present"} for p in people[:3]]
    entries.append({"person": people[3].pk, "status": "leave", "leave_reason": "外出培训", "leave_approved": True})
    response = call(client, "post", f"/meetings/{meeting_id}/attendance", sec, body={"entries": entries})
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == 4
    assert {row["status"] for row in response.json()["items"]} == {"present", "leave"}
    assert call(client, "get", f"/meetings/{meeting_id}", sec).json()["present"] == 3

    vote = call(client, "post", f"/meetings/{meeting_id}/votes", sec, body={
        "kind": "decision", "subject": "通过某项决议", "yes": 3, "no": 0, "abstain": 0})
    assert vote.status_code == 201, vote.content
    data = vote.json()
    assert (data["voters_due"], data["voters_present"], data["quorum_met"], data["passed"]) == (4, 3, True, True)
    assert "依据" in data["rule_note"]
    assert call(client, "get", f"/votes/{data['id']}", sec).json() == data
    assert call(client, "get", f"/meetings/{meeting_id}/votes", sec).json()["items"] == [data]
    assert audit_rows("life.vote", event="create", object_id=str(data["id"])).exists()
    assert audit_rows("life.meeting", event="update", object_id=str(meeting_id)).count() == 2  # record + attendance


def test_bad_meeting_input_is_422_with_chinese_field_errors_and_nothing_changes(client, tree, sec, sec_user):
    branch(tree, 2)
    org = tree["branch_a2"]
    outsider = make_person(tree["school_b"])
    before = (Meeting.objects.count(), Attendance.objects.count(), AuditLog.objects.filter(event="create").count())
    cases = [
        (held_body(org, date=(TODAY + timedelta(days=3)).isoformat()), "date", "会议日期在今天之后，不能登记为已召开。"),
        (held_body(org, theme="长" * 201), "theme", "不能超过200个字符。"),
        (held_body(org, start_time="25:00"), "start_time", "时间格式应为 HH:MM。"),
        (held_body(org, start_time="10:00", end_time="09:00"), "end_time", "结束时间须晚于开始时间。"),
        (held_body(org, host=outsider.pk), "host", "不存在或无权访问。"),
        (held_body(org, type="other"), "other_type", "“其他”类型须填写会议类型名称。"),
        (held_body(org, type="group"), "type", "党小组会须由党小组召开。"),
        (held_body(org, major_decision=True), "major_decision", "“三重一大”事项只适用于学校党组织会议和校长办公会议。"),
        (held_body(org, colour="红"), "colour", "不支持此字段。"),
        ({**held_body(org), "status": "planned", "minutes": "未开先记"}, "minutes",
         "计划中的会议不填写此项，登记召开时再填写。"),
        ({k: v for k, v in held_body(org).items() if k != "theme"}, "theme", "此项为必填项。"),
    ]
    for body, field, message in cases:
        response = call(client, "post", "/meetings", sec, body=body)
        assert response.status_code == 422, (field, response.content)
        assert message in response.json()["errors"][field], (field, response.json())
    assert (Meeting.objects.count(), Attendance.objects.count(),
            AuditLog.objects.filter(event="create").count()) == before


def test_attendance_is_all_or_nothing_and_only_for_people_on_the_list(client, tree, sec, sec_user):
    people = branch(tree, 2)
    stranger = make_person(tree["branch_a2"])  # no 组织关系 record on the date: not expected
    meeting = services.meeting_record(actor=sec_user, org=tree["branch_a2"], type="assembly", theme="大会",
                                      date=TODAY)
    for entries, field in (([{"person": people[0].pk, "status": "present"}, {"person": stranger.pk,
                                                                            "status": "present"}], "person"),
                           ([{"person": people[0].pk, "status": "present"}, {"person": people[1].pk,
                                                                            "status": "leave"}], "leave_reason"),
                           ([{"person": people[0].pk, "status": "late"}], "entries.0.status")):
        response = call(client, "post", f"/meetings/{meeting.pk}/attendance", sec, body={"entries": entries})
        assert response.status_code == 422 and field in response.json()["errors"], response.json()
    assert set(meeting.attendance.values_list("status", flat=True)) == {"absent"}
    response = call(client, "post", f"/meetings/{meeting.pk}/attendance", sec, body={"entries": []})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["entries"]


def test_vote_with_an_impossible_tally_is_refused_and_nothing_is_recorded(client, tree, sec, sec_user):
    branch(tree, 3)
    meeting = services.meeting_record(actor=sec_user, org=tree["branch_a2"], type="assembly", theme="大会",
                                      date=TODAY)
    response = call(client, "post", f"/meetings/{meeting.pk}/votes", sec,
                    body={"kind": "decision", "subject": "决议", "yes": 1, "no": 0, "abstain": 0})
    assert response.status_code == 422
    assert response.json()["errors"] == {"yes": ["赞成、反对、弃权之和（1）不能超过实到有表决权人数（0）。"]}
    response = call(client, "post", f"/meetings/{meeting.pk}/votes", sec,
                    body={"kind": "decision", "subject": "决议", "yes": -1, "no": 0, "abstain": 0})
    assert response.status_code == 422 and response.json()["errors"] == {"yes": ["不能小于0。"]}
    assert not Vote.objects.exists() and not AuditLog.objects.filter(object_type="life.vote").exists()


def test_editing_a_held_meeting_needs_a_note_and_keeps_its_history(client, tree, sec, sec_user):
    branch(tree, 1)
    meeting = services.meeting_record(actor=sec_user, org=tree["branch_a2"], type="assembly", theme="原主题",
                                      date=TODAY)
    response = call(client, "patch", f"/meetings/{meeting.pk}", sec, body={"theme": "新主题"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"note": ["修改已召开会议的记录须填写修改说明。"]}
    assert Meeting.objects.get(pk=meeting.pk).theme == "原主题"
    response = call(client, "patch", f"/meetings/{meeting.pk}", sec, body={"theme": "新主题", "note": "更正笔误"})
    assert response.status_code == 200 and response.json()["theme"] == "新主题"
    change = MeetingChange.objects.get(meeting=meeting)
    assert change.before["theme"] == "原主题" and change.after["theme"] == "新主题" and change.note == "更正笔误"
    for field in ("theme", "date", "type"):  # null is not "leave unchanged"
        response = call(client, "patch", f"/meetings/{meeting.pk}", sec, body={field: None, "note": "清空"})
        assert response.status_code == 422 and field in response.json()["errors"], field
    cancel = call(client, "post", f"/meetings/{meeting.pk}/cancel", sec, body={})
    assert cancel.status_code == 422 and cancel.json()["detail"] == "只有计划中的会议可以取消。"


def test_talk_needs_two_people_from_the_organisation(client, tree, sec):
    a, b = branch(tree, 2)
    body = held_body(tree["branch_a2"], type="talk", theme="谈心谈话", participants=[a.pk])
    response = call(client, "post", "/meetings", sec, body=body)
    assert response.status_code == 422 and response.json()["errors"] == {
        "participants": ["谈心谈话须选择两名不同的谈话人员。"]}
    response = call(client, "post", "/meetings", sec, body={**body, "participants": [a.pk, b.pk]})
    assert response.status_code == 201 and response.json()["expected"] == 2


def test_meeting_list_filters(client, tree, sec, sec_user):
    branch(tree, 1)
    services.meeting_record(actor=sec_user, org=tree["branch_a2"], type="assembly", theme="甲", date=TODAY)
    services.meeting_plan(actor=sec_user, org=tree["branch_a1"], type="committee", theme="乙", date=TODAY)

    def themes(**params):
        response = call(client, "get", "/meetings", sec, params=params)
        assert response.status_code == 200, response.content
        return sorted(m["theme"] for m in response.json()["items"])

    assert themes() == ["乙", "甲"]
    assert themes(status="held") == ["甲"]
    assert themes(type="committee") == ["乙"]
    assert themes(org=tree["branch_a1"].pk) == ["乙"]
    assert themes(q="甲") == ["甲"]
    assert themes(start=(TODAY + timedelta(days=1)).isoformat()) == []
    assert call(client, "get", "/meetings", sec, params={"org": tree["school_b"].pk}).status_code == 404
    assert call(client, "get", "/meetings", sec, params={"type": "party"}).status_code == 400


# --- study -----------------------------------------------------------------------------------


def test_study_task_create_update_and_delete_go_through_the_services(client, tree, sec):
    branch(tree, 2)
    response = call(client, "post", "/study-tasks", sec, body={
        "org": tree["school_a"].pk, "title": "学习新修订的条例", "starts_on": TODAY.isoformat(),
        "due_on": (TODAY + timedelta(days=30)).isoformat(), "expected_hours": 4})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["expected_hours"] == "4.0" and data["total"] == 2 and data["done"] == 0
    task_id = data["id"]
    assert audit_rows("life.studytask", event="create", object_id=str(task_id)).exists()

    bad = call(client, "patch", f"/study-tasks/{task_id}", sec, body={"due_on": "2000-01-01"})
    assert bad.status_code == 422 and bad.json()["errors"] == {"due_on": ["完成期限不能早于开始日期。"]}
    bad = call(client, "patch", f"/study-tasks/{task_id}", sec, body={"expected_hours": "1.25"})
    assert bad.status_code == 422 and bad.json()["errors"] == {"expected_hours": ["学时应为小于1000的数字，最多一位小数。"]}
    ok = call(client, "patch", f"/study-tasks/{task_id}", sec, body={"title": "学习条例（修订）"})
    assert ok.status_code == 200 and ok.json()["title"] == "学习条例（修订）"
    assert audit_rows("life.studytask", event="update", object_id=str(task_id)).exists()

    task = StudyTask.objects.get(pk=task_id)
    StudyLog.objects.create(person=branch(tree, 1)[0], task=task, date=TODAY, hours=1)
    refused = call(client, "delete", f"/study-tasks/{task_id}", sec)
    assert refused.status_code == 422 and refused.json()["detail"] == "已有 1 人登记完成该任务，不能删除。"
    assert StudyTask.objects.filter(pk=task_id).exists()
    StudyLog.objects.filter(task=task).delete()
    assert call(client, "delete", f"/study-tasks/{task_id}", sec).json() == {"id": task_id, "deleted": True}
    assert not StudyTask.objects.filter(pk=task_id).exists()
    assert audit_rows("life.studytask", event="delete", object_id=str(task_id)).exists()


def test_member_logs_his_own_study_and_sees_only_his_logs(client, tree, sec_user, sec):
    me = member(tree["branch_a1"])
    token = token_for(make_user("life_member2", Role.MEMBER, tree["branch_a1"], person=me))
    task = services.study_task_create(actor=sec_user, org=tree["school_a"], title="全校任务",
                                      starts_on=TODAY - timedelta(days=5), due_on=TODAY)
    elsewhere = services.study_task_create(actor=sec_user, org=tree["branch_a2"], title="二支部任务",
                                           starts_on=TODAY, due_on=TODAY)
    other = branch(tree, 1)[0]
    StudyLog.objects.create(person=other, date=TODAY, hours=2)

    body = {"task": task.pk, "date": TODAY.isoformat(), "hours": "1.5", "notes": "读原文"}
    response = call(client, "post", "/study-logs", token, body=body)
    assert response.status_code == 201, response.content
    assert response.json()["person"]["id"] == me.pk and response.json()["task"] == {"id": task.pk,
                                                                                  "title": "全校任务"}
    assert audit_rows("life.studylog", event="create").count() == 1
    for changed, field, message in (({}, "task", "您已登记完成该学习任务。"),
                                    ({"task": elsewhere.pk}, "task", "不存在或无权访问。"),
                                    ({"task": None, "hours": "0"}, "hours", "学时须大于0。"),
                                    ({"task": None, "hours": 0.05}, "hours", "学时应为小于1000的数字，最多一位小数。"),
                                    ({"task": None, "date": (TODAY + timedelta(days=1)).isoformat()}, "date",
                                     "学习日期不能晚于今天。")):
        bad = call(client, "post", "/study-logs", token, body={**body, **changed})
        assert bad.status_code == 422 and message in bad.json()["errors"][field], bad.json()
    assert StudyLog.objects.filter(person=me).count() == 1
    assert [log["person"]["id"] for log in call(client, "get", "/study-logs", token).json()["items"]] == [me.pk]
    assert call(client, "post", "/study-logs", sec, body=body).status_code == 403
    listed = call(client, "get", "/study-logs", sec, params={"task": task.pk}).json()
    assert listed["count"] == 1
    detail = call(client, "get", f"/study-tasks/{task.pk}", sec).json()
    assert detail["done"] == 1 and detail["total"] == 2


# --- query counts ----------------------------------------------------------------------------


def grow(tree, user, n):
    for _ in range(n):
        org = make_org(tree["school_a"])
        people = [member(org) for _ in range(3)]
        meeting = services.meeting_record(actor=user, org=org, type="assembly", theme="会", date=TODAY,
                                          host=people[0], recorder=people[1])
        services.attendance_set(actor=user, meeting=meeting, entries=[{"person": people[0], "status": "present"}])
        services.vote_record(actor=user, meeting=meeting, kind="decision", subject="决议", yes=1, no=0, abstain=0,
                             subject_person=people[2])
        task = services.study_task_create(actor=user, org=org, title="任务", starts_on=TODAY, due_on=TODAY)
        for person in people:
            StudyLog.objects.create(person=person, task=task, date=TODAY, hours=1)


def _queries(client, token, path, **params):
    call(client, "get", path, token)  # the first call refreshes last_used_at
    with CaptureQueriesContext(connection) as ctx:
        response = call(client, "get", path, token, params={"limit": 200, **params})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json().get("count")


# token + scopes + count + page (+ study task detail's completion: 2; meeting's attendance/votes: the meeting)
EXPECTED = {"/meetings": 4, "/study-tasks": 4, "/study-logs": 4}


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_list_query_counts_do_not_grow_with_the_data(client, tree, sec_user, django_assert_num_queries, path):
    token = token_for(make_user("life_q_viewer", Role.VIEWER, tree["school_a"]))
    grow(tree, sec_user, 2)
    small, small_count = _queries(client, token, path)
    grow(tree, sec_user, 12)
    large, large_count = _queries(client, token, path)
    assert small == large == EXPECTED[path] and large_count > small_count


def test_a_meetings_attendance_and_votes_lists_are_fixed_too(client, tree, sec_user):
    token = token_for(make_user("life_q_viewer2", Role.VIEWER, tree["school_a"]))
    people = branch(tree, 2)
    meeting = services.meeting_record(actor=sec_user, org=tree["branch_a2"], type="assembly", theme="会", date=TODAY)
    services.vote_record(actor=sec_user, meeting=meeting, kind="decision", subject="一", yes=0, no=0, abstain=0,
                         subject_person=people[0])
    small = [_queries(client, token, f"/meetings/{meeting.pk}/{what}")[0] for what in ("attendance", "votes")]
    task = services.study_task_create(actor=sec_user, org=tree["branch_a2"], title="任务", starts_on=TODAY,
                                      due_on=TODAY)
    small.append(_queries(client, token, f"/study-tasks/{task.pk}")[0])
    more = branch(tree, 20)
    services.meeting_update(actor=sec_user, meeting=meeting, date=TODAY - timedelta(days=1), note="改期补记")
    for person in more[:5]:
        services.vote_record(actor=sec_user, meeting=meeting, kind="decision", subject="多", yes=0, no=0, abstain=0,
                             subject_person=person)
    large = [_queries(client, token, f"/meetings/{meeting.pk}/{what}")[0] for what in ("attendance", "votes")]
    for person in more:
        StudyLog.objects.create(person=person, task=task, date=TODAY, hours=1)
    large.append(_queries(client, token, f"/study-tasks/{task.pk}")[0])
    assert Attendance.objects.filter(meeting=meeting).count() == 22
    assert small == large == [5, 5, 5]


# --- random input on existing records --------------------------------------------------------

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
WRITES = ["meetings_create", "meetings_update", "meetings_record", "meetings_cancel", "meetings_attendance_set",
          "meetings_vote_add", "study_tasks_create", "study_tasks_update", "study_tasks_delete", "study_logs_create",
          "meetings_list", "study_logs_list"]


@pytest.mark.parametrize("operation_id", WRITES)
def test_random_input_on_existing_meetings_and_tasks_never_causes_a_server_error(client, tree, operation_id):
    """tests/test_api_fuzz.py has no life records to aim at; here the ids name real meetings, people and tasks."""
    from dangjian.api.main import api

    writer = make_user("life_fuzz", Role.SECRETARY, tree["school_a"], person=member(tree["branch_a1"]))
    people = branch(tree, 3)
    held = services.meeting_record(actor=writer, org=tree["branch_a2"], type="assembly", theme="会", date=TODAY)
    planned = services.meeting_plan(actor=writer, org=tree["group_a1"], type="group", theme="小组会",
                                    date=TODAY + timedelta(days=2))
    task = services.study_task_create(actor=writer, org=tree["school_a"], title="任务", starts_on=date(2024, 1, 1),
                                      due_on=TODAY)
    ids = sorted({held.pk, planned.pk, task.pk, *(p.pk for p in people), *(o.pk for o in tree.values())})
    token = token_for(writer)
    doc = api.get_openapi_schema()
    method, template = operations()[operation_id]
    op = doc["paths"][template][method]
    names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]

    @FUZZ
    @given(st.fixed_dictionaries({n: st.sampled_from(ids) for n in names}), params_strategy(op, doc, ids),
           body_strategy(op, doc, ids) if method != "get" else st.just(None))
    def run(kwargs, params, body):
        raw = body.encode() if isinstance(body, str) else body
        response = call(client, method, template.format(**kwargs), token, params=params or None,
                        raw=raw if method != "get" else None)
        assert response.status_code < 500, (kwargs, params, body, response.content[:300])
        if response.status_code >= 400:
            assert set(response.json()) == {"detail", "errors"}

    run()


# --- QR sign-in: the page's service -------------------------------------------------------------------------


def test_signin_marks_the_member_present_once_and_refuses_others(client, tree):
    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    person = member(tree["branch_a1"])
    user = make_user(person=person)
    meeting = services.meeting_plan(actor=secretary, org=tree["branch_a1"], type="assembly", theme="主题党日",
                                         date=timezone.localdate())
    token = services.signin_token(meeting)
    response = call(client, "post", "/life/signin", token_for(user), body={"token": token})
    assert response.status_code == 200, response.content
    assert response.json() == {"meeting_id": meeting.pk, "theme": "主题党日", "date": meeting.date.isoformat(),
                               "already": False}
    row = Attendance.objects.get(meeting=meeting, person=person)
    assert row.status == Attendance.Status.PRESENT and row.signed_in_at is not None
    assert AuditLog.objects.filter(object_repr__startswith="扫码签到").count() == 1
    again = call(client, "post", "/life/signin", token_for(user), body={"token": token})
    assert again.json()["already"] is True and AuditLog.objects.filter(object_repr__startswith="扫码签到").count() == 1
    stranger = call(client, "post", "/life/signin", token_for(secretary), body={"token": token})
    assert stranger.status_code == 422 and stranger.json()["errors"]["token"][0].startswith("不在应到名单中")
    forged = call(client, "post", "/life/signin", token_for(user), body={"token": token[:-2] + "xx"})
    assert forged.status_code == 422 and "token" in forged.json()["errors"]
    assert call(client, "post", "/life/signin", None, body={"token": token}).status_code == 401


# --- attachments of a meeting (签到表, photos) ---------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, token, meeting, kind="photo", content=PNG, name="会场照片.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    files = {"file": SimpleUploadedFile(name, content)} if content is not None else {}
    return call(client, "post", f"/meetings/{meeting.pk}/attachments", token, body={"kind": kind} if kind else {},
                files=files)


def test_meeting_photo_upload_list_download_delete_through_the_services(client, tree, sec, sec_user, media):
    from dangjian.life.models import Attachment

    me = member(tree["branch_a1"])
    member_token = token_for(make_user("life_att_member", Role.MEMBER, tree["branch_a1"], person=me))
    meeting = services.meeting_record(actor=sec_user, org=tree["branch_a1"], type="assembly", theme="主题党日",
                                      date=TODAY)
    response = upload(client, sec, meeting)
    assert response.status_code == 201, response.content
    photo = response.json()
    assert photo["kind"] == "photo" and photo["kind_label"] == "照片" and photo["name"] == "会场照片.png"
    assert photo["content_type"] == "image/png" and photo["size"] == len(PNG) and photo["uploaded_by"] == "life_api_sec"
    stored = Attachment.objects.get()
    assert stored.pk == photo["id"] and stored.meeting_id == meeting.pk
    assert audit_rows("life.attachment", event="create", object_id=str(stored.pk)).exists()
    listed = call(client, "get", f"/meetings/{meeting.pk}/attachments", sec).json()
    assert listed["count"] == 1 and listed["items"] == [photo]
    # Whoever reads the meeting downloads it: a viewer above, the member expected at it; an outsider does not.
    viewer = token_for(make_user(role=Role.VIEWER, org=tree["school_a"]))
    for token in (viewer, member_token):
        download = call(client, "get", photo["download"], token)
        assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
        assert download["Content-Disposition"].startswith("attachment")
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    assert call(client, "get", photo["download"], outsider).status_code == 404
    assert call(client, "get", f"/meetings/{meeting.pk}/attachments", outsider).status_code == 404
    # Readers may not upload or delete (403); outsiders see nothing (404).
    for token in (viewer, member_token):
        assert upload(client, token, meeting).status_code == 403
        assert call(client, "delete", f"/meeting-attachments/{stored.pk}", token).status_code == 403
    assert upload(client, outsider, meeting).status_code == 404
    assert call(client, "delete", f"/meeting-attachments/{stored.pk}", outsider).status_code == 404
    assert Attachment.objects.count() == 1
    deleted = call(client, "delete", f"/meeting-attachments/{stored.pk}", sec)
    assert deleted.status_code == 200 and deleted.json() == {"id": stored.pk, "deleted": True}
    assert not Attachment.objects.exists()
    assert audit_rows("life.attachment", event="delete", object_id=str(stored.pk), changes__meeting=meeting.pk).exists()
    assert call(client, "get", photo["download"], sec).status_code == 404


@pytest.mark.parametrize("kind, content, name, errors", [
    ("photo", b"MZ\x90\x00 not an image", "会场照片.png", {"file": ["只能上传 JPEG、PNG 图片或 PDF 文件。"]}),
    ("photo", b"", "空.png", {"file": ["文件为空。"]}),
    ("video", PNG, "会场照片.png", {"kind": ["取值无效，可选值：signin、photo、other"]}),
    (None, PNG, "会场照片.png", {"kind": ["此项为必填项。"]}),
    ("photo", None, None, {"file": ["此项为必填项。"]}),
])
def test_a_bad_upload_is_422_with_a_chinese_field_error_and_nothing_is_stored(client, tree, sec, sec_user, media,
                                                                             kind, content, name, errors):
    from dangjian.life.models import Attachment

    meeting = services.meeting_record(actor=sec_user, org=tree["branch_a2"], type="assembly", theme="支部大会",
                                      date=TODAY)
    response = upload(client, sec, meeting, kind=kind, content=content, name=name)
    assert response.status_code == 422, response.content
    got = response.json()["errors"]
    assert got.keys() == errors.keys()
    assert all(message.startswith(errors[field][0].rstrip("。")) for field, (message,) in got.items())
    assert not Attachment.objects.exists() and not audit_rows("life.attachment").exists()


def test_a_cancelled_meeting_takes_no_attachment(client, tree, sec, sec_user, media):
    from dangjian.life.models import Attachment

    planned = services.meeting_plan(actor=sec_user, org=tree["branch_a2"], type="assembly", theme="支部大会",
                                    date=TODAY + timedelta(days=3))
    services.meeting_cancel(actor=sec_user, meeting=planned, reason="改期")
    response = upload(client, sec, planned, kind="signin")
    assert response.status_code == 422 and response.json()["detail"] == "已取消的会议不能上传附件。"
    assert not Attachment.objects.exists()
