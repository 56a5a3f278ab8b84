"""Reads for the organisation screens: one query shape per screen."""

from collections import defaultdict

from django.db.models import Count, Q
from django.db.models.functions import Substr

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


# A scope of at most this many organisations shows its whole tree; a larger one (a province: ~160 000) shows its
# top organisations and their children, each expandable, with totals grouped in the database.
TREE_FULL_MAX = 500
# Search results in a large scope, and the children one expansion shows, are capped at these.
TREE_SEARCH_MAX = 200
TREE_CHILDREN_MAX = 500


def tree_for(user, *, include_dissolved=False, q="", orgs=None):
    """The visible organisations as a flat, path-ordered list with depth and subtree member totals.
    `orgs`: the visible organisations already loaded (tree_page's probe)."""
    if orgs is None:
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


def subtree_totals(paths, *, within=None, include_dissolved=False):
    """{path: [full, probationary]}: the party members of each listed organisation's whole subtree, in one query
    whatever the subtree's size. Per distinct path length L, the people under `within` (default: the paths
    themselves) are grouped by the first L characters of their organisation's path (Substr) — the GROUP BY runs
    in the database, not a query or a Python loop per organisation; the parts are joined by UNION ALL. Like the
    full tree, people of dissolved organisations count only with `include_dissolved`."""
    totals = {path: [0, 0] for path in paths}
    by_length = defaultdict(list)
    for path in totals:
        by_length[len(path)].append(path)
    parts = []
    for length, group in sorted(by_length.items()):
        scope = Q(pk__in=[])
        for prefix in (within if within is not None else group):
            scope |= Q(org__path__startswith=prefix)
        people = Person.objects.filter(scope, status__in=PARTY_MEMBER_STATUSES)
        if not include_dissolved:
            people = people.filter(org__dissolved_on__isnull=True)
        parts.append(people.annotate(prefix=Substr("org__path", 1, length)).filter(prefix__in=group)
                     .values("prefix").order_by()
                     .annotate(full=Count("id", filter=Q(status=Status.FULL)),
                               probationary=Count("id", filter=Q(status=Status.PROBATIONARY))))
    if not parts:
        return totals
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    for row in rows:
        totals[row["prefix"]][0] += row["full"]
        totals[row["prefix"]][1] += row["probationary"]
    return totals


def _rows(orgs, totals, base_depth, *, expanded=(), match=False, trails=None):
    rows = []
    for org in orgs:
        full, probationary = totals[org.path]
        rows.append({"org": org, "indent": min(max(org.depth - base_depth, 0), 6), "full": full,
                     "probationary": probationary, "match": match, "expandable": org.numchild > 0,
                     "expanded": org.pk in expanded, "trail": (trails or {}).get(org.pk, [])})
    return rows


def tree_page(user, *, include_dissolved=False, q=""):
    """The organisation tree for the user's scope: {"mode", "rows", "capped"}.

    mode "full": a scope of at most TREE_FULL_MAX organisations, the whole tree (tree_for), as always.
    mode "top": a larger scope, its top organisations and their children only, each with its subtree totals
    (subtree_totals) and, where it has sub-organisations, an expand link (tree_below).
    mode "search": a larger scope searched by `q`: every matching organisation in scope (at most
    TREE_SEARCH_MAX, `capped` when there were more), with its ancestors' names.
    The number of queries depends on the mode only, never on the size of the scope."""
    visible = Organisation.objects.visible_to(user)
    if not include_dissolved:
        visible = visible.filter(dissolved_on__isnull=True)
    probe = list(visible[:TREE_FULL_MAX + 1])
    if len(probe) <= TREE_FULL_MAX:
        return {"mode": "full", "rows": tree_for(user, include_dissolved=include_dissolved, q=q, orgs=probe),
                "capped": False}
    roots = scoping.scope_paths(user)
    step = Organisation.steplen
    base_depth = min(len(p) // step for p in roots)
    if q:
        found = list(visible.filter(Q(name__contains=q) | Q(unit_name__contains=q))[:TREE_SEARCH_MAX + 1])
        capped, found = len(found) > TREE_SEARCH_MAX, found[:TREE_SEARCH_MAX]
        above = {p for o in found for p in Organisation.ancestor_paths(o.path)}
        names = {a.path: a.name for a in Organisation.objects.filter(path__in=above).visible_to(user)}
        trails = {o.pk: [names[p] for p in Organisation.ancestor_paths(o.path) if p in names] for o in found}
        totals = subtree_totals([o.path for o in found], include_dissolved=include_dissolved)
        rows = _rows(found, totals, base_depth, match=True, trails=trails)
        for row in rows:
            row["indent"] = 0
        return {"mode": "search", "rows": rows, "capped": capped}
    level = Q(path__in=roots)
    for path in roots:
        level |= Q(path__startswith=path, depth=len(path) // step + 1)
    orgs = list(visible.filter(level))
    totals = subtree_totals([o.path for o in orgs], within=roots, include_dissolved=include_dissolved)
    expanded = {o.pk for o in orgs if o.path in roots}
    return {"mode": "top", "rows": _rows(orgs, totals, base_depth, expanded=expanded), "capped": False}


def tree_below(user, parent, *, include_dissolved=False, indent=0):
    """One organisation (in the user's scope) and its children, each with subtree totals, for expanding it in
    the tree (its row shown at `indent`), plus its ancestors in scope for the page rooted there:
    {"parent", "rows", "ancestors", "capped"}. Two queries whatever the size of its subtree."""
    ancestor_paths = Organisation.ancestor_paths(parent.path)
    scope = scoping.scope_paths(user)
    visible_above = [p for p in ancestor_paths if any(p.startswith(s) for s in scope)]
    children = Q(path__startswith=parent.path, depth=parent.depth + 1)
    if not include_dissolved:
        children &= Q(dissolved_on__isnull=True)
    fetched = list(Organisation.objects.filter(children | Q(path__in=visible_above))
                   [:len(visible_above) + TREE_CHILDREN_MAX + 1])   # path order: the ancestors come first
    ancestors = [o for o in fetched if len(o.path) < len(parent.path)]
    kids = [o for o in fetched if len(o.path) > len(parent.path)]
    capped, kids = len(kids) > TREE_CHILDREN_MAX, kids[:TREE_CHILDREN_MAX]
    orgs = [parent, *kids]
    totals = subtree_totals([o.path for o in orgs], within=[parent.path], include_dissolved=include_dissolved)
    rows = _rows(orgs, totals, parent.depth - indent, expanded={parent.pk})
    return {"parent": parent, "rows": rows, "ancestors": ancestors, "capped": capped}


def writable_orgs(user, *, kinds=None):
    qs = Organisation.objects.filter(scoping.scope_q(user, "path", WRITE_ROLES), dissolved_on__isnull=True)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return qs


def org_detail(org, user):
    """Everything the organisation page shows, in a fixed number of queries."""
    ancestors = list(Organisation.objects.filter(
        path__in=Organisation.ancestor_paths(org.path)).visible_to(user))
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
