"""换届 to-dos: writers see the organisations of their write scope whose term ends within the notice period
(90 days by default) or is overdue. Two queries whatever the data size."""

from django.urls import reverse

from dangjian.core import scoping
from dangjian.core.worklist import Todo
from dangjian.orgs.models import WRITE_ROLES, Organisation

from .selectors import State, terms_for

MAX_ITEMS = 20
DUE = {State.NOTICE, State.SOON, State.OVERDUE}


def todos_for(user, on):
    if not getattr(user, "is_authenticated", False) or not scoping.scope_paths(user, WRITE_ROLES):
        return []
    orgs = Organisation.objects.filter(scoping.scope_q(user, "path", WRITE_ROLES))
    due = sorted((t for t in terms_for(orgs, on) if t.state in DUE), key=lambda t: t.days_left)[:MAX_ITEMS]
    return [Todo("换届", f"{t.org.name}：本届任期{t.effective_end:%Y-%m-%d}届满，"
                         + (f"已逾期{-t.days_left}天" if t.days_left < 0 else f"还有{t.days_left}天") + "，请按期换届",
                 reverse("terms:org", args=[t.org.pk]), due_on=t.effective_end, overdue=t.state == State.OVERDUE)
            for t in due]
