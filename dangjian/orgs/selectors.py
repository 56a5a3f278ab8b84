"""Reads for the organisation screens: one query shape per screen."""

from django.db.models import Count, Q

from dangjian.core import scoping
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person, Status

from .models import WRITE_ROLES, CommitteePost, Organisation


def member_counts(org_ids=None, paths=None):
    """{org_id: {"full": n, "probationary": n}} for people whose 组织关系 is at each org (one GROUP BY)."""
    qs = Person.objects.all()
    if org_ids is not None:
        qs = qs.filter(org_id__in=org_ids)
    if paths is not None:
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(org__path__startswith=path)
        qs = qs.filter(q)
    rows = qs.values("org_id").annotate(
        full=Count("id", filter=Q(status=Status.FULL)),
        probationary=Count("id", filter=Q(status=Status.PROBATIONARY)),
    )
    return {row["org_id"]: row for row in rows}


def tree_for(user, *, include_dissolved=False, q=""):
    """The visible organisations as a flat, path-ordered list with depth and subtree member totals."""
    orgs = Organisation.objects.visible_to(user)
    if not include_dissolved:
        orgs = orgs.filter(dissolved_on__isnull=True)
    orgs = list(orgs)
    counts = member_counts(paths=scoping.scope_paths(user))
    totals = {}
    for org in orgs:
        own = counts.get(org.pk, {})
        totals[org.path] = [own.get("full", 0), own.get("probationary", 0)]
    # Roll subtree totals up the path (children come after parents in path order).
    for org in reversed(orgs):
        parent_path = org.path[: -Organisation.steplen]
        if parent_path in totals:
            totals[parent_path][0] += totals[org.path][0]
            totals[parent_path][1] += totals[org.path][1]
    min_depth = min((o.depth for o in orgs), default=1)
    matches = None
    if q:
        matches = {o.path for o in orgs if q in o.name or q in (o.unit_name or "")}
    rows = []
    for org in orgs:
        if matches is not None and not any(m.startswith(org.path) or org.path.startswith(m) for m in matches):
            continue
        full, probationary = totals[org.path]
        rows.append({"org": org, "indent": org.depth - min_depth, "full": full, "probationary": probationary,
                     "match": matches is not None and org.path in matches})
    return rows


def writable_orgs(user, *, kinds=None):
    qs = Organisation.objects.filter(scoping.scope_q(user, "path", WRITE_ROLES), dissolved_on__isnull=True)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return qs


def org_detail(org, user):
    """Everything the organisation page shows, in a fixed number of queries."""
    ancestors = list(Organisation.objects.filter(
        path__in=[org.path[:i] for i in range(Organisation.steplen, len(org.path), Organisation.steplen)]
    ).visible_to(user))
    children = list(Organisation.objects.get_children(org).order_by("path"))
    # Subtree totals per child: one grouped query on the subtree, rolled up by path prefix.
    subtree_rows = (Person.objects.filter(org__path__startswith=org.path, status__in=PARTY_MEMBER_STATUSES)
                    .values("org__path", "status").annotate(n=Count("id")))
    child_totals = {c.pk: {"full": 0, "probationary": 0} for c in children}
    own = {"full": 0, "probationary": 0}
    subtree = {"full": 0, "probationary": 0}
    for row in subtree_rows:
        key = "full" if row["status"] == Status.FULL else "probationary"
        subtree[key] += row["n"]
        if row["org__path"] == org.path:
            own[key] += row["n"]
        for child in children:
            if row["org__path"].startswith(child.path):
                child_totals[child.pk][key] += row["n"]
    rank = {post: i for i, post in enumerate(CommitteePost.Post.values)}  # 书记, 副书记, 组织委员 …
    posts = sorted(CommitteePost.objects.filter(org=org).select_related("person"),
                   key=lambda p: (p.ended_on is not None, rank[p.post], p.started_on))
    events = list(org.events.select_related("actor")[:50])
    return {
        "ancestors": ancestors,
        "children": [{"org": c, **child_totals[c.pk]} for c in children],
        "own_counts": own,
        "subtree_counts": subtree,
        "current_posts": [p for p in posts if p.ended_on is None],
        "past_posts": [p for p in posts if p.ended_on is not None],
        "events": events,
    }
