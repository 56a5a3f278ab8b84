"""Permission-matrix entries for the tasks app (see tests/test_permission_matrix.py).

"in": a task school_a issues to branch_a2 (its receipt, answer file), a pledge of branch_a2, an instructor of
school_a; "out": the same for school_b (task issued by the area). Objects a POST removes are made afresh per call.
"""

import itertools
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.tasks import services
from dangjian.tasks.models import Instructor, Pledge, Receipt
from tests.test_permission_matrix import Route, read_list, read_object, write_object

PDF = b"%PDF-1.4\n" + b"0" * 32
_years = itertools.count(2000)


def _issue(ctx, scope):
    tree = ctx["tree"]
    issuer, receiver = (tree["school_a"], tree["branch_a2"]) if scope == "in" else (tree["area"], tree["school_b"])
    return services.task_issue(actor=None, org=issuer, title=f"任务{scope}", receivers="explicit",
                               explicit=[receiver.pk], due_on=timezone.localdate() + timedelta(days=5),
                               upload=SimpleUploadedFile("要求.pdf", PDF))


def extend_ctx(ctx):
    tree = ctx["tree"]
    for scope, school in (("in", tree["school_a"]), ("out", tree["school_b"])):
        task = _issue(ctx, scope)
        receipt = Receipt.objects.get(task=task)
        services.receipt_answer(actor=None, receipt=receipt, answer="已完成",
                                files=[SimpleUploadedFile("反馈.pdf", PDF)])
        # ctx keys carry the app's name: "task_in" is the life app's study task
        ctx[f"tasks_task_{scope}"], ctx[f"tasks_receipt_{scope}"] = task, receipt
        ctx[f"tasks_receipt_file_{scope}"] = receipt.files.get()
        ctx[f"tasks_pledge_{scope}"] = _pledge(ctx, scope)
        ctx[f"tasks_instructor_{scope}"] = Instructor.objects.create(org=school, name="指导员", unit="区教育局",
                                                               started_on=date(2026, 1, 1))


def _pledge(ctx, scope):
    pledge = Pledge(org=ctx["org_in" if scope == "in" else "org_out"], year=next(_years), signed_on=date(2026, 1, 1),
                    signers="书记", file_name="责任书.pdf", content_type="application/pdf")
    pledge.file.save("p.pdf", ContentFile(PDF), save=True)
    return pledge


def key(name):
    return lambda c, s: {"pk": c[f"tasks_{name}_{s}"].pk}


def fresh(make):
    return lambda c, s: {"pk": make(c, s).pk}


def fresh_instructor(ctx, scope):
    school = ctx["tree"]["school_a" if scope == "in" else "school_b"]
    return Instructor.objects.create(org=school, name="临时", unit="单位", started_on=date(2026, 1, 1))


ROUTES = {
    "tasks:home": Route(expect=read_list()),
    "tasks:task_new": Route(expect=read_list(writers_only=True)),
    "tasks:task_detail": Route(key("task"), read_object()),
    "tasks:task_edit": Route(key("task"), write_object()),
    "tasks:task_withdraw": Route(fresh(_issue), write_object(302), method="post"),
    "tasks:task_file": Route(key("task"), read_object()),
    "tasks:receipt_answer": Route(key("receipt"), write_object()),
    "tasks:receipt_file": Route(key("receipt_file"), read_object()),
    "tasks:pledges": Route(expect=read_list()),
    "tasks:pledge_new": Route(expect=read_list(writers_only=True)),
    "tasks:pledge_edit": Route(key("pledge"), write_object()),
    "tasks:pledge_delete": Route(fresh(_pledge), write_object(302), method="post"),
    "tasks:pledge_file": Route(key("pledge"), read_object()),
    "tasks:instructors": Route(expect=read_list()),
    "tasks:instructor_new": Route(expect=read_list(writers_only=True)),
    "tasks:instructor_edit": Route(key("instructor"), write_object()),
    "tasks:instructor_delete": Route(fresh(fresh_instructor), write_object(302), method="post"),
}
