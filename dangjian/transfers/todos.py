"""转接 to-dos for the writers (组织管理员/书记) of the organisations that must act: the receiver of a platform
transfer (accept or return), the sender of a letter to an organisation outside the platform (record the 回执),
the receiver of an incoming record (review the materials); an expired letter is overdue and asks the
responsible side to renew or cancel. One query."""

from django.db.models import Q
from django.urls import reverse

from dangjian.core import scoping
from dangjian.core.worklist import Todo
from dangjian.orgs.models import WRITE_ROLES

from .models import Kind, Transfer

MAX_ITEMS = 20


def todos_for(user, on):
    if not scoping.scope_paths(user, WRITE_ROLES):
        return []
    receiver = scoping.scope_q(user, "to_org__path", WRITE_ROLES)
    sender = scoping.scope_q(user, "from_org__path", WRITE_ROLES)
    acting = (Q(kind=Kind.OUT, to_org__isnull=False) & receiver) | (Q(kind=Kind.OUT, to_org__isnull=True) & sender) | (
        Q(kind=Kind.IN) & receiver)
    expired_sender = Q(kind=Kind.OUT, valid_until__lt=on) & sender
    rows = (Transfer.objects.open().filter(acting | expired_sender)
            .values_list("pk", "kind", "person__name", "name", "valid_until", "to_org_id", "to_name")
            .order_by("valid_until", "pk")[:MAX_ITEMS])
    items = []
    for pk, kind, person_name, name, until, to_org_id, to_name in rows:
        who = person_name or name
        if until < on:
            title = f"转接介绍信已过期：{who}（请续开或撤销）"
        elif kind == Kind.IN:
            title = f"审核转入材料：{who}"
        elif to_org_id is None:
            title = f"登记转出回执：{who}（转往{to_name}）"
        else:
            title = f"接收组织关系：{who}"
        items.append(Todo("转接", title, reverse("transfers:detail", args=[pk]), due_on=until, overdue=until < on))
    return items
