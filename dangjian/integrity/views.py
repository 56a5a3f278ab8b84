"""廉政 screens: one list with a tab per record kind, and the record pages. Every read is audited."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping
from dangjian.core.forms import submit_form
from dangjian.core.pages import paginate
from dangjian.orgs.models import Organisation
from dangjian.orgs.picker import OrgChoice

from . import selectors, services
from .forms import FilterForm, form_class

PAGE_SIZE = 50


def _kind(slug):
    if slug not in services.KINDS:
        raise Http404("未找到")
    return services.KINDS[slug]


def _require_access(request, write=False):
    allowed = selectors.can_write_any(request.user) if write else selectors.has_access(request.user)
    if not allowed:
        scoping.deny(request, "integrity", forbidden=True)


def _record(request, kind, pk, *, write=False):
    """404 outside what the user may see (audited); 403 when seen but not writable."""
    label = kind.model._meta.label_lower
    obj = kind.model.objects.visible_to(request.user).select_related("org", *(
        ["person"] if kind.has_person else [])).filter(pk=pk).first()
    if obj is None:
        scoping.deny(request, label, pk)
    if write and not selectors.can_write(request.user, obj.org):
        scoping.deny(request, label, pk, forbidden=True)
    return obj


@login_required
@require_GET
def home(request):
    _require_access(request)
    kind = services.KINDS.get(request.GET.get("tab"), services.KINDS["files"])
    filters = FilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = kind.model.objects.visible_to(request.user).select_related("org", *(
        ["person"] if kind.has_person else []))
    choice = OrgChoice(Organisation.objects.filter(selectors.visible_q(request.user, "path")).exclude(kind="group")
                       .only("id", "name", "path", "depth"), data.get("org"))
    org = choice.org
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if data.get("year"):
        qs = qs.filter(**{f"{kind.date_field}__year": data["year"]})
    if data.get("q"):
        match = Q()
        for name in kind.search:
            match |= Q(**{f"{name}__icontains": data["q"]})
        qs = qs.filter(match)
    page, query = paginate(request, qs, PAGE_SIZE)
    shown = {k: str(v) for k, v in data.items() if v not in (None, "")}
    services.record_read(actor=request.user, records=page.object_list, what=kind.model._meta.label_lower,
                         filters={"tab": kind.slug, **shown, "page": page.number})
    return render(request, "integrity/home.html", {
        "kind": kind, "kinds": services.KINDS.values(), "page": page, "org": org, "data": data,
        "org_picker": choice.picker(empty_label="全部", attrs={"id": "f-org"}, exclude_groups=True),
        "query": query, "can_write": selectors.can_write_any(request.user)})


def _form_page(request, kind, form, title, record=None):
    return render(request, "integrity/form.html", {"kind": kind, "form": form, "title": title, "record": record},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def create(request, kind):
    kind = _kind(kind)
    _require_access(request, write=True)
    form = form_class(kind)(request.POST or None, user=request.user)
    done = submit_form(request, form, lambda d: services.record_create(actor=request.user, what=kind.slug, **d),
                       success=f"已登记{kind.label}。",
                       then=lambda r: reverse("integrity:detail", args=[kind.slug, r.pk]))
    return done or _form_page(request, kind, form, f"登记{kind.label}")


def _display(record, name):
    getter = getattr(record, f"get_{name}_display", None)
    return getter() if getter else getattr(record, name)


@login_required
@require_GET
def detail(request, kind, pk):
    kind = _kind(kind)
    record = _record(request, kind, pk)
    services.record_read(actor=request.user, records=[record], what=kind.model._meta.label_lower)
    fields = [(record._meta.get_field(name).verbose_name, _display(record, name)) for name in kind.fields]
    return render(request, "integrity/detail.html", {
        "kind": kind, "record": record, "fields": fields,
        "can_write": selectors.can_write(request.user, record.org)})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, kind, pk):
    kind = _kind(kind)
    record = _record(request, kind, pk, write=True)
    form = form_class(kind)(request.POST or None, instance=record, user=request.user)
    done = submit_form(request, form,
                       lambda d: services.record_update(actor=request.user, record=record, **d),
                       success="已保存。", then=reverse("integrity:detail", args=[kind.slug, record.pk]))
    return done or _form_page(request, kind, form, f"修改{kind.label}", record)


@login_required
@require_POST
def delete(request, kind, pk):
    kind = _kind(kind)
    record = _record(request, kind, pk, write=True)
    try:
        services.record_delete(actor=request.user, record=record)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect("integrity:detail", kind.slug, record.pk)
    messages.success(request, f"已删除{kind.label}。")
    return redirect(reverse("integrity:home") + f"?tab={kind.slug}")
