from django.db import transaction
from django.utils import timezone

from dangjian.core import audit


@transaction.atomic
def user_change_password(*, actor, user, new_password):
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    audit.record(actor=actor, event=audit.Event.PASSWORD, obj=user, object_repr=user.username)
    return user
