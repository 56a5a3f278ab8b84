"""党费 to-dos: a member's own unpaid bills; for writers (组织管理员/书记), the members with overdue dues."""

from django.urls import reverse

from dangjian.core import scoping
from dangjian.core.worklist import Todo
from dangjian.orgs.models import WRITE_ROLES

from . import billing
from .models import DuesBill

MAX_OWN = 12


def todos_for(user, on):
    """Two queries at most, whatever the data size."""
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    current = billing.month_start(on)
    own = list(DuesBill.objects.unpaid().filter(person__user_id=user.pk).values_list("person_id", "month", "amount")
               .order_by("month")[:MAX_OWN])
    for person_id, month, amount in own:
        items.append(Todo("党费", f"交纳{billing.month_label(month)}党费 {amount} 元",
                          reverse("dues:person", args=[person_id]),
                          due_on=billing.next_month(month) - billing.relativedelta(days=1), overdue=month < current))
    if scoping.scope_paths(user, WRITE_ROLES):
        owing = (DuesBill.objects.unpaid().filter(scoping.scope_q(user, "person__org__path", WRITE_ROLES),
                                                  month__lt=current)
                 .values("person_id").distinct().count())
        if owing:
            items.append(Todo("党费", f"{owing} 名党员有逾期未交的党费", reverse("dues:arrears"), due_on=None,
                              overdue=True))
    return items
