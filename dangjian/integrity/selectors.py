"""Who may see and keep 廉政 records — the one place this rule lives — and the reads built on it.

Read: the 纪检 role on an organisation covering the record's organisation, or any read role on a 教育工委
(district level) covering it. Write: the 纪检 role in scope, or a write role (组织管理员/书记) at district level.
Secretaries, administrators and viewers of schools and plain members see nothing.
"""

from django.db.models import Q

from dangjian.core import scoping
from dangjian.orgs.models import READ_ROLES, WRITE_ROLES, Organisation, OrgKind, Role


def _paths(user):
    """(read paths, write paths), computed once per request and cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return [], []
    cached = getattr(user, "_dangjian_integrity", None)
    if cached is not None:
        return cached
    rows = scoping._assignments(user)
    kinds = scoping.role_org_kinds(user)   # no query of its own: the roles' query brings the kinds
    districts = {org_id for _, role, org_id, _ in rows
                 if role in READ_ROLES and kinds.get(org_id) == OrgKind.WORK_COMMITTEE}
    read, write = set(), set()
    for path, role, org_id, _ in rows:
        if role == Role.DISCIPLINE:
            read.add(path)
            write.add(path)
        elif org_id in districts:
            read.add(path)
            if role in WRITE_ROLES:
                write.add(path)
    cached = (sorted(read), sorted(write))
    user._dangjian_integrity = cached
    return cached


def _q(paths, field):
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def visible_q(user, field="org__path"):
    return _q(_paths(user)[0], field)


def writable_q(user, field="org__path"):
    return _q(_paths(user)[1], field)


def has_access(user):
    return bool(_paths(user)[0])


def can_write_any(user):
    return bool(_paths(user)[1])


def can_read(user, org):
    return any(org.path.startswith(p) for p in _paths(user)[0])


def can_write(user, org):
    return any(org.path.startswith(p) for p in _paths(user)[1])


def writable_orgs(user):
    return Organisation.objects.active().filter(writable_q(user, "path"))


def sanctions_for(person, user=None):
    """A person's sanctions, newest first. Pass `user` to keep only what that user may see (the members app
    should: the record is restricted). Each sanction's `probation_until` tells whether 留党察看 is running."""
    from .models import Sanction

    qs = Sanction.objects.filter(person=person)
    if user is not None:
        qs = qs.visible_to(user)
    return qs.order_by("-decided_on", "-id")


def on_probation(person, on, user=None):
    """The 留党察看 sanction running on `on`, or None."""
    from .models import Sanction

    return sanctions_for(person, user).filter(kind=Sanction.Kind.PROBATION, decided_on__lte=on,
                                              probation_until__gte=on).first()
