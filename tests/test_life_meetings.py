"""Meetings: planning and recording, history-aware expected lists, attendance, votes, attachments, pages."""

from datetime import date, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.life import services
from dangjian.life.models import Attachment, Attendance, Meeting, MeetingChange, MeetingType, Vote
from dangjian.members.models import Status
from tests.factories import make_user
from tests.life_helpers import committee, member, writer

pytestmark = pytest.mark.django_db
D = date(2024, 3, 12)
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def plan(actor, org, mt=MeetingType.ASSEMBLY, d=D, **kw):
    return services.meeting_plan(actor=actor, org=org, type=mt, theme=kw.pop("theme", "学习会"), date=d, **kw)


def record(actor, org, mt=MeetingType.ASSEMBLY, d=D, **kw):
    return services.meeting_record(actor=actor, org=org, type=mt, theme=kw.pop("theme", "学习会"), date=d, **kw)


def expected(meeting):
    return set(meeting.attendance.values_list("person__name", flat=True))


# --- expected lists ---------------------------------------------------------------------------


def test_member_who_joined_the_day_after_is_not_expected_and_one_who_joined_that_day_is(tree):
    org = tree["branch_a1"]
    member(org, name="当天", started=D)
    member(org, name="次日", started=D + timedelta(days=1))
    member(org, name="老党员")
    assert expected(plan(writer(org), org)) == {"当天", "老党员"}


def test_member_who_left_before_is_not_expected_but_one_leaving_after_is(tree):
    org = tree["branch_a1"]
    member(org, name="已调走", ended=D)
    member(org, name="后调走", ended=D + timedelta(days=1))
    assert expected(plan(writer(org), org)) == {"后调走"}


def test_expected_are_party_members_only_full_and_probationary(tree):
    org = tree["branch_a1"]
    member(org, name="正式")
    member(org, name="预备", status=Status.PROBATIONARY)
    member(org, name="积极分子", status=Status.ACTIVIST)
    member(org, name="后入党", status=Status.PROBATIONARY, joined_on=D + timedelta(days=5))
    assert expected(plan(writer(org), org)) == {"正式", "预备"}


def test_general_branch_assembly_expects_its_whole_subtree(tree):
    member(tree["branch_a1"], name="一支部")
    member(tree["branch_a2"], name="二支部")
    member(tree["school_b"], name="外校")
    assert expected(plan(writer(tree["school_a"]), tree["school_a"])) == {"一支部", "二支部"}


def test_committee_meeting_expects_the_post_holders_on_that_date(tree):
    org = tree["branch_a1"]
    a, b = member(org, name="书记"), member(org, name="委员")
    c = member(org, name="新委员")
    committee(org, [a, b])
    committee(org, [c], started=D + timedelta(days=1))
    member(org, name="普通党员")
    assert expected(plan(writer(org), org, MeetingType.COMMITTEE)) == {"书记", "委员"}


def test_group_meeting_expects_the_members_of_that_group(tree):
    org, group = tree["branch_a1"], tree["group_a1"]
    member(org, name="组员", group=group)
    member(org, name="非组员")
    assert expected(plan(writer(org), group, MeetingType.GROUP)) == {"组员"}


def test_group_meeting_must_be_held_by_a_group(tree):
    with pytest.raises(ValidationError, match="党小组会须由党小组召开"):
        plan(writer(tree["branch_a1"]), tree["branch_a1"], MeetingType.GROUP)


def test_talk_expects_the_two_people_chosen(tree):
    org = tree["branch_a1"]
    a, b = member(org, name="甲"), member(org, name="乙")
    member(org, name="丙")
    assert expected(plan(writer(org), org, MeetingType.TALK, participants=[a, b])) == {"甲", "乙"}
    with pytest.raises(ValidationError, match="两名"):
        plan(writer(org), org, MeetingType.TALK, participants=[a])
    outsider = member(tree["school_b"])
    with pytest.raises(ValidationError, match="本组织"):
        plan(writer(org), org, MeetingType.TALK, participants=[a, outsider])


