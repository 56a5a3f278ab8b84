"""To-dos of the life app (待办 on the 工作台), in a fixed number of queries."""

from datetime import timedelta

from django.urls import reverse

from dangjian.core import scoping
from dangjian.core.worklist import Todo
from dangjian.orgs.models import WRITE_ROLES

from . import selectors
from .models import Attendance, Meeting

HORIZON_DAYS = 30
MAX_BACKLOG = 20


def todos_for(user, on):
    items = []
    person = selectors.linked_person(user)
    if person is not None:
        rows = (Attendance.objects.filter(person=person, meeting__status=Meeting.Status.PLANNED,
                                          meeting__date__gte=on, meeting__date__lte=on + timedelta(days=HORIZON_DAYS))
                .select_related("meeting").order_by("meeting__date", "meeting__start_time"))
        for row in rows:
            m = row.meeting
            when = f"{m.date:%m月%d日}" + (f" {m.start_time:%H:%M}" if m.start_time else "")
            items.append(Todo("会议", f"参加：{m.type_label}（{when}）{m.theme}", reverse("life:meeting_detail", args=[m.pk]),
                              due_on=m.date))
        for task in selectors.open_tasks_for_person(person, on):
            items.append(Todo("学习", f"完成学习任务：{task.title}", reverse("life:study_task_detail", args=[task.pk]),
                              due_on=task.due_on, overdue=task.due_on < on))
    if scoping.scope_paths(user, WRITE_ROLES):
        backlog = (Meeting.objects.filter(scoping.scope_q(user, "org__path", WRITE_ROLES),
                                          status=Meeting.Status.PLANNED, date__lt=on)
                   .select_related("org").order_by("date", "id")[:MAX_BACKLOG])
        for m in backlog:
            items.append(Todo("会议", f"补录会议记录：{m.org.name} {m.type_label}（{m.date:%Y-%m-%d}）",
                              reverse("life:meeting_record", args=[m.pk]), due_on=m.date, overdue=True))
    return items
