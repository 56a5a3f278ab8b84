"""任务 to-dos: the writers (组织管理员/书记) of a receiving organisation see its open tasks — their own
organisation's, not every receiver below them (a district administrator is not the one to answer each school's
receipt; the issuer's table shows those). One query."""

from django.urls import reverse

from dangjian.core import scoping
from dangjian.core.worklist import Todo
from dangjian.orgs.models import WRITE_ROLES

from .models import Receipt

MAX_ITEMS = 20


def todos_for(user, on):
    own = scoping.role_org_ids(user, WRITE_ROLES)
    if not own:
        return []
    rows = (Receipt.objects.open().filter(org_id__in=own)
            .values_list("pk", "org__name", "task__title", "task__due_on").order_by("task__due_on", "pk")[:MAX_ITEMS])
    return [Todo("任务", f"完成并反馈：{title}（{org}）", reverse("tasks:receipt_answer", args=[pk]),
                 due_on=due_on, overdue=due_on < on) for pk, org, title, due_on in rows]
