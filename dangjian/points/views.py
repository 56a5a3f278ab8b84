"""党员积分 screens: the ranking of a subtree, a member's breakdown (我的积分) and the rule sets.
Thin views: reads in selectors, writes in services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping
from dangjian.core.forms import submit_form
from dangjian.dues.selectors import choose_org, scope_orgs
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation

from . import rulebook, selectors, services
from .forms import RuleSetForm
from .models import RuleSet

PAGE_SIZE = 50


def _year(request):
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        return today.year
    return year if 1949 <= year <= today.year + 1 else today.year


def _years():
    this = timezone.localdate().year
    return list(range(this, this - 6, -1))


def _picker(choice):
    """The 党组织（含下级） filter (points/_picker.html)."""
    return choice.picker(attrs={"id": "f-org"}, exclude_groups=True)


def _own_person(user):
    return Person.objects.filter(user_id=user.pk).only("id").first() if user.is_authenticated else None


@login_required
@require_GET
def home(request):
    """The ranking of an organisation's members (org roles); a member is sent to 我的积分."""
    user = request.user
    if not scoping.has_party_scope(user):
        if _own_person(user) is not None:
            year = request.GET.get("year", "")
            return redirect(reverse("points:mine") + (f"?year={year}" if year.isdigit() else ""))
        raise PermissionDenied("您没有查看党员积分的权限")
    choice = choose_org(scope_orgs(user), request.GET.get("org"))
    org = choice.org
    year = _year(request)
    q = (request.GET.get("q") or "").strip()[:selectors.Q_MAX_LENGTH]
    scores = selectors.subtree_scores(org, *selectors.year_period(year), q=q) if org is not None else []
    effective = rulebook.effective(org) if org is not None else None
    page = Paginator(scores, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "points/ranking.html", {
        "org_picker": _picker(choice), "org": org, "year": year, "years": _years(), "q": q, "page": page, "effective": effective,
        "sources": effective.rules if effective else (), "tab": "ranking"})


@login_required
@require_GET
def mine(request):
    person = _own_person(request.user)
    if person is None:
        raise PermissionDenied("您的账户没有关联党员档案，没有个人积分。")
    url = reverse("points:person", args=[person.pk])
    return redirect(f"{url}?year={request.GET['year']}" if request.GET.get("year", "").isdigit() else url)


@login_required
@require_GET
def person(request, pk):
    """How one member's score was made: base + each source (quantity × points, capped) with its records."""
    person = scoping.get_for_user(request, Person.objects.select_related("org"), pk)
    year = _year(request)
    score = selectors.person_score(person, *selectors.year_period(year))
    return render(request, "points/person.html", {
        "person": person, "score": score, "year": year, "years": _years(),
        "own": person.user_id == request.user.pk, "tab": "mine"})


@login_required
@require_GET
def rules(request):
    """The rule set in force at an organisation and where it comes from; the rule sets set inside the scope."""
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看积分办法的权限")
    choice = choose_org(scope_orgs(request.user), request.GET.get("org"))
    org = choice.org
    effective = rulebook.effective(org) if org is not None else None
    rule_sets = RuleSet.objects.visible_to(request.user).select_related("org", "updated_by").order_by("org__path")
    return render(request, "points/rules.html", {
        "org_picker": _picker(choice), "org": org, "effective": effective, "rule_sets": rule_sets, "default_base": rulebook.DEFAULT_BASE,
        "can_write": org is not None and scoping.can_write(request.user, org), "tab": "rules"})


def _org(request, pk):
    return scoping.get_for_user(request, Organisation.objects.all(), pk, write=True, org_attr=None)


@login_required
@require_http_methods(["GET", "POST"])
def rules_edit(request, pk):
    org = _org(request, pk)
    effective = rulebook.effective(org)
    initial = {"basis": effective.basis if effective.own else ""}
    form = RuleSetForm(request.POST or None, effective=effective, initial=initial)
    then = reverse("points:rules") + f"?org={org.pk}"
    done = submit_form(request, form, lambda data: services.rule_set_save(
        actor=request.user, org=org, base=data["base"], basis=data["basis"], rules=form.rules()),
        success=f"已保存{org.name}的积分办法，适用于本组织及下级组织。", then=then)
    if done:
        return done
    return render(request, "points/rules_form.html", {"form": form, "org": org, "effective": effective, "tab": "rules"},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def rules_remove(request, pk):
    org = _org(request, pk)
    try:
        services.rule_set_remove(actor=request.user, org=org)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已删除{org.name}的积分办法，改为沿用上级组织的办法（或平台默认）。")
    return redirect(reverse("points:rules") + f"?org={org.pk}")
