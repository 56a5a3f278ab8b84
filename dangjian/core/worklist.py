"""The to-do list (待办) on the 工作台: derived from the records, never stored.

Each app may provide `todos.py` with `todos_for(user, on) -> list[Todo]`; it must use a
fixed number of queries whatever the data size.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Todo:
    kind: str          # short Chinese label of the area, e.g. "会议", "学习", "党费"
    title: str
    url: str
    due_on: date | None = None
    overdue: bool = False


def todos_for(user, on):
    from .registry import app_modules

    items = [item for module in app_modules("todos") for item in module.todos_for(user, on)]
    return sorted(items, key=lambda t: (not t.overdue, t.due_on or date.max, t.title))
