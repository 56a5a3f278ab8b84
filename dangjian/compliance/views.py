"""The rulebook screen (系统管理员 only): every rule with its source, and per-organisation overrides.
The compliance matrix and the findings list (organisation roles, within their scope).

The system administrator holds no organisation roles; rules are configuration, not party data,
so the rules screens list every active organisation on purpose. The matrix and the findings are
party data: they list only the organisations the user's roles cover.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.core import scoping
from dangjian.core.forms import add_service_errors
from dangjian.core.pages import paginate
from dangjian.orgs.models import Organisation

from . import services
from .engine import Rulebook
from .forms import FindingsForm, MatrixForm, OrgPickForm, RuleOverrideForm
from .matrix import LEGEND, build_matrix, default_rules, obligation_types
from .models import RuleOverride
from .rulebook import Tag, all_rules, rules_by_id
from .selectors import findings_in


def _require_system_admin(request, object_id=""):
    if not request.user.is_system_admin:
        scoping.deny(request, RuleOverride._meta.label_lower, object_id, forbidden=True)


def _param_items(rule, params):
    return [{"name": name, "label": rule.param_label(name), "value": rule.display_value(name, params.get(name))}
            for name in rule.params]


def _rules_url(org_id=None):
    url = reverse("compliance:rules")
    return f"{url}?org={org_id}" if org_id else url


@login_required
@require_http_methods(["GET"])
def rules(request):
    """All rules with source, tag, severity, defaults and the organisations overriding them;
    with `?org=` also the effective setting there. Four queries whatever the data size."""
    _require_system_admin(request)
    orgs = list(Organisation.objects.all().active())
    pick = OrgPickForm(request.GET or None, orgs=orgs)
    chosen = None
    if pick.is_valid() and pick.cleaned_data["org"]:
        chosen = next(o for o in orgs if o.pk == pick.cleaned_data["org"])

    by_rule, stale = {}, []
    for override in RuleOverride.objects.select_related("org").order_by("org__path", "rule_id"):
        (by_rule.setdefault(override.rule_id, []) if override.rule_id in rules_by_id() else stale).append(override)

    rulebook = Rulebook([chosen]) if chosen is not None else None
    rows = []
    for rule in all_rules():
        row = {
            "rule": rule,
            "defaults": _param_items(rule, rule.params),
            "overrides": [{"override": o, "params": _param_items(rule, {**rule.params, **(o.params or {})})}
                          for o in by_rule.get(rule.id, [])],
        }
        if rulebook is not None:
            effective = rulebook.resolve(chosen, rule.id)
            row["effective"] = effective
            row["effective_params"] = _param_items(rule, effective.params)
        rows.append(row)
    return render(request, "compliance/rules.html", {
        "rows": rows, "pick": pick, "chosen": chosen, "stale": stale,
        "tags": [(code, Tag.LABELS[code], Tag.DESCRIPTIONS[code]) for code in Tag.LABELS],
    })


@login_required
@require_http_methods(["GET", "POST"])
def override_edit(request, rule_id, org_id):
    """Set (create or change) the override of one rule at one active organisation."""
    _require_system_admin(request, f"{rule_id}@{org_id}")
    rule = rules_by_id().get(rule_id)
    org = Organisation.objects.all().active().filter(pk=org_id).first()
    if rule is None or org is None:
        raise Http404("未找到该规则或组织")
    effective = Rulebook([org]).resolve(org, rule.id)
    initial = {"enabled": effective.enabled, **effective.params, "reason": effective.reason if effective.own else ""}
    form = RuleOverrideForm(request.POST or None, rule=rule, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_override_set(actor=request.user, org=org, rule_id=rule.id,
                                       enabled=form.cleaned_data["enabled"], params=form.param_values(),
                                       reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已保存“{rule.title}”在{org.name}的设置，其下级组织随之继承。")
            return redirect(_rules_url(org.pk))
    return render(request, "compliance/override_form.html", {
        "rule": rule, "org": org, "form": form, "effective": effective,
        "effective_params": _param_items(rule, effective.params),
        "defaults": _param_items(rule, rule.params), "back_url": _rules_url(org.pk),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def override_remove(request, pk):
    """Delete an override, so the organisation inherits again."""
    _require_system_admin(request, pk)
    override = RuleOverride.objects.select_related("org").filter(pk=pk).first()
    if override is None:
        raise Http404("未找到该规则调整")
    try:
        services.rule_override_remove(actor=request.user, override=override)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        rule = rules_by_id().get(override.rule_id)
        title = rule.title if rule is not None else override.rule_id
        messages.success(request, f"已取消{override.org.name}对“{title}”的调整，恢复继承上级或默认设置。")
    return redirect(_rules_url(override.org_id if not override.org.is_dissolved else None))


# --- the compliance matrix and the findings list (organisation roles) -------------------------------------

def _scoped_orgs(request):
    """The active organisations the user's org roles cover (ordered by path); 403 without any."""
    if not scoping.has_party_scope(request.user):
        scoping.deny(request, "compliance.matrix", forbidden=True)
    return list(Organisation.objects.visible_to(request.user).active())


