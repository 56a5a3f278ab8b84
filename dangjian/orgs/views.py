from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.compliance.engine import findings_for
from dangjian.core import scoping
from dangjian.core.forms import add_service_errors
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person

from . import selectors, services
from .forms import (OrgCreateForm, OrgDissolveForm, OrgEditForm, OrgMoveForm, OrgUpgradeForm, PostAddForm,
                    PostEndForm)
from .models import ALLOWED_CHILDREN, UPGRADES, CommitteePost, Organisation, OrgKind


def _require_party_scope(request):
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看组织的权限")


@login_required
@require_GET
def tree(request):
    _require_party_scope(request)
    include_dissolved = request.GET.get("dissolved") == "1"
    q = request.GET.get("q", "").strip()[:50]
    rows = selectors.tree_for(request.user, include_dissolved=include_dissolved, q=q)
    can_create = selectors.writable_orgs(request.user).exists()
    return render(request, "orgs/tree.html", {"rows": rows, "q": q, "include_dissolved": include_dissolved,
                                              "can_create": can_create})


@login_required
@require_GET
def org_detail(request, pk):
    org = scoping.get_for_user(request, Organisation.objects, pk)
    context = selectors.org_detail(org, request.user)
    subtree = list(Organisation.objects.subtree_of(org).filter(dissolved_on__isnull=True))
    context.update(
        org=org,
        can_write=scoping.can_write(request.user, org),
        findings=findings_for(subtree),
        can_upgrade=OrgKind(org.kind) in UPGRADES and not org.is_dissolved,
        can_add_child=bool(ALLOWED_CHILDREN[OrgKind(org.kind)]) and not org.is_dissolved,
    )
    return render(request, "orgs/detail.html", context)


def _form_page(request, template, form, **context):
    return render(request, template, {"form": form, **context}, status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def org_create(request):
    parents = selectors.writable_orgs(request.user).exclude(kind=OrgKind.GROUP)
    if not parents.exists():
        raise PermissionDenied("您没有新建组织的权限")
    initial = {}
    if request.GET.get("parent"):
        parent = scoping.get_for_user(request, Organisation.objects, request.GET["parent"], write=True, org_attr=None)
        initial["parent"] = parent
        allowed = ALLOWED_CHILDREN[OrgKind(parent.kind)]
        initial["kind"] = next((k for k in OrgKind.values if k in allowed), None)
        initial["unit_name"] = parent.unit_name
    form = OrgCreateForm(request.POST or None, parents=parents, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = services.org_create(actor=request.user, parent=data["parent"], name=data["name"],
                                      kind=data["kind"], founded_on=data["founded_on"],
                                      unit_name=data["unit_name"], code=data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已新建组织“{org.name}”。")
            return redirect("orgs:detail", org.pk)
    return _form_page(request, "orgs/form.html", form, title="新建组织")


@login_required
@require_http_methods(["GET", "POST"])
def org_edit(request, pk):
    org = scoping.get_for_user(request, Organisation.objects, pk, write=True, org_attr=None)
    form = OrgEditForm(request.POST or None, initial={"name": org.name, "unit_name": org.unit_name,
                                                      "code": org.code, "founded_on": org.founded_on})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.org_update(actor=request.user, org=org, effective_on=data["effective_on"], name=data["name"],
                                unit_name=data["unit_name"], code=data["code"], founded_on=data["founded_on"],
                                note=data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("orgs:detail", org.pk)
    return _form_page(request, "orgs/form.html", form, title=f"修改组织信息：{org.name}", org=org)


@login_required
@require_http_methods(["GET", "POST"])
def org_move(request, pk):
    org = scoping.get_for_user(request, Organisation.objects, pk, write=True, org_attr=None)
    allowed = [k for k, children in ALLOWED_CHILDREN.items() if org.kind in children]
    parents = selectors.writable_orgs(request.user, kinds=allowed).exclude(path__startswith=org.path)
    form = OrgMoveForm(request.POST or None, parents=parents)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.org_move(actor=request.user, org=org, new_parent=data["new_parent"],
                              effective_on=data["effective_on"], note=data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已调整隶属关系。")
            return redirect("orgs:detail", org.pk)
    return _form_page(request, "orgs/form.html", form, title=f"调整隶属关系：{org.name}", org=org,
                      hint="下级组织、人员和角色随本组织一并调整。")


@login_required
@require_http_methods(["GET", "POST"])
def org_upgrade(request, pk):
    org = scoping.get_for_user(request, Organisation.objects, pk, write=True, org_attr=None)
    target = UPGRADES.get(OrgKind(org.kind))
    form = OrgUpgradeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.org_upgrade(actor=request.user, org=org, effective_on=data["effective_on"],
                                 new_name=data["new_name"], note=data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已升格。")
            return redirect("orgs:detail", org.pk)
    hint = f"{org.get_kind_display()}将升格为{target.label}。" if target else f"{org.get_kind_display()}不能升格。"
    return _form_page(request, "orgs/form.html", form, title=f"升格：{org.name}", org=org, hint=hint)


@login_required
@require_http_methods(["GET", "POST"])
def org_dissolve(request, pk):
    org = scoping.get_for_user(request, Organisation.objects, pk, write=True, org_attr=None)
    form = OrgDissolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.org_dissolve(actor=request.user, org=org, dissolved_on=data["dissolved_on"], note=data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已撤销“{org.name}”。")
            return redirect("orgs:detail", org.pk)
    return _form_page(request, "orgs/form.html", form, title=f"撤销组织：{org.name}", org=org, danger=True,
                      hint="撤销后组织保留在历史中，不能再新增人员或下级组织。撤销前须先转出全部人员、撤销或移出下级组织。")


@login_required
@require_http_methods(["GET", "POST"])
def post_add(request, pk):
    org = scoping.get_for_user(request, Organisation.objects, pk, write=True, org_attr=None)
    if org.kind == OrgKind.GROUP:
        people = Person.objects.filter(group=org)
    else:
        people = Person.objects.filter(org__path__startswith=org.path)
    people = people.filter(status__in=PARTY_MEMBER_STATUSES).select_related("org").order_by("name")
    form = PostAddForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.committee_post_add(actor=request.user, org=org, person=data["person"], post=data["post"],
                                        started_on=data["started_on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已添加班子成员。")
            return redirect("orgs:detail", org.pk)
    return _form_page(request, "orgs/form.html", form, title=f"添加班子成员：{org.name}", org=org)


@login_required
@require_http_methods(["GET", "POST"])
def post_end(request, pk):
    seat = get_object_or_404(CommitteePost.objects.select_related("org", "person"), pk=pk)
    scoping.get_for_user(request, Organisation.objects, seat.org_id, write=True, org_attr=None)
    form = PostEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.committee_post_end(actor=request.user, seat=seat, ended_on=form.cleaned_data["ended_on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已办理离任。")
            return redirect("orgs:detail", seat.org_id)
    return _form_page(request, "orgs/form.html", form,
                      title=f"离任：{seat.person.name}（{seat.get_post_display()}）", org=seat.org)
