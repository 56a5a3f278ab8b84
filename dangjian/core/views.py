from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dangjian.compliance.selectors import findings_in
from dangjian.core import scoping
from dangjian.core.worklist import todos_for
from dangjian.members.models import Person, Status
from dangjian.orgs.models import Organisation, OrgKind


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
@require_GET
def home(request):
    """工作台: what the user's role needs first."""
    user = request.user
    context = {}
    if scoping.has_party_scope(user):
        orgs = Organisation.objects.visible_to(user).active()
        by_kind = dict(orgs.order_by().values_list("kind").annotate(n=Count("id")))
        status_counts = dict(
            Person.objects.visible_to(user).values_list("status").annotate(n=Count("id")).values_list("status", "n")
        )
        findings = findings_in(orgs)
        groups = findings.groups()
        context.update(
            org_counts=[(OrgKind(k).label, by_kind.get(k, 0)) for k in OrgKind.values if by_kind.get(k)],
            status_counts=[(Status(s).label, status_counts.get(s, 0))
                           for s in (Status.FULL, Status.PROBATIONARY, Status.CANDIDATE, Status.ACTIVIST,
                                     Status.APPLICANT)],
            member_total=status_counts.get(Status.FULL, 0) + status_counts.get(Status.PROBATIONARY, 0),
            finding_groups=groups,
            findings=findings,
            findings_total=sum(g["count"] for g in groups),
            scopes=scoping.assignments(user),
        )
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    context["own_person"] = person
    context["todos"] = todos_for(user, timezone.localdate())
    return render(request, "core/home.html", context)
