"""民主评议 to-dos: a member's own open review (自评/互评 not done); for writers, 不合格 follow-ups coming due.
Two queries at most, whatever the data size."""

from datetime import timedelta

from django.db.models import Exists, OuterRef
from django.urls import reverse

from dangjian.core import scoping
from dangjian.core.worklist import Todo
from dangjian.orgs.models import WRITE_ROLES

from .models import FollowUp, Round, Subject, Voter

HORIZON_DAYS = 30
MAX_ITEMS = 20


def todos_for(user, on):
    if not getattr(user, "is_authenticated", False):
        return []
    items = []
    voted = Voter.objects.filter(round=OuterRef("round"), person=OuterRef("person"), voted=True)
    own = (Subject.objects.filter(person__user_id=user.pk, exempt=False, round__status=Round.Status.EVALUATING)
           .annotate(voted=Exists(voted)).select_related("round__org").order_by("round__ends_on")[:MAX_ITEMS])
    for s in own:
        if s.self_review and s.voted:
            continue
        left = "、".join(part for part, done in (("自评", bool(s.self_review)), ("互评", s.voted)) if not done)
        items.append(Todo("评议", f"完成民主评议{left}：{s.round.org.name} {s.round.year}年度",
                          reverse("review:mine", args=[s.round_id]), due_on=s.round.ends_on,
                          overdue=s.round.ends_on < on))
    if scoping.scope_paths(user, WRITE_ROLES):
        due = (FollowUp.objects.filter(scoping.scope_q(user, "subject__round__org__path", WRITE_ROLES),
                                       closed_on__isnull=True, due_on__isnull=False,
                                       due_on__lte=on + timedelta(days=HORIZON_DAYS))
               .select_related("subject__person", "subject__round").order_by("due_on", "id")[:MAX_ITEMS])
        for f in due:
            items.append(Todo("评议", f"不合格党员{f.get_measure_display()}到期：{f.subject.person.name}"
                                    f"（{f.due_on:%Y-%m-%d}前）",
                              reverse("review:follow_up", args=[f.subject_id]), due_on=f.due_on, overdue=f.due_on < on))
    return items