# --- date and field rules -------------------------------------------------------------------


def test_a_meeting_dated_in_the_future_cannot_be_recorded_as_held(tree):
    org = tree["branch_a1"]
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError, match="不能登记为已召开"):
        record(writer(org), org, d=tomorrow)
    assert not Meeting.objects.exists()
    assert record(writer(org), org, d=timezone.localdate()).status == Meeting.Status.HELD


def test_planned_future_meeting_cannot_be_marked_held_and_stays_planned(tree):
    org = tree["branch_a1"]
    user = writer(org)
    m = plan(user, org, d=timezone.localdate() + timedelta(days=3))
    with pytest.raises(ValidationError, match="不能登记为已召开"):
        services.meeting_record(actor=user, meeting=m)
    m.refresh_from_db()
    assert m.status == Meeting.Status.PLANNED


def test_end_before_start_is_refused(tree):
    org = tree["branch_a1"]
    with pytest.raises(ValidationError, match="结束时间须晚于开始时间"):
        plan(writer(org), org, start_time=time(15), end_time=time(14))
    assert not Meeting.objects.exists()


def test_other_type_needs_its_name_and_three_major_only_for_school_meetings(tree):
    org = tree["school_a"]
    with pytest.raises(ValidationError, match="类型名称"):
        plan(writer(org), org, MeetingType.OTHER)
    assert plan(writer(org), org, MeetingType.OTHER, other_type="专题读书班").type_label == "专题读书班"
    with pytest.raises(ValidationError, match="三重一大"):
        plan(writer(org), org, MeetingType.ASSEMBLY, large_funds=True)
    assert plan(writer(org), org, MeetingType.SCHOOL_PARTY, large_funds=True).large_funds


def test_host_must_come_from_the_org_subtree(tree):
    org = tree["branch_a1"]
    with pytest.raises(ValidationError, match="主持人须是本组织"):
        plan(writer(org), org, host=member(tree["school_b"]))


def test_secretary_lecturer_marks_the_lecture_as_by_secretary(tree):
    org = tree["branch_a1"]
    sec, other = member(org), member(org)
    committee(org, [sec])
    assert plan(writer(org), org, MeetingType.LECTURE, lecturer=sec).by_secretary
    assert not plan(writer(org), org, MeetingType.LECTURE, lecturer=other).by_secretary


def test_writer_outside_scope_cannot_plan(tree):
    from django.core.exceptions import PermissionDenied
    with pytest.raises(PermissionDenied):
        plan(writer(tree["school_b"]), tree["branch_a1"])


def test_editing_a_held_meeting_keeps_history_and_requires_a_note(tree):
    org = tree["branch_a1"]
    user = writer(org)
    m = record(user, org, place="会议室")
    with pytest.raises(ValidationError, match="修改说明"):
        services.meeting_update(actor=user, meeting=m, place="报告厅")
    services.meeting_update(actor=user, meeting=m, place="报告厅", note="更正地点")
    change = MeetingChange.objects.get(meeting=m)
    assert change.before == {"place": "会议室"} and change.after == {"place": "报告厅"} and change.note == "更正地点"
    row = AuditLog.objects.filter(object_type="life.meeting", event="update").last()
    assert row.changes["before"] == {"place": "会议室"}


def test_changing_the_date_of_a_planned_meeting_recomputes_the_expected_list(tree):
    org = tree["branch_a1"]
    user = writer(org)
    member(org, name="老")
    member(org, name="新", started=D + timedelta(days=10))
    m = plan(user, org)
    assert expected(m) == {"老"}
    services.meeting_update(actor=user, meeting=m, date=D + timedelta(days=10))
    assert expected(m) == {"老", "新"}


