from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.compliance.selectors import findings_in
from dangjian.core import scoping
from dangjian.core.forms import submit_form
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person

from . import picker, selectors, services
from .forms import (OrgCreateForm, OrgDissolveForm, OrgEditForm, OrgMoveForm, OrgUpgradeForm, PostAddForm,
                    PostEndForm)
from .models import ALLOWED_CHILDREN, UPGRADES, CommitteePost, Organisation, OrgKind


def _require_party_scope(request):
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看组织的权限")


def _writable(request, pk):
    return scoping.get_for_user(request, Organisation.objects, pk, write=True, org_attr=None)


def _detail_url(org_or_id):
    return reverse("orgs:detail", args=[getattr(org_or_id, "pk", org_or_id)])


def _form_page(request, form, title, org=None, **context):
    return render(request, "orgs/form.html", {"form": form, "title": title, "org": org, **context},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def tree(request):
    """The organisation tree: the whole scope when small; a large scope's top levels with expand links.
    ?parent=<id>: that organisation and its children — as an htmx fragment (the rows replacing its row), or
    without htmx a page rooted there."""
    _require_party_scope(request)
    include_dissolved = request.GET.get("dissolved") == "1"
    q = request.GET.get("q", "").strip()[:50]
    context = {"q": q, "include_dissolved": include_dissolved, "parent": None, "ancestors": [], "capped": False}
    if request.GET.get("parent"):
        parent = scoping.get_for_user(request, Organisation.objects, request.GET["parent"])
        indent = request.GET.get("indent", "")
        indent = min(int(indent), 6) if indent.isdigit() and len(indent) < 3 else 0
        below = selectors.tree_below(request.user, parent, include_dissolved=include_dissolved,
                                     indent=indent if request.htmx else 0)
        context.update(below, mode="below", q="")
        if request.htmx:
            return render(request, "orgs/_tree_rows.html", context)
    else:
        context.update(selectors.tree_page(request.user, include_dissolved=include_dissolved, q=q))
    context["can_create"] = selectors.writable_orgs(request.user).exists()
    return render(request, "orgs/tree.html", context)


@login_required
@require_GET
def org_detail(request, pk):
    org = scoping.get_for_user(request, Organisation.objects, pk)
    context = selectors.org_detail(org, request.user)
    findings = findings_in(Organisation.objects.subtree_of(org).active())
    groups = findings.groups()
    context.update(
        org=org,
        can_write=scoping.can_write(request.user, org),
        findings=findings,
        finding_groups=groups,
        findings_total=sum(g["count"] for g in groups),
        can_upgrade=OrgKind(org.kind) in UPGRADES and not org.is_dissolved,
        can_add_child=bool(ALLOWED_CHILDREN[OrgKind(org.kind)]) and not org.is_dissolved,
    )
    return render(request, "orgs/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def org_create(request):
    parents = selectors.writable_orgs(request.user).exclude(kind=OrgKind.GROUP)
    if not parents.exists():
        raise PermissionDenied("您没有新建组织的权限")
    initial = {}
    if request.GET.get("parent"):
        parent = _writable(request, request.GET["parent"])
        allowed = ALLOWED_CHILDREN[OrgKind(parent.kind)]
        initial = {"parent": parent, "unit_name": parent.unit_name,
                   "kind": next((k for k in OrgKind.values if k in allowed), None)}
    form = OrgCreateForm(request.POST or None, parents=parents, initial=initial)
    done = submit_form(request, form, lambda d: services.org_create(
        actor=request.user, parent=d["parent"], name=d["name"], kind=d["kind"], founded_on=d["founded_on"],
        unit_name=d["unit_name"], code=d["code"]), success="已新建组织。", then=_detail_url)
    return done or _form_page(request, form, "新建组织")


@login_required
@require_http_methods(["GET", "POST"])
def org_edit(request, pk):
    org = _writable(request, pk)
    form = OrgEditForm(request.POST or None, initial={"name": org.name, "unit_name": org.unit_name,
                                                      "code": org.code, "founded_on": org.founded_on})
    done = submit_form(request, form, lambda d: services.org_update(
        actor=request.user, org=org, effective_on=d["effective_on"], name=d["name"], unit_name=d["unit_name"],
        code=d["code"], founded_on=d["founded_on"], note=d["note"]), success="已保存。", then=_detail_url(org))
    return done or _form_page(request, form, f"修改组织信息：{org.name}", org)


@login_required
@require_http_methods(["GET", "POST"])
def org_move(request, pk):
    org = _writable(request, pk)
    allowed = [k for k, children in ALLOWED_CHILDREN.items() if org.kind in children]
    parents = selectors.writable_orgs(request.user, kinds=allowed).exclude(path__startswith=org.path)
    form = OrgMoveForm(request.POST or None, parents=parents)
    done = submit_form(request, form, lambda d: services.org_move(
        actor=request.user, org=org, new_parent=d["new_parent"], effective_on=d["effective_on"], note=d["note"]),
        success="已调整隶属关系。", then=_detail_url(org))
    return done or _form_page(request, form, f"调整隶属关系：{org.name}", org,
                              hint="下级组织、人员和角色随本组织一并调整。")


@login_required
@require_http_methods(["GET", "POST"])
def org_upgrade(request, pk):
    org = _writable(request, pk)
    target = UPGRADES.get(OrgKind(org.kind))
    form = OrgUpgradeForm(request.POST or None)
    done = submit_form(request, form, lambda d: services.org_upgrade(
        actor=request.user, org=org, effective_on=d["effective_on"], new_name=d["new_name"], note=d["note"]),
        success="已升格。", then=_detail_url(org))
    hint = f"{org.get_kind_display()}将升格为{target.label}。" if target else f"{org.get_kind_display()}不能升格。"
    return done or _form_page(request, form, f"升格：{org.name}", org, hint=hint)


@login_required
@require_http_methods(["GET", "POST"])
def org_dissolve(request, pk):
    org = _writable(request, pk)
    form = OrgDissolveForm(request.POST or None)
    done = submit_form(request, form, lambda d: services.org_dissolve(
        actor=request.user, org=org, dissolved_on=d["dissolved_on"], note=d["note"]),
        success=f"已撤销“{org.name}”。", then=_detail_url(org))
    return done or _form_page(request, form, f"撤销组织：{org.name}", org, danger=True,
                              hint="撤销后组织保留在历史中，不能再新增人员或下级组织。"
                                   "撤销前须先转出全部人员、撤销或移出下级组织。")


@login_required
@require_http_methods(["GET", "POST"])
def post_add(request, pk):
    org = _writable(request, pk)
    people = (Person.objects.filter(group=org) if org.kind == OrgKind.GROUP
              else Person.objects.filter(org__path__startswith=org.path))
    people = people.filter(status__in=PARTY_MEMBER_STATUSES).select_related("org").order_by("name")
    form = PostAddForm(request.POST or None, people=people)
    done = submit_form(request, form, lambda d: services.committee_post_add(
        actor=request.user, org=org, person=d["person"], post=d["post"], started_on=d["started_on"]),
        success="已添加班子成员。", then=_detail_url(org))
    return done or _form_page(request, form, f"添加班子成员：{org.name}", org)


@login_required
@require_http_methods(["GET", "POST"])
def post_end(request, pk):
    seat = get_object_or_404(CommitteePost.objects.select_related("org", "person"), pk=pk)
    _writable(request, seat.org_id)
    form = PostEndForm(request.POST or None)
    done = submit_form(request, form, lambda d: services.committee_post_end(
        actor=request.user, seat=seat, ended_on=d["ended_on"]), success="已办理离任。", then=_detail_url(seat.org_id))
    return done or _form_page(request, form, f"离任：{seat.person.name}（{seat.get_post_display()}）", seat.org)


@login_required
@require_GET
def pick(request):
    """The organisation picker's search (htmx): `<option>`s of the active organisations in the user's scope whose
    name or unit name contains `q` (1–50 characters), at most 30, in path order; `exclude_groups=1` leaves out
    党小组. A fixed number of queries whatever the number of organisations."""
    _require_party_scope(request)
    q = request.GET.get("q", "").strip()
    found = picker.search(request.user, q, exclude_groups=request.GET.get("exclude_groups") == "1",
                          limit=picker.SEARCH_MAX + 1)
    orgs = [{"pk": o.pk, "label": picker.search_label(o)} for o in found[:picker.SEARCH_MAX]]
    return render(request, "orgs/_pick_options.html",
                  {"orgs": orgs, "q": q if orgs or len(q) <= picker.SEARCH_MAX_LENGTH else "",
                   "more": len(found) > picker.SEARCH_MAX})
