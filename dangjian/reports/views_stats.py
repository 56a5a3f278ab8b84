"""党内统计: the tables for an organisation's subtree as of a date, and their Excel export as a background job.

Organisation roles (组织管理员, 书记, 查看, 纪检) for organisations in their scope; an organisation outside it answers
404 (audited), a user without any organisation role 403.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dangjian.core import scoping
from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.orgs.models import Organisation, OrgKind

from . import statistics
from .jobs import job_start

KIND = "statistics"


class StatsForm(StyledFormMixin, forms.Form):
    on = forms.DateField(label="统计日期", required=False, input_formats=["%Y-%m-%d"], widget=DateInput(),
                         error_messages={"invalid": statistics.DATE_FORMAT_ERROR})

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["on"].widget.attrs.update({"max": today.isoformat(), "min": statistics.EARLIEST.isoformat()})

    def clean_on(self):
        on = self.cleaned_data["on"] or statistics.default_date(self.today)
        error = statistics.check_date(on, self.today)
        if error:
            raise forms.ValidationError(error)
        return on


def _orgs(request):
    """The organisations in the user's scope, by path (one query); 403 without an organisation role."""
    if not scoping.has_party_scope(request.user):
        scoping.deny(request, "reports.statistics", forbidden=True)
    return list(Organisation.objects.visible_to(request.user).only("id", "name", "kind", "path", "depth",
                                                                    "dissolved_on"))


def _chosen(request, orgs, value):
    """The organisation asked for (default: the user's first scope root); outside the scope → 404 (audited)."""
    value = (value or "").strip()
    if not value:
        return orgs[0]
    org = next((o for o in orgs if str(o.pk) == value), None) if value.isdigit() else None
    if org is None:
        scoping.deny(request, "orgs.organisation", value[:64])
    return org


def _options(orgs, chosen):
    """Organisations offered in the picker: active, not 党小组 (they hold no 组织关系), plus the chosen one."""
    return [(o, "　" * max(o.depth - 1, 0)) for o in orgs
            if o.pk == chosen.pk or (o.dissolved_on is None and o.kind != OrgKind.GROUP)]


def _page(request, orgs, org, form, *, status=200):
    today = timezone.localdate()
    stats = statistics.compute(org, form.cleaned_data["on"]) if form.is_valid() else None
    return render(request, "reports/stats.html", {
        "org": org, "options": _options(orgs, org), "form": form, "stats": stats, "today": today,
        "year_end": statistics.default_date(today), "columns_member": statistics.MEMBER_COLUMNS,
    }, status=status)


@login_required
@require_GET
def stats_index(request):
    orgs = _orgs(request)
    org = _chosen(request, orgs, request.GET.get("org"))
    form = StatsForm({"on": request.GET.get("on", "")}, today=timezone.localdate())
    return _page(request, orgs, org, form)


@login_required
@require_POST
def stats_export(request):
    """Start the Excel export as a report job and go to its progress page."""
    orgs = _orgs(request)
    org = _chosen(request, orgs, request.POST.get("org"))
    form = StatsForm({"on": request.POST.get("on", "")}, today=timezone.localdate())
    if not request.POST.get("on") or not form.is_valid():
        if not request.POST.get("on"):
            form.add_error("on", "请填写统计日期。")
        return _page(request, orgs, org, form, status=400)
    on = form.cleaned_data["on"]
    try:
        job = job_start(actor=request.user, kind=KIND, org=org, params=statistics.job_params(on))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(f"{reverse('reports:stats_index')}?org={org.pk}&on={on:%Y-%m-%d}")
    return redirect(reverse("reports:job_detail", args=[job.pk]))


urlpatterns = [
    path("stats/", stats_index, name="stats_index"),
    path("stats/export/", stats_export, name="stats_export"),
]