def test_cancel_only_planned(tree):
    org = tree["branch_a1"]
    user = writer(org)
    m = plan(user, org)
    services.meeting_cancel(actor=user, meeting=m)
    m.refresh_from_db()
    assert m.status == Meeting.Status.CANCELLED
    with pytest.raises(ValidationError):
        services.meeting_cancel(actor=user, meeting=record(user, org))


# --- attendance -----------------------------------------------------------------------------


def test_attendance_outside_the_expected_list_is_refused_and_changes_nothing(tree):
    org = tree["branch_a1"]
    user = writer(org)
    a = member(org)
    m = record(user, org)
    stranger = member(tree["branch_a2"])
    with pytest.raises(ValidationError, match="不在本次会议的应到名单中"):
        services.attendance_set(actor=user, meeting=m, entries=[{"person": a, "status": "present"},
                                                                 {"person": stranger, "status": "present"}])
    assert Attendance.objects.get(meeting=m, person=a).status == Attendance.Status.ABSENT


def test_leave_needs_a_reason_and_briefing_is_recorded(tree):
    org = tree["branch_a1"]
    user = writer(org)
    a = member(org)
    m = record(user, org)
    with pytest.raises(ValidationError, match="请假须填写事由"):
        services.attendance_set(actor=user, meeting=m, entries=[{"person": a, "status": "leave"}])
    services.attendance_set(actor=user, meeting=m, entries=[{"person": a, "status": "leave", "leave_reason": "外出培训",
                                                             "leave_approved": True, "briefed_on": D + timedelta(days=2)}])
    row = Attendance.objects.get(meeting=m, person=a)
    assert (row.status, row.leave_reason, row.leave_approved, row.briefed_on) == ("leave", "外出培训", True,
                                                                                 D + timedelta(days=2))
    with pytest.raises(ValidationError, match="补课日期不能早于"):
        services.attendance_set(actor=user, meeting=m, entries=[{"person": a, "status": "absent",
                                                                 "briefed_on": D - timedelta(days=1)}])


def test_attendance_of_a_planned_meeting_is_refused(tree):
    org = tree["branch_a1"]
    a = member(org)
    with pytest.raises(ValidationError, match="已召开后"):
        services.attendance_set(actor=writer(org), meeting=plan(writer(org), org), entries=[{"person": a,
                                                                                            "status": "present"}])


# --- votes through the service --------------------------------------------------------------


def test_vote_counts_only_full_members_without_probation_from_the_attendance(tree):
    org = tree["branch_a1"]
    user = writer(org)
    full = [member(org) for _ in range(5)]
    member(org, status=Status.PROBATIONARY)
    member(org, under_party_probation=True)
    m = record(user, org)
    services.attendance_set(actor=user, meeting=m, entries=[{"person": p, "status": "present"} for p in full[:3]])
    vote = services.vote_record(actor=user, meeting=m, kind=Vote.Kind.ADMISSION, subject="接收张三为预备党员",
                                yes=3, no=0, abstain=0)
    assert (vote.voters_due, vote.voters_present, vote.quorum_met, vote.passed) == (5, 3, True, True)
    assert "细则" in vote.rule_note
    with pytest.raises(ValidationError, match="不能超过实到"):
        services.vote_record(actor=user, meeting=m, kind=Vote.Kind.ADMISSION, subject="x", yes=3, no=1, abstain=0)
    assert Vote.objects.count() == 1


def test_vote_needs_a_held_meeting(tree):
    org = tree["branch_a1"]
    member(org)
    with pytest.raises(ValidationError, match="已召开后"):
        services.vote_record(actor=writer(org), meeting=plan(writer(org), org), kind="decision", subject="x",
                             yes=0, no=0, abstain=0)


# --- attachments ----------------------------------------------------------------------------


