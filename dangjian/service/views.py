"""Pages of the service app. Every record kind has the same five pages (list, new, detail, edit, delete),
driven by one `Kind` description each; activities add photos, hardship files are restricted and audited."""

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping, uploads
from dangjian.core.forms import add_service_errors, submit_form
from dangjian.core.pages import paginate
from dangjian.orgs.models import WRITE_ROLES, Organisation
from dangjian.orgs.picker import OrgChoice, name_and_kind, org_name, org_picker

from . import selectors, services
from .forms import FORMS, PhotoForm
from .models import (Activity, ActivityKind, ActivityPhoto, CareVisit, HardshipFile, HomeVisit, MentorPair,
                     PartnerKind, Partnership, RecipientKind, VisitCategory)

PAGE_SIZE = 50


@dataclass(frozen=True)
class Kind:
    key: str                # URL names: <key>_new, <key>_detail, <key>_edit, <key>_delete
    list_name: str          # URL name of the list
    label: str              # 服务活动
    empty: str              # 暂无…
    model: type
    rows: object            # selectors.<x>_list(user, params) -> (qs, filters)
    create: object
    update: object
    delete: object
    arg: str                # the record's keyword in update/delete services
    kinds: object = None    # choices of the kind filter
    dated: bool = True      # the date-range filter applies
    restricted: bool = False

    @property
    def label_lower(self):
        return self.model._meta.label_lower

    @property
    def list_url(self):
        return reverse(f"service:{self.list_name}")

    @property
    def new_url(self):
        return reverse(f"service:{self.key}_new")

    def detail_url(self, obj):
        return reverse(f"service:{self.key}_detail", args=[obj.pk])


KINDS = {k.key: k for k in [
    Kind("activity", "home", "服务活动", "暂无服务活动记录。", Activity, selectors.activity_list,
         services.activity_create, services.activity_update, services.activity_delete, "activity", ActivityKind),
    Kind("partnership", "partnerships", "结对共建", "暂无结对共建记录。", Partnership, selectors.partnership_list,
         services.partnership_create, services.partnership_update, services.partnership_delete, "partnership",
         PartnerKind),
    Kind("visit", "visits", "家访", "暂无家访记录。", HomeVisit, selectors.visit_list, services.home_visit_create,
         services.home_visit_update, services.home_visit_delete, "visit", VisitCategory),
    Kind("pair", "pairs", "帮教对子", "暂无帮教对子。", MentorPair, selectors.pair_list, services.pair_create,
         services.pair_update, services.pair_delete, "pair", VisitCategory, dated=False),
    Kind("care", "care", "慰问", "暂无慰问记录。", CareVisit, selectors.care_list, services.care_visit_create,
         services.care_visit_update, services.care_visit_delete, "care", RecipientKind),
    Kind("hardship", "hardship", "困难职工档案", "暂无困难职工档案。", HardshipFile, selectors.hardship_list,
         services.hardship_create, services.hardship_update, services.hardship_delete, "file", restricted=True),
]}


def _can_list(user, kind):
    return selectors.can_read_hardship(user) if kind.restricted else scoping.has_party_scope(user)


def _require_list(request, kind):
    if not _can_list(request.user, kind):
        raise PermissionDenied("您没有查看此类记录的权限")


def _scoped(user, kind):
    if kind.restricted:
        return selectors.hardship_files_for(user)
    return kind.model.objects.visible_to(user)


def _get(request, kind, pk, *, write=False):
    """The record in the user's scope, else 404 (audited); 403 in scope without the write right."""
    obj = _scoped(request.user, kind).select_related("org").filter(pk=pk).first()
    if obj is None:
        scoping.deny(request, kind.label_lower, pk)
    if write and not scoping.can_write(request.user, obj.org):
        scoping.deny(request, kind.label_lower, pk, forbidden=True)
    return obj


def _tabs(user):
    return [k for k in KINDS.values() if _can_list(user, k)]


