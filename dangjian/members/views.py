from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping
from dangjian.core.forms import submit_form
from dangjian.core.pages import paginate
from dangjian.orgs.models import WRITE_ROLES, CommitteePost, Organisation, OrgKind
from dangjian.orgs.picker import org_picker
from dangjian.orgs.selectors import writable_orgs

from . import selectors, services
from .forms import MoveForm, PersonForm, StatusChangeForm
from .models import Person, Status

EDIT_FIELDS = ["name", "gender", "ethnicity", "birth_date", "education", "occupation", "professional_title",
               "is_class_teacher", "is_research_lead", "is_backbone", "is_administrative", "is_mobile", "lost_contact", "group",
               "applied_on", "joined_on", "full_member_on"]


@login_required
@require_GET
def roster(request):
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看名册的权限")
    from dangjian.transfers.selectors import with_transfer_mark  # transfers builds on members

    people, filters = selectors.roster_queryset(request.user, request.GET)
    page, query = paginate(request, with_transfer_mark(people), 50)
    context = {
        "page": page,
        "filters": filters,
        "query": query,
        # Rendered only on the full page (not for the htmx table), bounded however many organisations are in scope.
        "org_picker": org_picker("org", Organisation.objects.visible_to(request.user).active().exclude(
            kind=OrgKind.GROUP), filters["org"], empty_label="全部", label_from_instance=_org_name,
            attrs={"id": "f-org"}, exclude_groups=True),
        "statuses": selectors.STATUS_CHOICES,
        "posts": selectors.POST_CHOICES,
        "age_bands": selectors.AGE_CHOICES,
        "years_bands": selectors.YEARS_CHOICES,
        "can_write": bool(scoping.scope_paths(request.user, WRITE_ROLES)),
    }
    template = "members/_roster_table.html" if request.htmx and not request.htmx.boosted else "members/roster.html"
    return render(request, template, context)


def _org_name(org):
    return org.name


def _detail_url(person):
    return reverse("members:detail", args=[person.pk])


def _form_page(request, form, title, **context):
    return render(request, "members/form.html", {"form": form, "title": title, **context},
                  status=400 if request.method == "POST" else 200)


def _person_form(request, *, person=None):
    orgs = writable_orgs(request.user).exclude(kind=OrgKind.GROUP)
    groups = writable_orgs(request.user, kinds=[OrgKind.GROUP])
    initial = {}
    if person is not None:
        initial = {field: getattr(person, field) for field in EDIT_FIELDS}
        initial["id_number"] = ""
    elif request.GET.get("org"):
        initial["org"] = request.GET["org"]
    return PersonForm(request.POST or None, orgs=orgs, groups=groups, editing=person is not None,
                      initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request):
    if not scoping.scope_paths(request.user, WRITE_ROLES):
        raise PermissionDenied("您没有新增人员的权限")
    form = _person_form(request)
    done = submit_form(request, form, lambda d: services.person_create(actor=request.user, **d),
                       success="已新增人员。", then=_detail_url)
    return done or _form_page(request, form, "新增人员")


@login_required
@require_GET
def person_detail(request, pk):
    person = scoping.get_for_user(request, Person.objects.select_related("org", "group", "user"), pk)
    context = {
        "person": person,
        "can_write": scoping.can_write(request.user, person.org),
        "can_unmask": scoping.can_unmask(request.user, person.org),
        "status_events": list(person.status_events.select_related("actor")),
        "memberships": list(person.memberships.select_related("org")),
        "changes": list(person.changes.select_related("actor")[:30]),
        "posts": list(CommitteePost.objects.filter(person=person).select_related("org")),
        "age": person.age_on(),
        "party_years": person.party_years_on(),
        # The person's latest 发展党员 file (the pipeline app builds on members, so it is looked up here).
        "development_file": person.development_files.order_by("-pk").values_list("pk", flat=True).first(),
        "can_open_file": person.status in (Status.NON_MEMBER, Status.APPLICANT),
    }
    return render(request, "members/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    person = scoping.get_for_user(request, Person.objects.select_related("org", "group"), pk, write=True)
    form = _person_form(request, person=person)

    def save(data):
        data = dict(data)
        id_number = data.pop("id_number") or None  # blank keeps the stored number
        return services.person_update(actor=request.user, person=person, id_number=id_number, **data)

    done = submit_form(request, form, save, success="已保存。", then=_detail_url(person))
    return done or _form_page(request, form, f"修改：{person.name}", person=person)


@login_required
@require_http_methods(["GET", "POST"])
def person_status(request, pk):
    person = scoping.get_for_user(request, Person.objects.select_related("org"), pk, write=True)
    allowed = sorted(services.TRANSITIONS[Status(person.status)], key=lambda s: Status.values.index(s))
    form = StatusChangeForm(request.POST or None, allowed=allowed)
    done = submit_form(request, form, lambda d: services.person_change_status(actor=request.user, person=person, **d),
                       success="已记录状态变更。", then=_detail_url(person))
    return done or _form_page(
        request, form, f"变更政治面貌/党籍状态：{person.name}", person=person, empty=not allowed,
        hint=f"当前状态：{person.get_status_display()}（{person.status_since or '—'} 起）。每项变更须有生效日期和依据。")


@login_required
@require_http_methods(["GET", "POST"])
def person_move(request, pk):
    person = scoping.get_for_user(request, Person.objects.select_related("org"), pk, write=True)
    orgs = writable_orgs(request.user).exclude(kind=OrgKind.GROUP).exclude(pk=person.org_id)
    form = MoveForm(request.POST or None, orgs=orgs)
    done = submit_form(request, form, lambda d: services.person_move(
        actor=request.user, person=person, new_org=d["new_org"], effective_on=d["effective_on"], note=d["note"]),
        success="已转接组织关系。", then=_detail_url(person))
    return done or _form_page(request, form, f"组织关系转接：{person.name}", person=person,
                              hint="在本辖区内转接（如教师交流轮岗），原组织记录截止于转接日期，历史完整保留。")


@login_required
@require_POST
def person_unmask(request, pk):
    person = scoping.get_for_user(request, Person.objects.select_related("org"), pk)
    if not scoping.can_unmask(request.user, person.org):
        scoping.deny(request, "members.person", pk, forbidden=True)
    values = services.person_unmask(actor=request.user, person=person)
    return render(request, "members/_unmasked.html", {"person": person, **values})
