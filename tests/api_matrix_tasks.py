"""API permission-matrix rows for the tasks app (see tests/test_api_permissions.py).

"in": a task school_a issues to branch_a2 and its receipt, a pledge of branch_a2, an instructor of school_a;
"out": a task the area issues to school_b, the same for school_b. Answers, edits, withdrawals and deletions go to
a fresh object each call.
"""

import itertools
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from django.utils import timezone

from dangjian.tasks import services
from dangjian.tasks.models import Instructor, Pledge, Receipt
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_write


def _issue(ctx, scope):
    tree = ctx["tree"]
    issuer, receiver = (tree["school_a"], tree["branch_a2"]) if scope == "in" else (tree["area"], tree["school_b"])
    return services.task_issue(actor=None, org=issuer, title=f"接口任务{scope}", receivers="explicit",
                               explicit=[receiver.pk], due_on=timezone.localdate() + timedelta(days=5))


PDF = b"%PDF-1.4\n" + b"0" * 32
_years = itertools.cycle(range(2000, 2026))  # unique within one test's rows


def _pledge(ctx, scope):
    year = next(_years)
    pledge = Pledge(org=ctx[f"org_{scope}"], year=year, signed_on=date(year, 3, 1), signers="书记",
                    file_name="责任书.pdf", content_type="application/pdf")
    pledge.file.save("p.pdf", ContentFile(PDF), save=True)
    return pledge


def _instructor(ctx, scope):
    school = ctx["tree"]["school_a" if scope == "in" else "school_b"]
    return Instructor.objects.create(org=school, name="指导员", unit="区教育局", started_on=date(2026, 1, 1))


def extend_ctx(ctx):
    for scope in ("in", "out"):
        task = _issue(ctx, scope)
        ctx[f"tasks_task_{scope}"], ctx[f"tasks_receipt_{scope}"] = task, Receipt.objects.get(task=task)
        ctx[f"tasks_pledge_{scope}"] = _pledge(ctx, scope)
        ctx[f"tasks_instructor_{scope}"] = _instructor(ctx, scope)


def key(name, param):
    return lambda c, s: {param: c[f"tasks_{name}_{s}"].pk}


def fresh(make, param):
    return lambda c, s: {param: make(c, s).pk}


def _pledge_form(ctx, scope):
    year = next(_years)
    return {"org": ctx[f"org_{scope}"].pk, "year": year, "signed_on": f"{year}-03-01", "signers": "区委教育工委书记"}


def _pledge_file(ctx, scope):
    return {"file": SimpleUploadedFile("责任书.pdf", PDF)}


def _instructor_body(ctx, scope):
    school = ctx["tree"]["school_a" if scope == "in" else "school_b"]
    return {"org": school.pk, "name": "王指导", "unit": "区教育局", "started_on": "2026-01-01", "phone": "13912345678"}


def _task_body(ctx, scope):
    return {"org": ctx[f"org_{scope}"].pk, "title": "接口下达", "receivers": "children",
            "due_on": (timezone.localdate() + timedelta(days=3)).isoformat()} | (
        {"org": ctx["tree"]["school_a"].pk, "receivers": "branches"} if scope == "in" else {})


def _fresh_receipt(ctx, scope):
    return {"receipt_id": Receipt.objects.get(task=_issue(ctx, scope)).pk}


EXPECT = {
    "tasks_list": Case(api_list()),
    # The body names the issuing organisation: outside the scope it is an unknown reference (422 on "org").
    "tasks_create": Case(api_create(), body=_task_body, scoped=True),
    "tasks_detail": Case(api_read(), lambda c, s: {"task_id": c[f"tasks_task_{s}"].pk}),
    "tasks_receipts_list": Case(api_list()),
    "tasks_receipt_detail": Case(api_read(), lambda c, s: {"receipt_id": c[f"tasks_receipt_{s}"].pk}),
    "tasks_receipt_answer": Case(api_write(), _fresh_receipt, body={"answer": "已完成"}),
    "tasks_update": Case(api_write(), fresh(_issue, "task_id"), body={"title": "修改后的任务"}),
    "tasks_withdraw": Case(api_write(), fresh(_issue, "task_id"), body={"reason": "重复下达"}),
    "tasks_pledges_list": Case(api_list()),
    "tasks_pledges_create": Case(api_create(), body=_pledge_form, files=_pledge_file, scoped=True),
    "tasks_pledges_detail": Case(api_read(), key("pledge", "pledge_id")),
    "tasks_pledges_file": Case(api_read(), key("pledge", "pledge_id")),
    "tasks_pledges_update": Case(api_write(), fresh(_pledge, "pledge_id"), body={"signers": "学校党组织书记 李某"}),
    "tasks_pledges_delete": Case(api_write(), fresh(_pledge, "pledge_id")),
    "tasks_instructors_list": Case(api_list()),
    "tasks_instructors_create": Case(api_create(), body=_instructor_body, scoped=True),
    "tasks_instructors_detail": Case(api_read(), key("instructor", "instructor_id")),
    "tasks_instructors_update": Case(api_write(), fresh(_instructor, "instructor_id"), body={"unit": "区教研室"}),
    "tasks_instructors_delete": Case(api_write(), fresh(_instructor, "instructor_id")),
}