def record_list(request, key):
    kind = KINDS[key]
    _require_list(request, kind)
    qs, filters = kind.rows(request.user, request.GET)
    page, query = paginate(request, qs, PAGE_SIZE)
    if kind.restricted and page.object_list:
        services.hardship_read(actor=request.user, files=page.object_list, listing=True)
    return render(request, "service/list.html", {
        "kind": kind, "page": page, "filters": filters, "query": query, "tabs": _tabs(request.user),
        "org_picker": org_picker("org", Organisation.objects.visible_to(request.user).filter(
            dissolved_on__isnull=True), filters["org"], label_from_instance=org_name, attrs={"id": "f-org"}),
        "choices": kind.kinds.choices if kind.kinds else None,
        "can_write": bool(scoping.scope_paths(request.user, WRITE_ROLES)),
        "table": f"service/_table_{kind.key}.html",
    })


def _form_page(request, kind, form, *, org, obj=None):
    title = f"{'修改' if obj else '登记'}{kind.label}：{org.name}"
    return render(request, "service/form.html", {"kind": kind, "form": form, "org": org, "obj": obj,
                                                 "detail_url": kind.detail_url(obj) if obj else None,
                                                 "title": title, "tabs": _tabs(request.user)},
                  status=400 if request.method == "POST" else 200)


def record_new(request, key):
    kind = KINDS[key]
    if not scoping.scope_paths(request.user, WRITE_ROLES):
        raise PermissionDenied("您没有登记服务工作的权限")
    org_id = request.GET.get("org") or request.POST.get("org")
    orgs = selectors.writable_orgs(request.user)
    org = orgs.filter(pk=org_id).first() if org_id and str(org_id).isdigit() else None
    if org is None:
        choice = OrgChoice(orgs, None)
        return render(request, "service/org_pick.html", {
            "kind": kind, "has_orgs": bool(choice), "error": bool(org_id), "tabs": _tabs(request.user),
            "org_picker": choice.picker(label_from_instance=name_and_kind, attrs={
                "id": "pick-org", "class": "form-select mb-3", "required": True})})
    form = FORMS[kind.model](request.POST or None, request.FILES or None, org=org,
                             initial={"date": timezone.localdate()})
    done = submit_form(request, form, lambda d: kind.create(actor=request.user, org=org, **form.service_data()),
                       success=f"已登记{kind.label}。", then=kind.detail_url)
    return done or _form_page(request, kind, form, org=org)


def record_edit(request, key, pk):
    kind = KINDS[key]
    obj = _get(request, kind, pk, write=True)
    form = FORMS[kind.model](request.POST or None, org=obj.org, instance=obj)
    done = submit_form(request, form,
                       lambda d: kind.update(actor=request.user, **{kind.arg: obj}, **form.service_data()),
                       success="已保存。", then=kind.detail_url)
    return done or _form_page(request, kind, form, org=obj.org, obj=obj)


def record_delete(request, key, pk):
    kind = KINDS[key]
    obj = _get(request, kind, pk, write=True)
    try:
        kind.delete(actor=request.user, **{kind.arg: obj})
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(kind.detail_url(obj))
    messages.success(request, f"已删除{kind.label}记录。")
    return redirect(kind.list_url)


def _detail_rows(obj):
    """(label, value) of every editable field, for the detail page."""
    rows = []
    for field in obj._meta.concrete_fields:
        if not field.editable or field.name in ("id", "created_by") or field.primary_key:
            continue
        value = getattr(obj, field.name) if not field.is_relation or getattr(obj, field.attname) else None
        if field.choices:
            value = getattr(obj, f"get_{field.name}_display")()
        rows.append((field.verbose_name, value, field.get_internal_type()))
    return rows


