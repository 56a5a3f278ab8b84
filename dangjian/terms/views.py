from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping
from dangjian.core.forms import add_service_errors
from dangjian.core.pages import paginate
from dangjian.orgs.models import WRITE_ROLES, Organisation
from dangjian.orgs.picker import org_name, org_picker

from . import selectors, services
from .forms import (ApprovalForm, CandidateFormSet, ElectionForm, ExtensionApproveForm, ExtensionRequestForm,
                    posts_form)
from .models import ELECTING_KINDS, Candidate, Election, TermExtension

PAGE_SIZE = 50
CANDIDATE_ROWS = 6


def _require_scope(request):
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看换届选举的权限")


def _org(request, pk, *, write=False):
    return scoping.get_for_user(request, Organisation.objects.all(), pk, write=write, org_attr=None)


def _election(request, pk, *, write=False):
    qs = Election.objects.select_related("org", "created_by")
    return scoping.get_for_user(request, qs, pk, write=write)


def _detail_url(election):
    return reverse("terms:detail", args=[election.pk])


@login_required
@require_GET
def home(request):
    _require_scope(request)
    on = timezone.localdate()
    terms, filters = selectors.term_list(request.user, request.GET, on)
    page, query = paginate(request, terms, PAGE_SIZE)
    return render(request, "terms/home.html", {
        "page": page, "filters": filters, "query": query, "on": on,
        "states": selectors.State.choices, "counts": selectors.counts_by_state(terms),
        "org_picker": org_picker("org", selectors.electing_orgs(Organisation.objects.visible_to(request.user)).only(
            "pk", "name", "path", "depth"), filters["org"], label_from_instance=org_name, attrs={"id": "f-org"}),
        "can_write": bool(scoping.scope_paths(request.user, WRITE_ROLES)),
    })


@login_required
@require_GET
def org(request, pk):
    organisation = _org(request, pk)
    on = timezone.localdate()
    elections = list(Election.objects.filter(org=organisation).prefetch_related(
        Prefetch("candidates", queryset=Candidate.objects.select_related("person")), "extensions"))
    return render(request, "terms/org.html", {
        "org": organisation, "elections": elections, "term": selectors.term_of(organisation, on), "on": on,
        "elects": organisation.kind in ELECTING_KINDS,
        "can_write": scoping.can_write(request.user, organisation) and organisation.kind in ELECTING_KINDS,
    })


def _candidates(formset):
    return [(f.cleaned_data["person"], f.cleaned_data["votes"]) for f in formset.forms
            if f.cleaned_data.get("person") is not None]


@login_required
@require_http_methods(["GET", "POST"])
def election_new(request, pk):
    organisation = _org(request, pk, write=True)
    if organisation.kind not in ELECTING_KINDS or organisation.is_dissolved:
        messages.error(request, f"{organisation.get_kind_display()}不进行换届选举。")
        return redirect("terms:org", pk=organisation.pk)
    people = services.candidate_people(organisation)
    form = ElectionForm(request.POST or None, initial={"held_on": timezone.localdate()})
    formset = CandidateFormSet(request.POST or None, prefix="c", form_kwargs={"people": people},
                               initial=None if request.method == "POST" else [{}] * CANDIDATE_ROWS)
    candidate_errors = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            election = services.election_record(actor=request.user, org=organisation,
                                                candidates=_candidates(formset), **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "candidates" in exc.error_dict:
                candidate_errors = ValidationError(exc.error_dict.pop("candidates")).messages
            add_service_errors(form, exc)
        else:
            messages.success(request, "已登记换届选举，当选人按规则计算如下。")
            return redirect(_detail_url(election))
    return render(request, "terms/form.html", {
        "org": organisation, "form": form, "formset": formset, "candidate_errors": candidate_errors,
        "electors": len(services.electors(organisation, timezone.localdate())),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def detail(request, pk):
    election = _election(request, pk)
    candidates = list(election.candidates.select_related("person").order_by("-votes", "person__name", "id"))
    winners = sorted([c for c in candidates if c.elected], key=lambda c: c.rank or 0)
    can_write = scoping.can_write(request.user, election.org)
    term = selectors.term_of(election.org, timezone.localdate())
    current = term is not None and term.election_id == election.pk
    return render(request, "terms/detail.html", {
        "election": election, "candidates": candidates, "winners": winners, "can_write": can_write,
        "term": term, "current": current,
        "extensions": list(election.extensions.all()),
        "posts_form": posts_form(winners), "approval_form": ApprovalForm(initial={"approved_on": timezone.localdate()}),
        "extension_form": ExtensionRequestForm(),
        "extension_approve_form": ExtensionApproveForm(prefix="x", initial={"approved_on": timezone.localdate()}),
    })


def _flash_errors(request, exc):
    messages.error(request, "；".join(exc.messages))


def _run(request, election, action, success):
    try:
        action()
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, success)
    return redirect(_detail_url(election))


def _form_action(request, election, form, call, success):
    """A POST form on the detail page: invalid input or a refused service call flashes the reasons."""
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[f].label}：{e}" if f in form.fields else e
                                         for f, errs in form.errors.items() for e in errs))
        return redirect(_detail_url(election))
    return _run(request, election, lambda: call(form.cleaned_data), success)


@login_required
@require_POST
def posts(request, pk):
    election = _election(request, pk, write=True)
    winners = list(election.candidates.filter(elected=True).select_related("person"))
    form = posts_form(winners, request.POST)
    return _form_action(request, election, form, lambda data: services.election_posts_set(
        actor=request.user, election=election, posts={c.pk: data[f"post-{c.pk}"] for c in winners}),
        "已保存委员分工。")


@login_required
@require_POST
def approve(request, pk):
    election = _election(request, pk, write=True)
    return _form_action(request, election, ApprovalForm(request.POST), lambda data: services.election_approve(
        actor=request.user, election=election, **data), "已登记批复，新一届班子成员已任职，上届班子成员同日离任。")


@login_required
@require_POST
def delete(request, pk):
    election = _election(request, pk, write=True)
    try:
        services.election_delete(actor=request.user, election=election)
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect(_detail_url(election))
    messages.success(request, "已删除该选举记录。")
    return redirect("terms:org", pk=election.org_id)


@login_required
@require_POST
def extension_request(request, pk):
    election = _election(request, pk, write=True)
    return _form_action(request, election, ExtensionRequestForm(request.POST), lambda data: services.extension_request(
        actor=request.user, election=election, **data), "已登记延期换届申请，待上级党组织批准。")


@login_required
@require_POST
def extension_approve(request, pk):
    extension = scoping.get_for_user(request, TermExtension.objects.select_related("election"), pk, write=True)
    return _form_action(request, extension.election, ExtensionApproveForm(request.POST, prefix="x"),
                        lambda data: services.extension_approve(actor=request.user, extension=extension, **data),
                        "已登记延期换届的批准。")
