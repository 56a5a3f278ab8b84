"""The 组织关系转接/党籍处置 block on the person page (members/detail.html): two queries."""

from django import template

from dangjian.members.models import PARTY_MEMBER_STATUSES, Status

from ..models import ContactLoss, Transfer

register = template.Library()


@register.inclusion_tag("transfers/_person_block.html")
def person_transfers(person, can_write):
    transfers = list(Transfer.objects.filter(person=person).select_related("from_org", "to_org")
                     .order_by("-issued_on", "-id")[:10])
    loss = ContactLoss.objects.filter(person=person, ended_on__isnull=True).first()
    open_ = next((t for t in transfers if t.state == "pending"), None)
    return {"person": person, "can_write": can_write, "transfers": transfers, "open": open_, "loss": loss,
            "is_member": person.status in PARTY_MEMBER_STATUSES, "abroad": person.status == Status.ABROAD,
            "can_decide": person.status in PARTY_MEMBER_STATUSES | {Status.SUSPENDED, Status.ABROAD}}