def test_attachment_content_is_checked_by_magic_bytes_and_size(tree):
    org = tree["branch_a1"]
    user = writer(org)
    m = record(user, org)
    html = SimpleUploadedFile("x.png", b"<html><script>alert(1)</script>", content_type="image/png")
    with pytest.raises(ValidationError, match="只能上传"):
        services.attachment_add(actor=user, meeting=m, kind="photo", upload=html)
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError, match="10 MB"):
        services.attachment_add(actor=user, meeting=m, kind="signin", upload=big)
    assert not Attachment.objects.exists()
    ok = services.attachment_add(actor=user, meeting=m, kind="signin",
                                 upload=SimpleUploadedFile("签到表.pdf", PDF, content_type="text/html"))
    assert ok.content_type == "application/pdf" and ok.original_name == "签到表.pdf"


def test_attachment_is_served_as_a_download_only_inside_the_scope(client, tree):
    org = tree["branch_a1"]
    user = writer(org)
    m = record(user, org)
    a = services.attachment_add(actor=user, meeting=m, kind="photo", upload=SimpleUploadedFile("p.png", PNG))
    client.force_login(user)
    response = client.get(reverse("life:attachment_download", args=[a.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    client.force_login(writer(tree["school_b"]))
    assert client.get(reverse("life:attachment_download", args=[a.pk])).status_code == 404


def test_attachment_delete_removes_row_and_audits(client, tree):
    org = tree["branch_a1"]
    user = writer(org)
    m = record(user, org)
    a = services.attachment_add(actor=user, meeting=m, kind="photo", upload=SimpleUploadedFile("p.png", PNG))
    client.force_login(user)
    assert client.post(reverse("life:attachment_delete", args=[a.pk])).status_code == 302
    assert not Attachment.objects.exists()
    assert AuditLog.objects.filter(event="delete", object_type="life.attachment").exists()


# --- pages ----------------------------------------------------------------------------------


def _populate(org, user, n):
    people = [member(org) for _ in range(3)]
    for i in range(n):
        m = record(user, org, d=D + timedelta(days=i))
        services.attendance_set(actor=user, meeting=m, entries=[{"person": p, "status": "present"} for p in people])


def test_list_page_query_count_is_fixed(client, tree, django_assert_num_queries):
    org = tree["branch_a1"]
    user = writer(org)
    client.force_login(user)
    _populate(org, user, 2)
    client.get(reverse("life:meetings"))
    with django_assert_num_queries(9) as small:
        assert client.get(reverse("life:meetings")).status_code == 200
    _populate(org, user, 12)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("life:meetings") + "?type=assembly&status=held&q=学习")
    assert response.status_code == 200 and "学习会" in response.content.decode()


def test_list_filters_by_org_subtree_and_dates(client, tree):
    user = writer(tree["school_a"])
    record(user, tree["branch_a1"], theme="一支部会")
    record(user, tree["branch_a2"], theme="二支部会", d=D + timedelta(days=40))
    client.force_login(user)
    body = client.get(reverse("life:meetings"), {"org": tree["branch_a1"].pk}).content.decode()
    assert "一支部会" in body and "二支部会" not in body
    body = client.get(reverse("life:meetings"), {"start": (D + timedelta(days=1)).isoformat()}).content.decode()
    assert "二支部会" in body and "一支部会" not in body


def test_member_sees_only_the_meetings_they_are_expected_at(client, tree):
    user = writer(tree["school_a"])
    me = member(tree["branch_a1"])
    account = make_user(person=me)
    plan(user, tree["branch_a1"], theme="我的会")
    plan(user, tree["branch_a2"], theme="别人的会")
    client.force_login(account)
    body = client.get(reverse("life:meetings")).content.decode()
    assert "我的会" in body and "别人的会" not in body
    other = Meeting.objects.get(theme="别人的会")
    assert client.get(reverse("life:meeting_detail", args=[other.pk])).status_code == 404
    mine = Meeting.objects.get(theme="我的会")
    page = client.get(reverse("life:meeting_detail", args=[mine.pk])).content.decode()
    assert "meeting_edit" not in page and "/edit/" not in page and "签到码 <span" not in page


def test_detail_page_query_count_is_fixed(client, tree, django_assert_num_queries):
    org = tree["branch_a1"]
    user = writer(org)
    client.force_login(user)
    people = [member(org) for _ in range(2)]
    m = record(user, org)
    services.attendance_set(actor=user, meeting=m, entries=[{"person": p, "status": "present"} for p in people])
    client.get(reverse("life:meeting_detail", args=[m.pk]))
    with django_assert_num_queries(11) as small:
        assert client.get(reverse("life:meeting_detail", args=[m.pk])).status_code == 200
    for _ in range(15):
        member(org)
    m2 = record(user, org)
    services.attendance_set(actor=user, meeting=m2, entries=[{"person": p, "status": "present"} for p in people])
    services.vote_record(actor=user, meeting=m2, kind="decision", subject="决议", yes=2, no=0, abstain=0)
    services.attachment_add(actor=user, meeting=m2, kind="photo", upload=SimpleUploadedFile("p.png", PNG))
    services.meeting_update(actor=user, meeting=m2, place="新地点", note="更正")
    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get(reverse("life:meeting_detail", args=[m2.pk])).content.decode()
    assert "<svg" in body and services.signin_code(m2) in body and "新地点" in body


def test_plan_page_creates_a_meeting_and_shows_chinese_errors(client, tree):
    org = tree["branch_a1"]
    user = writer(org)
    member(org, name="赵")
    client.force_login(user)
    url = reverse("life:meeting_plan") + f"?org={org.pk}"
    assert "召开会议的组织" in client.get(reverse("life:meeting_plan")).content.decode()
    bad = client.post(url, {"type": "assembly", "theme": "会", "date": "2024-03-12", "start_time": "15:00",
                            "end_time": "14:00"})
    assert bad.status_code == 400 and "结束时间须晚于开始时间" in bad.content.decode()
    ok = client.post(url, {"type": "assembly", "theme": "季度党员大会", "date": "2024-03-12", "start_time": "14:00",
                           "end_time": "15:00", "place": "会议室"})
    assert ok.status_code == 302
    assert expected(Meeting.objects.get(theme="季度党员大会")) == {"赵"}


def test_attendance_form_on_the_detail_page(client, tree):
    org = tree["branch_a1"]
    user = writer(org)
    a, b = member(org), member(org)
    m = record(user, org)
    client.force_login(user)
    data = {"att-TOTAL_FORMS": "2", "att-INITIAL_FORMS": "2"}
    for i, p in enumerate(sorted([a, b], key=lambda p: (p.name, p.pk))):
        data.update({f"att-{i}-person": p.pk, f"att-{i}-status": "present" if i == 0 else "leave",
                     f"att-{i}-leave_reason": "" if i == 0 else "病假"})
    assert client.post(reverse("life:attendance", args=[m.pk]), data).status_code == 302
    assert sorted(m.attendance.values_list("status", flat=True)) == ["leave", "present"]
    data["att-1-person"] = member(tree["branch_a2"]).pk
    response = client.post(reverse("life:attendance", args=[m.pk]), data)
    assert response.status_code == 400 and "不在本次会议的应到名单中" in response.content.decode()


def test_vote_page_records_a_vote(client, tree):
    org = tree["branch_a1"]
    user = writer(org)
    people = [member(org) for _ in range(3)]
    m = record(user, org)
    services.attendance_set(actor=user, meeting=m, entries=[{"person": p, "status": "present"} for p in people])
    client.force_login(user)
    url = reverse("life:vote_add", args=[m.pk])
    bad = client.post(url, {"kind": "decision", "subject": "决议", "yes": 3, "no": 1, "abstain": 0,
                            "written_yes": 0, "written_no": 0})
    assert bad.status_code == 400 and "不能超过实到" in bad.content.decode()
    ok = client.post(url, {"kind": "decision", "subject": "决议", "yes": 2, "no": 1, "abstain": 0,
                           "written_yes": 0, "written_no": 0})
    assert ok.status_code == 302 and Vote.objects.get().passed