def record_detail(request, key, pk):
    kind = KINDS[key]
    obj = _get(request, kind, pk)
    if kind.restricted:
        services.hardship_read(actor=request.user, files=[obj])
    context = {"kind": kind, "obj": obj, "rows": _detail_rows(obj), "can_write": scoping.can_write(request.user,
                                                                                                   obj.org),
               "tabs": _tabs(request.user), "edit_url": reverse(f"service:{key}_edit", args=[pk]),
               "delete_url": reverse(f"service:{key}_delete", args=[pk])}
    if isinstance(obj, Activity):
        obj = selectors.with_totals(Activity.objects.filter(pk=obj.pk)).select_related("org").get()
        context.update(obj=obj, participants=obj.participants.select_related("person__org").order_by(
            "person__name", "person_id"), photos=list(obj.photos.all()), photo_form=PhotoForm())
    elif isinstance(obj, MentorPair):
        context["visits"] = obj.visits.select_related("teacher").order_by("-date", "-id")
    elif isinstance(obj, CareVisit):
        context["visitors"] = obj.visitors.order_by("name", "id")
    return render(request, "service/detail.html", context)


# --- the view functions the URLs name -------------------------------------------------------------

def _bind(fn, methods):
    def view(request, key, **kwargs):
        return fn(request, key, **kwargs)

    view.__name__ = fn.__name__
    decorated = require_http_methods(methods)(view)
    return login_required(decorated)


list_view = _bind(record_list, ["GET"])
new_view = _bind(record_new, ["GET", "POST"])
detail_view = _bind(record_detail, ["GET"])
edit_view = _bind(record_edit, ["GET", "POST"])
delete_view = _bind(record_delete, ["POST"])


# --- activity photos ------------------------------------------------------------------------------

def _photo(request, pk, *, write=False):
    photo = (ActivityPhoto.objects.select_related("activity__org")
             .filter(pk=pk, activity__in=Activity.objects.visible_to(request.user)).first())
    if photo is None:
        scoping.deny(request, "service.activityphoto", pk)
    if write and not scoping.can_write(request.user, photo.activity.org):
        scoping.deny(request, "service.activityphoto", pk, forbidden=True)
    return photo


@login_required
@require_POST
def photo_add(request, pk):
    activity = _get(request, KINDS["activity"], pk, write=True)
    form = PhotoForm(request.POST, request.FILES)
    url = reverse("service:activity_detail", args=[pk]) + "#photos"
    if form.is_valid():
        try:
            for upload in form.cleaned_data["photos"]:
                services.photo_add(actor=request.user, activity=activity, upload=upload)
            messages.success(request, "已上传照片。")
            return redirect(url)
        except ValidationError as exc:
            add_service_errors(form, exc)
    messages.error(request, "上传失败：" + "；".join(e for errs in form.errors.values() for e in errs))
    return redirect(url)


@login_required
@require_GET
def photo_download(request, pk):
    photo = _photo(request, pk)
    return uploads.download_response(photo.file, photo.original_name, photo.content_type)


@login_required
@require_POST
def photo_delete(request, pk):
    photo = _photo(request, pk, write=True)
    activity_pk = photo.activity_id
    services.photo_remove(actor=request.user, photo=photo)
    messages.success(request, "已删除照片。")
    return redirect(reverse("service:activity_detail", args=[activity_pk]) + "#photos")


# --- the figures --------------------------------------------------------------------------------

def _widest(choice):
    """The shallowest organisation of the choice (by depth, then path): among the rows read when they are all
    there, else one query."""
    if choice.rows is not None:
        return min(choice.rows, key=lambda o: (o.depth, o.path), default=None)
    return choice.queryset.order_by("depth", "path").first()


@login_required
@require_GET
def summary(request):
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看此类记录的权限")
    choice = OrgChoice(Organisation.objects.visible_to(request.user).filter(dissolved_on__isnull=True),
                       request.GET.get("org"), default=_widest)
    org = choice.org
    today = timezone.localdate()
    start = selectors.parse_date(request.GET.get("start")) or date(today.year, 1, 1)
    end = selectors.parse_date(request.GET.get("end")) or today
    if end < start:
        start, end = end, start
    return render(request, "service/summary.html", {
        "figures": selectors.summary(org, start, end), "org": org, "start": start, "end": end,
        "org_picker": choice.picker(attrs={"id": "s-org"}),
        "tabs": _tabs(request.user)})
