"""API permission-matrix rows for the tasks app (see tests/test_api_permissions.py).

"in": a task school_a issues to branch_a2 and its receipt; "out": a task the area issues to school_b. Answers go
to a fresh receipt each call.
"""

from datetime import timedelta

from django.utils import timezone

from dangjian.tasks import services
from dangjian.tasks.models import Receipt
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_write


def _issue(ctx, scope):
    tree = ctx["tree"]
    issuer, receiver = (tree["school_a"], tree["branch_a2"]) if scope == "in" else (tree["area"], tree["school_b"])
    return services.task_issue(actor=None, org=issuer, title=f"接口任务{scope}", receivers="explicit",
                               explicit=[receiver.pk], due_on=timezone.localdate() + timedelta(days=5))


def extend_ctx(ctx):
    for scope in ("in", "out"):
        task = _issue(ctx, scope)
        ctx[f"tasks_task_{scope}"], ctx[f"tasks_receipt_{scope}"] = task, Receipt.objects.get(task=task)


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
}
