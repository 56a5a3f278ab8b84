"""The rulebook screen (系统管理员 only): every rule with its source, and per-organisation overrides.
The compliance matrix and the findings list (organisation roles, within their scope).

The system administrator holds no organisation roles; rules are configuration, not party data,
so the rules screens list every active organisation on purpose. The matrix and the findings are
party data: they list only the organisations the user's roles cover.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
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

# Rows of the matrix per page: a province's root has ~160 000 organisations; the page shows 100 of them (the
# headline 完成率 still covers the whole subtree).
MATRIX_PAGE_SIZE = 100
# The organisation <select> lists the chosen organisation's direct children up to this many.
PICKER_CHILDREN_MAX = 100


def _chosen_and_subtree(request, *, children_only=False):
    """(the chosen organisation, its active subtree in path order, its ancestors within the user's scope, the
    user's top-level scopes) in two queries whatever the scope's size; 403 without any organisation role.

    ?org= is checked against the user's scope in the first query, which also fetches the default (the user's
    first top-level scope); an id outside the scope (or not a number) falls back to the default, and the form
    then reports it. The second query reads the chosen subtree by path prefix, plus the few organisations the
    breadcrumb and the organisation picker show above it. `children_only`: of the subtree only the chosen
    organisation and its direct children (what the picker offers; the findings page reads its findings by query)."""
    paths = scoping.scope_paths(request.user)
    if not paths:
        scoping.deny(request, "compliance.matrix", forbidden=True)
    raw = request.GET.get("org", "")
    wanted = int(raw) if raw.isdigit() and len(raw) < 18 else None
    q = Q(path=paths[0])
    if wanted is not None:
        q |= Q(pk=wanted) & scoping.scope_q(request.user)
    found = list(Organisation.objects.active().filter(q))
    chosen = next((o for o in found if o.pk == wanted), None) or next(o for o in found if o.path == paths[0])
    ancestor_paths = Organisation.ancestor_paths(chosen.path)
    above = [p for p in ancestor_paths if any(p.startswith(s) for s in paths)] + paths
    subtree, around = [], {}
    below = Q(path__startswith=chosen.path)
    if children_only:
        below &= Q(depth__lte=chosen.depth + 1)
    for org in Organisation.objects.active().filter(below | Q(path__in=above)):
        if org.path.startswith(chosen.path):
            subtree.append(org)
        else:
            around[org.path] = org
    ancestors = [around[p] for p in ancestor_paths if p in around]
    tops = [around.get(p) or subtree[0] for p in paths if p in around or p == chosen.path]
    return chosen, subtree, ancestors, tops


def _picker_orgs(chosen, subtree, ancestors, tops):
    """The organisations the <select> offers: the user's top-level scopes, the chosen organisation's ancestors
    in scope, itself and its direct children (at most PICKER_CHILDREN_MAX) — never the whole scope, which at
    province scale is ~160 000 options. Other organisations are reached by drilling down in the matrix (or by
    ?org=, which the form still accepts when the id is in scope, since the chosen one is always offered).
    Not yet the shared OrgPicker (dangjian/orgs/picker.py): these forms' fields are choice lists, and this list
    also serves the matrix's drill-down; moving them to OrgPicker would add its search."""
    children = [o for o in subtree if o.depth == chosen.depth + 1][:PICKER_CHILDREN_MAX]
    picked = {o.path: o for o in [*tops, *ancestors, chosen, *children]}
    return [picked[p] for p in sorted(picked)]


def _with_drill_down(rows, subtree, chosen):
    """Mark the rows of organisations that have sub-organisations here (other than the chosen one): their
    name links to the matrix of their own subtree."""
    step = Organisation.steplen
    parents = {o.path[:-step] for o in subtree}
    for row in rows:
        row.drill = row.org.path in parents and row.org.pk != chosen.pk
    return rows


def _continued_under(rows, subtree):
    """The organisations above a page's first row that are on earlier pages (a later page starts in the middle
    of the tree): named above the table so the rows keep their context. From the loaded subtree, no query."""
    if not rows:
        return []
    wanted = set(Organisation.ancestor_paths(rows[0].org.path))
    return [o for o in subtree if o.path in wanted]


@login_required
@require_http_methods(["GET"])
def matrix(request):
    """Organisations × months × meeting types for a subtree and a year, MATRIX_PAGE_SIZE rows a page in path
    order; the headline 完成率 covers the whole subtree. Queries: the chosen organisation, its subtree, the
    overrides, committee applicability and one grouped count of meetings, whatever the subtree's size or page."""
    chosen, subtree, ancestors, tops = _chosen_and_subtree(request)
    today = timezone.localdate()
    data = None
    if request.GET:
        data = request.GET.copy()
        if not data.get("year"):
            data["year"] = str(today.year)   # a link with only ?type= shows the year it is for
    form = MatrixForm(data, orgs=_picker_orgs(chosen, subtree, ancestors, tops), types=obligation_types(),
                      this_year=today.year, initial={"year": today.year})
    valid = form.is_valid()
    year = (form.cleaned_data.get("year") if valid else None) or today.year
    meeting_type = (form.cleaned_data.get("type") if valid else None) or None
    result = build_matrix(subtree, chosen, year, today, meeting_type, cells=False)
    page, query = paginate(request, result.rows, MATRIX_PAGE_SIZE)
    rows = _with_drill_down(result.fill_cells(page.object_list), subtree, chosen)
    continued = _continued_under(rows, subtree) if page.number > 1 else []
    drill = request.GET.copy()
    for name in ("org", "page"):
        drill.pop(name, None)
    return render(request, "compliance/matrix.html", {
        "form": form, "matrix": result, "rows": rows, "page": page, "query": query,
        "drill_query": drill.urlencode(), "ancestors": ancestors, "continued": continued, "legend": LEGEND, "months": range(1, 13),
        "today": today, "chosen": chosen, "default_rules": default_rules(),
    })


@login_required
@require_http_methods(["GET"])
def findings(request):
    """Every finding for a subtree as of a date, filtered by severity and rule, paginated."""
    chosen, children, ancestors, tops = _chosen_and_subtree(request, children_only=True)
    rules = all_rules()
    form = FindingsForm(request.GET or None, orgs=_picker_orgs(chosen, children, ancestors, tops), rules=rules)
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
