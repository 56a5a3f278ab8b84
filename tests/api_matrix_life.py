"""API permission-matrix rows for the life app (see tests/test_api_permissions.py).

"in": records of branch_a2 (inside school_a, where the org roles sit); "out": records of school_b.
The member (branch_a1, ctx["own_person"]) is expected at none of these meetings and the tasks are not issued
to his line, so he sees the lists (his own records only) and none of the objects.
"""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.life import services
from dangjian.life.models import StudyLog
from dangjian.members.models import OrgMembership
from dangjian.orgs.models import Role
from tests.factories import make_user
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_write


def extend_ctx(ctx):
    tree = ctx["tree"]
    today = timezone.localdate()
    for person in (ctx["person_in"], ctx["person_out"], ctx["own_person"]):
        OrgMembership.objects.get_or_create(person=person, org=person.org, defaults={"started_on": date(2015, 1, 1)})
    writers = {"in": make_user("api_life_w_in", Role.SECRETARY, tree["school_a"]),
               "out": make_user("api_life_w_out", Role.SECRETARY, tree["school_b"])}
    ctx["life_writers"] = writers
    for scope, org in (("in", ctx["org_in"]), ("out", ctx["org_out"])):
        user = writers[scope]
        held = services.meeting_record(actor=user, org=org, type="assembly", theme=f"已开{scope}", date=today)
        ctx[f"meeting_{scope}"] = held
        ctx[f"planned_{scope}"] = services.meeting_plan(actor=user, org=org, type="assembly", theme=f"计划{scope}",
                                                        date=today)
        ctx[f"vote_{scope}"] = services.vote_record(actor=user, meeting=held, kind="decision", subject="决议",
                                                    yes=0, no=0, abstain=0)
        ctx[f"task_{scope}"] = services.study_task_create(actor=user, org=org, title=f"任务{scope}",
                                                          starts_on=today, due_on=today)
        ctx[f"log_{scope}"] = StudyLog.objects.create(person=ctx[f"person_{scope}"], task=ctx[f"task_{scope}"],
                                                      date=today, hours=1)
        ctx[f"attachment_{scope}"] = services.attachment_add(actor=user, meeting=held, kind="photo", upload=png())


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def png(name="会场.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def fresh_attachment(c, s):
    attachment = services.attachment_add(actor=c["life_writers"][s], meeting=c[f"meeting_{s}"], kind="signin",
                                         upload=png("签到表.png"))
    return {"attachment_id": attachment.pk}


def key(name, param):
    return lambda c, s: {param: c[f"{name}_{s}"].pk}


def fresh_planned(c, s):
    org = c["org_in" if s == "in" else "org_out"]
    meeting = services.meeting_plan(actor=c["life_writers"][s], org=org, type="assembly", theme="新计划",
                                    date=timezone.localdate())
    return {"meeting_id": meeting.pk}


def fresh_task(c, s):
    org = c["org_in" if s == "in" else "org_out"]
    today = timezone.localdate()
    task = services.study_task_create(actor=c["life_writers"][s], org=org, title="待删除", starts_on=today,
                                      due_on=today)
    return {"task_id": task.pk}


def org_body(extra):
    return lambda c, s: {"org": c["org_in" if s == "in" else "org_out"].pk, **extra(c, s)}


def member_list():
    return api_list() | {"member": 200}


TODAY = lambda c, s: timezone.localdate().isoformat()  # noqa: E731
MEETING = key("meeting", "meeting_id")

def own_signin(c, s):
    """A signed token for a meeting of the member's branch today (no times: the whole day is the window)."""
    meeting = services.meeting_plan(actor=make_user(role=Role.SECRETARY, org=c["tree"]["school_a"]),
                                    org=c["tree"]["branch_a1"], type="assembly", theme="扫码签到",
                                    date=timezone.localdate())
    return {"token": services.signin_token(meeting)}


EXPECT = {
    "meetings_list": Case(member_list()),
    "meetings_create": Case(api_create(), body=org_body(lambda c, s: {
        "type": "assembly", "theme": "接口计划", "date": TODAY(c, s)}), scoped=True),
    "meetings_detail": Case(api_read(), MEETING),
    "meetings_update": Case(api_write(), key("planned", "meeting_id"), body={"place": "三楼会议室"}),
    "meetings_record": Case(api_write(), fresh_planned, body={"minutes": "会议记录"}),
    "meetings_cancel": Case(api_write(), fresh_planned, body={"reason": "改期"}),
    "meetings_attendance": Case(api_read(), MEETING),
    "meetings_attendance_set": Case(api_write(), MEETING, body=lambda c, s: {
        "entries": [{"person": c[f"person_{s}"].pk, "status": "present"}]}),
    "meetings_votes": Case(api_read(), MEETING),
    "meetings_vote_add": Case(api_write(201), MEETING, body={"kind": "decision", "subject": "一般决议", "yes": 0,
                                                            "no": 0, "abstain": 0}),
    "votes_detail": Case(api_read(), key("vote", "vote_id")),
    "meetings_attachments": Case(api_read(), MEETING),
    "meetings_attachment_add": Case(api_write(201), MEETING, body={"kind": "photo"},
                                    files=lambda c, s: {"file": png()}),
    "meetings_attachment_download": Case(api_read(), key("attachment", "attachment_id")),
    "meetings_attachment_delete": Case(api_write(), fresh_attachment),
    "study_tasks_list": Case(member_list()),
    "study_tasks_create": Case(api_create(), body=org_body(lambda c, s: {
        "title": "学习新党章", "starts_on": TODAY(c, s), "due_on": TODAY(c, s), "expected_hours": "2"}), scoped=True),
    "study_tasks_detail": Case(api_read(), key("task", "task_id")),
    "study_tasks_update": Case(api_write(), key("task", "task_id"), body={"description": "逐章学习"}),
    "study_tasks_delete": Case(api_write(), fresh_task),
    "study_logs_list": Case(member_list()),
    # Only a member logs his own study; org roles and administrators have no linked record.
    "study_logs_create": Case({"anon": 401} | {r: 403 for r in api_list() if r != "anon"} | {"member": 201},
                              body=lambda c, s: {"date": TODAY(c, s), "hours": "1.5", "notes": "自学"}),
    "study_logs_detail": Case(api_read(), key("log", "log_id")),
    # Any account may scan; only someone expected at the meeting (the member) is marked present, the others get 422.
    "meetings_signin": Case({"anon": 401} | {r: 422 for r in api_list() if r != "anon"} | {"member": 200},
                            body=own_signin),
}
