"""The cockpit (党建驾驶舱): one dashboard for a district, an area, a school or a branch, scoped by role.

`/reports/dashboard/` opens the user's own (widest) organisation; `/reports/dashboard/<id>/` any organisation of the
user's scope (outside it: 404, audited). Organisation roles only (查看, 纪检, 书记, 组织管理员); 党员 and the system
administrators have no party scope (403).

The chart data is embedded in the page with `json_script` (a `<script type="application/json">` block, which the
Content-Security-Policy allows: it is data, never executed) rather than fetched from a second JSON view: the ranking
table — plain HTML that works without JavaScript — and the charts come from the same aggregation, so one request
computes it once, shows one consistent snapshot, and the page's query count is pinned in one place.
`static/reports/dashboard.js` draws the charts from that block after the page has loaded.
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from dangjian.core import scoping
from dangjian.core.pages import paginate
from dangjian.orgs.models import Organisation

from . import dashboard


def _roots(request):
    """The organisations the user's read roles sit on (their widest, path order); 403 without any."""
    paths = scoping.scope_paths(request.user)
    if not paths:
        scoping.deny(request, "reports.dashboard", forbidden=True)
    return list(Organisation.objects.filter(path__in=paths, dissolved_on__isnull=True).order_by("path"))


def _render(request, root, roots):
    today = timezone.localdate()
    ancestor_paths = Organisation.ancestor_paths(root.path)
    # One query for the subtree (active organisations) and the root's ancestors (for the breadcrumbs).
    rows = list(Organisation.objects.filter(Q(path__startswith=root.path, dissolved_on__isnull=True)
                                            | Q(path__in=ancestor_paths)).order_by("path"))
    orgs = [o for o in rows if o.path.startswith(root.path)]
    ancestors = [o for o in rows if not o.path.startswith(root.path) and scoping.can_read(request.user, o)]
    dash = dashboard.build(root, orgs, today=today)
    sort = request.GET.get("sort")
    sort = sort if sort in dashboard.SORTS else dashboard.DEFAULT_SORT
    ranking, query = paginate(request, dash.ranked(sort), per_page=dashboard.RANKING_PAGE)
    ranking.object_list = [{"figures": unit, "links": dashboard.unit_links(unit, dash)} for unit in ranking]
    return render(request, "reports/dashboard.html", {
        "dash": dash, "total": dash.total, "links": dashboard.links(dash), "ranking": ranking, "query": query,
        "chart_rows": dashboard.CHART_ROWS,
        "sort": sort, "sorts": [(key, label) for key, (label, _) in dashboard.SORTS.items()],
        "chart_data": dashboard.chart_data(dash), "ancestors": ancestors,
        "roots": roots if len(roots) > 1 else [],
    })


@login_required
@require_GET
def dashboard_home(request):
    """The dashboard of the user's own organisation (the first of their widest scopes)."""
    roots = _roots(request)
    if not roots:   # every organisation the user holds a role on is dissolved
        scoping.deny(request, "reports.dashboard", forbidden=True)
    return _render(request, roots[0], roots)


@login_required
@require_GET
def dashboard_org(request, pk):
    """The same dashboard for any organisation in the user's scope (404 outside it, audited)."""
    org = scoping.get_for_user(request, Organisation.objects.all(), pk, org_attr=None)
    if org.is_dissolved:
        scoping.deny(request, "orgs.organisation", pk)
    return _render(request, org, _roots(request))


urlpatterns = [
    path("dashboard/", dashboard_home, name="dashboard"),
    path("dashboard/<int:pk>/", dashboard_org, name="dashboard_org"),
]