def _pick(form, orgs):
    """The chosen organisation (default: the user's first top-level scope) and its subtree."""
    chosen = None
    if form.is_valid() and form.cleaned_data["org"]:
        chosen = next(o for o in orgs if o.pk == form.cleaned_data["org"])
    chosen = chosen or orgs[0]
    return chosen, [o for o in orgs if o.path.startswith(chosen.path)]


@login_required
@require_http_methods(["GET"])
def matrix(request):
    """Organisations × months × meeting types for a subtree and a year. Queries: the org list, the
    overrides, committee applicability and one grouped count of meetings, whatever the subtree's size."""
    orgs = _scoped_orgs(request)
    today = timezone.localdate()
    data = None
    if request.GET:
        data = request.GET.copy()
        if not data.get("year"):
            data["year"] = str(today.year)   # a link with only ?type= shows the year it is for
    form = MatrixForm(data, orgs=orgs, types=obligation_types(), this_year=today.year, initial={"year": today.year})
    chosen, subtree = _pick(form, orgs)
    year = (form.cleaned_data.get("year") if form.is_valid() else None) or today.year
    meeting_type = (form.cleaned_data.get("type") if form.is_valid() else None) or None
    result = build_matrix(subtree, chosen, year, today, meeting_type)
    return render(request, "compliance/matrix.html", {
        "form": form, "matrix": result, "legend": LEGEND, "months": range(1, 13), "today": today,
        "chosen": chosen, "default_rules": default_rules(),
    })


@login_required
@require_http_methods(["GET"])
def findings(request):
    """Every finding for a subtree as of a date, filtered by severity and rule, paginated."""
    orgs = _scoped_orgs(request)
    rules = all_rules()
    form = FindingsForm(request.GET or None, orgs=orgs, rules=rules)
    chosen, _ = _pick(form, orgs)
    data = form.cleaned_data if form.is_valid() else {}
    subtree = Organisation.objects.subtree_of(chosen).active()
    try:
        findings = findings_in(subtree, on=data.get("on"))
    except ValidationError as exc:   # a past date over a scope too large to check in the request
        form.add_error("on", exc)
        findings = findings_in(subtree)
    severity, rule_id = data.get("severity") or None, data.get("rule") or None
    counts = findings.severity_counts(rule_id=rule_id)
    if severity:
        counts = {key: n if key == severity else 0 for key, n in counts.items()}
    page, query = paginate(request, findings.filtered(severity=severity, rule_id=rule_id))
    return render(request, "compliance/findings.html", {
        "form": form, "page": page, "chosen": chosen, "on": findings.on, "total": sum(counts.values()),
        "query": query, "findings": findings, "counts": counts,
    })
