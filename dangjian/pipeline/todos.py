"""To-dos of 发展党员 for the writers (书记, 组织管理员) of an organisation: each open file whose next legal
deadline is within 30 days (the 30-day reminder), marked again from 7 days before, and overdue ones.
Fixed number of queries: the files with people and organisations, their steps, the rule overrides."""

from django.urls import reverse

from dangjian.core import scoping
from dangjian.core.worklist import Todo
from dangjian.orgs.models import WRITE_ROLES

from . import selectors
from .models import DevelopmentFile

REMINDERS = (30, 7)
MAX_ITEMS = 30


def todos_for(user, on):
    if not scoping.scope_paths(user, WRITE_ROLES):
        return []
    files = selectors.annotate(selectors.open_files(
        DevelopmentFile.objects.filter(scoping.scope_q(user, "org__path", WRITE_ROLES))), on)
    due = sorted((f for f in files if f.deadline is not None and f.days_left <= REMINDERS[0]), key=selectors.urgency)
    items = []
    for f in due[:MAX_ITEMS]:
        left = f.days_left
        when = f"已逾期{-left}天" if left < 0 else ("今天到期" if left == 0 else f"还有{left}天")
        marker = "（7天提醒）" if 0 <= left <= REMINDERS[1] else ("（30天提醒）" if left > REMINDERS[1] else "")
        items.append(Todo("发展党员", f"{f.person.name}：{f.deadline.label}，{when}{marker}",
                          reverse("pipeline:file", args=[f.pk]), due_on=f.deadline.due_on, overdue=left < 0))
    return items
