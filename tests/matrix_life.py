"""Permission-matrix entries for the life app (see tests/test_permission_matrix.py).

"in": objects of branch_a2 (inside school_a, where the org roles sit); "out": objects of school_b.
The member user (branch_a1, ctx["own_person"]) is expected at ctx["meeting_own"] only.
"""

from datetime import date, time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.life import services
from dangjian.life.models import StudyLog
from dangjian.members.models import OrgMembership
from dangjian.orgs.models import Role
from tests.factories import make_user
from tests.test_permission_matrix import ALL, Route, read_list, read_object, write_object

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def extend_ctx(ctx):
    tree = ctx["tree"]
    writer_in = make_user("life_w_in", Role.SECRETARY, tree["school_a"])
    writer_out = make_user("life_w_out", Role.SECRETARY, tree["school_b"])
    today = timezone.localdate()
    for person in (ctx["person_in"], ctx["person_out"], ctx["own_person"]):
        OrgMembership.objects.get_or_create(person=person, org=person.org, defaults={"started_on": date(2015, 1, 1)})

    def meetings(user, org, tag):
        held = services.meeting_record(actor=user, org=org, type="assembly", theme=f"已开{tag}", date=today,
                                       start_time=time(0, 0))
        planned = services.meeting_plan(actor=user, org=org, type="assembly", theme=f"计划{tag}", date=today)
        att = services.attachment_add(actor=user, meeting=held, kind="photo", upload=SimpleUploadedFile("p.png", PNG))
        task = services.study_task_create(actor=user, org=org, title=f"任务{tag}", starts_on=today, due_on=today)
        empty = services.study_task_create(actor=user, org=org, title=f"空任务{tag}", starts_on=today, due_on=today)
        return held, planned, att, task, empty

    for tag, user, org in (("in", writer_in, tree["branch_a2"]), ("out", writer_out, tree["school_b"])):
        ctx[f"meeting_{tag}"], ctx[f"planned_{tag}"], ctx[f"att_{tag}"], ctx[f"task_{tag}"], ctx[f"empty_task_{tag}"] = \
            meetings(user, org, tag)
    ctx["meeting_own"] = services.meeting_plan(actor=writer_in, org=tree["branch_a1"], type="assembly",
                                               theme="我的会", date=today)
    log = StudyLog.objects.create(person=ctx["person_in"], date=today, hours=1)
    log.attachment.save("x.png", SimpleUploadedFile("x.png", PNG), save=True)
    log_out = StudyLog.objects.create(person=ctx["person_out"], date=today, hours=1)
    log_out.attachment.save("y.png", SimpleUploadedFile("y.png", PNG), save=True)
    ctx["log_in"], ctx["log_out"] = log, log_out


def key(name):
    return lambda c, s: {"pk": c[f"{name}_{s}"].pk}


def token(c, s):
    return {"token": services.signin_token(c[f"meeting_{s}"])}


def member_list():
    """Lists a member may open too (their own meetings, the tasks of their line)."""
    return read_list() | {"member": 200}


def member_reads(own_status=404):
    return read_object() | {"member": (own_status, 404)}


def writers(ok, none=403):
    return {r: ok if r in ("secretary", "org_admin") else none for r in ALL} | {"anon": 302}


# Sign-in: org roles have no linked person, so they are not expected (400 page); the member is not expected
# at meeting_in/out either. Nobody is ever marked present outside their list.
SIGNIN = {r: (400, 400) for r in ALL} | {"anon": (302, 302)}

ROUTES = {
    "life:meetings": Route(expect=member_list()),
    "life:meeting_plan": Route(expect=writers(200)),
    "life:meeting_record_new": Route(expect=writers(200)),
    "life:meeting_detail": Route(key("meeting"), member_reads()),
    "life:meeting_edit": Route(key("meeting"), write_object()),
    "life:meeting_record": Route(key("planned"), write_object()),
    # The first POST cancels; the second (already cancelled) is refused with a message and a redirect.
    "life:meeting_cancel": Route(key("planned"), write_object(302), method="post"),
    "life:attendance": Route(key("meeting"), write_object(302), method="post",
                             data={"att-TOTAL_FORMS": "0", "att-INITIAL_FORMS": "0"}),
    "life:vote_add": Route(key("meeting"), write_object()),
    "life:attachment_add": Route(key("meeting"), write_object(302), method="post"),
    "life:attachment_download": Route(key("att"), read_object()),
    # The first POST deletes the attachment, so the second one answers 404.
    "life:attachment_delete": Route(key("att"), {**write_object(302), "org_admin": (404, 404)}, method="post"),
    "life:signin_code": Route(expect={r: 200 for r in ALL} | {"anon": 302}),
    "life:signin": Route(token, SIGNIN),
    "life:calendar": Route(expect=member_list()),
    "life:calendar_ics": Route(expect=member_list()),
    "life:study_tasks": Route(expect=member_list()),
    "life:study_task_create": Route(expect=writers(200)),
    "life:study_task_detail": Route(key("task"), member_reads()),
    "life:study_task_edit": Route(key("task"), write_object()),
    # Tasks with completions cannot be deleted; the empty one is deleted by the first writer.
    "life:study_task_delete": Route(key("empty_task"), {**write_object(302), "org_admin": (404, 404)},
                                    method="post"),
    "life:study_log_add": Route(expect={r: 403 for r in ALL} | {"anon": 302, "member": 200}),
    "life:study_log_file": Route(key("log"), read_object()),
    "life:study_mine": Route(expect={r: 403 for r in ALL} | {"anon": 302, "member": 200}),
}
