"""党内统计: the tables for an organisation's subtree as of a date, and their Excel export as a background job.

Organisation roles (组织管理员, 书记, 查看, 纪检) for organisations in their scope; an organisation outside it answers
404 (audited), a user without any organisation role 403.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dangjian.core import scoping
from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.orgs.models import Organisation, OrgKind
from dangjian.orgs.picker import OrgChoice, org_picker

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
    """The organisations in the user's scope, by path; 403 without an organisation role."""
    if not scoping.has_party_scope(request.user):
        scoping.deny(request, "reports.statistics", forbidden=True)
    return Organisation.objects.visible_to(request.user).only("id", "name", "kind", "path", "depth", "dissolved_on")


def _chosen(request, orgs, value):
    """(the organisation asked for — default: the user's first scope root —, the OrgChoice it was looked up with);
    outside the scope → 404 (audited). One query for a small scope (the rows are kept for the picker)."""
    value = (value or "").strip()
    choice = OrgChoice(orgs, value if value.isdigit() else None)
    if not value:
        return choice.first, choice
    org = choice.found if choice.found is not None and str(choice.found.pk) == value else None
    if org is None:
        scoping.deny(request, "orgs.organisation", value[:64])
    return org, choice


def _offered(org):
    """Active, not 党小组 (they hold no 组织关系), or the chosen one."""
    return org.dissolved_on is None and org.kind != OrgKind.GROUP


def _option_label(org):
    label = f"{'　' * max(org.depth - 1, 0)}{org.name}（{org.get_kind_display()}）"
    return f"{label}（已撤销）" if org.dissolved_on else label


def _options(choice, chosen):
    """The picker of the organisations offered: active, not 党小组, plus the chosen one — the rows read already
    for a small scope, bounded above ORG_PICKER_FULL_MAX."""
    queryset = choice.queryset.filter((Q(dissolved_on__isnull=True) & ~Q(kind=OrgKind.GROUP)) | Q(pk=chosen.pk))
    head = [o for o in choice.head if o.pk == chosen.pk or _offered(o)] if choice.complete else None
    picker = org_picker("org", queryset, chosen, empty_label=None, label_from_instance=_option_label,
                        attrs={"id": "s-org"}, exclude_groups=True, head=head)
    picker.known = [chosen]
    return picker


def _page(request, choice, org, form, *, status=200):
    today = timezone.localdate()
    stats = statistics.compute(org, form.cleaned_data["on"]) if form.is_valid() else None
    return render(request, "reports/stats.html", {
        "org": org, "org_picker": _options(choice, org), "form": form, "stats": stats, "today": today,
        "year_end": statistics.default_date(today), "columns_member": statistics.MEMBER_COLUMNS,
    }, status=status)


@login_required
@require_GET
def stats_index(request):
    org, choice = _chosen(request, _orgs(request), request.GET.get("org"))
    form = StatsForm({"on": request.GET.get("on", "")}, today=timezone.localdate())
    return _page(request, choice, org, form)


@login_required
@require_POST
def stats_export(request):
    """Start the Excel export as a report job and go to its progress page."""
    org, choice = _chosen(request, _orgs(request), request.POST.get("org"))
    form = StatsForm({"on": request.POST.get("on", "")}, today=timezone.localdate())
    if not request.POST.get("on") or not form.is_valid():
        if not request.POST.get("on"):
            form.add_error("on", "请填写统计日期。")
        return _page(request, choice, org, form, status=400)
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
