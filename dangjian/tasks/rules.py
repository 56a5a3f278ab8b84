"""Rules of the 任务清单 (DOMAIN §5: tasks issued down the tree with due dates; overdue tasks become findings).
Settings per jurisdiction through the compliance rulebook, whole numbers only."""

from dangjian.compliance.rulebook import Rule, Severity, Tag

TASK_OVERDUE = "tasks.overdue"
TASK_SOON = "tasks.due_soon"

RULES = [
    Rule(TASK_OVERDUE, "上级下达的任务逾期未完成", "任务清单管理（上级党组织下达任务、明确完成时限，逾期纳入督办）",
         Tag.LOCAL, Severity.OVERDUE),
    Rule(TASK_SOON, "上级下达的任务即将到期", "任务清单管理（到期前提醒）", Tag.LOCAL, Severity.WARNING,
         {"days": 7}, {"days": "到期前提醒天数"}, param_bounds={"days": (1, 60)}),
]
