"""述职评议 screens: scoring forms and their ranking, secretaries' reports, scoring. Thin views: reads in
selectors, writes in services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping, uploads
from dangjian.core.forms import submit_form
from dangjian.orgs.picker import OrgChoice

from . import selectors, services
from .forms import ReportForm, ScoringFormForm, SheetForm, items_text
from .models import Attachment, Report

PAGE_SIZE = 50


def _require_scope(request):
    if not scoping.has_party_scope(request.user):
        raise PermissionDenied("您没有查看述职评议的权限")


def _form(request, pk, *, write=False):
    form = selectors.forms_for(request.user).select_related("org").filter(pk=pk).first()
    if form is None:
        scoping.deny(request, "appraisal.scoringform", pk)
    if write and not scoping.can_write(request.user, form.org):
        scoping.deny(request, "appraisal.scoringform", pk, forbidden=True)
    return form


def _report(request, pk, *, write=False):
    return scoping.get_for_user(request, Report.objects.select_related("form__org", "org", "person"), pk,
                                write=write)


def _page(request, template, context, status=None):
    status = status or (400 if request.method == "POST" else 200)
    return render(request, template, context, status=status)


def _delete(request, action, success, then, back):
    """Run a delete service: on success to `then`, refused (e.g. already scored) back to `back` with the reason."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(back)
    messages.success(request, success)
    return redirect(then)


@login_required
@require_GET
def home(request):
    _require_scope(request)
    forms = selectors.forms_for(request.user).select_related("org")
    page = Paginator(forms, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "appraisal/home.html", {"page": page,
                                                   "can_create": services.form_orgs(request.user).exists()})


@login_required
@require_http_methods(["GET", "POST"])
def form_create(request):
    _require_scope(request)
    orgs = OrgChoice(services.form_orgs(request.user), None)
    if not orgs:
        raise PermissionDenied("您没有制定评分表的权限")
    form = ScoringFormForm(request.POST or None, orgs=orgs, initial={"year": timezone.localdate().year - 1})

    def save(data):
        return services.form_save(actor=request.user, org=data["org"], year=data["year"], title=data["title"],
                                  items=data["items"])

    done = submit_form(request, form, save, success="已建立述职评议评分表。",
                       then=lambda f: reverse("appraisal:form_detail", args=[f.pk]))
    return done or _page(request, "appraisal/form.html", {"form": form, "title": "新建述职评议评分表",
                                                          "back": reverse("appraisal:home")})


@login_required
@require_GET
def form_detail(request, pk):
    scoring_form = _form(request, pk)
    reports, full, bands = selectors.ranking(scoring_form)
    visible = set(Report.objects.visible_to(request.user).filter(form=scoring_form).values_list("pk", flat=True))
    can_report = services.report_orgs(request.user, scoring_form).exists()
    return render(request, "appraisal/form_detail.html", {
        "sf": scoring_form, "items": list(scoring_form.items.all()), "reports": [r for r in reports if r.pk in visible],
        "full": full, "bands": bands, "can_write": scoping.can_write(request.user, scoring_form.org),
        "can_report": can_report})


@login_required
@require_http_methods(["GET", "POST"])
def form_edit(request, pk):
    scoring_form = _form(request, pk, write=True)
    form = ScoringFormForm(request.POST or None, initial={"title": scoring_form.title,
                                                          "items": items_text(scoring_form)})
    then = reverse("appraisal:form_detail", args=[pk])
    done = submit_form(request, form, lambda data: services.form_save(
        actor=request.user, form=scoring_form, title=data["title"], items=data["items"]),
        success="已保存评分表。", then=then)
    return done or _page(request, "appraisal/form.html", {"form": form, "title": f"修改评分表：{scoring_form}",
                                                          "back": then})


@login_required
@require_POST
def form_delete(request, pk):
    scoring_form = _form(request, pk, write=True)
    return _delete(request, lambda: services.form_delete(actor=request.user, form=scoring_form), "已删除评分表。",
                   reverse("appraisal:home"), reverse("appraisal:form_detail", args=[pk]))


@login_required
@require_http_methods(["GET", "POST"])
def report_create(request, pk):
    scoring_form = _form(request, pk)
    orgs = OrgChoice(services.report_orgs(request.user, scoring_form), None)
    if not orgs:
        scoping.deny(request, "appraisal.report", pk, forbidden=True)
    people = services.secretaries(orgs.rows if orgs.rows is not None else orgs.queryset)
    form = ReportForm(request.POST or None, request.FILES or None, orgs=orgs, people=people)

    def save(data):
        org = data["org"]
        person = next(p for p in people if str(p.pk) == data["person"])
        return services.report_save(actor=request.user, form=scoring_form, org=org, person=person,
                                    text=data["text"], upload=data["upload"])

    done = submit_form(request, form, save, success="已提交述职报告。",
                       then=lambda r: reverse("appraisal:report_detail", args=[r.pk]))
    return done or _page(request, "appraisal/report_form.html", {
        "form": form, "title": f"提交述职报告：{scoring_form}", "back": reverse("appraisal:form_detail", args=[pk])})


@login_required
@require_GET
def report_detail(request, pk):
    report = _report(request, pk)
    reports, full, bands = selectors.ranking(report.form)
    mine = next(r for r in reports if r.pk == report.pk)
    show_sheets = scoping.can_read(request.user, report.form.org)
    sheets = list(report.sheets.select_related("scorer").prefetch_related("marks__item")) if show_sheets else []
    return render(request, "appraisal/report_detail.html", {
        "report": report, "result": mine, "full": full, "sheets": sheets, "show_sheets": show_sheets,
        "attachments": list(report.attachments.order_by("id")), "items": list(report.form.items.all()),
        "can_write": scoping.can_write(request.user, report.org) and not mine.n_sheets,
        "can_score": services.can_score(request.user, report)})


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request, pk):
    report = _report(request, pk, write=True)
    people = services.report_people(report)
    form = ReportForm(request.POST or None, request.FILES or None, people=people,
                      initial={"person": report.person_id, "text": report.text})
    then = reverse("appraisal:report_detail", args=[pk])
    done = submit_form(request, form, lambda data: services.report_save(
        actor=request.user, report=report, person=next(p for p in people if str(p.pk) == data["person"]),
        text=data["text"], upload=data["upload"]), success="已保存述职报告。", then=then)
    return done or _page(request, "appraisal/report_form.html", {"form": form, "title": f"修改述职报告：{report}",
                                                                 "back": then})


@login_required
@require_POST
def report_delete(request, pk):
    report = _report(request, pk, write=True)
    return _delete(request, lambda: services.report_delete(actor=request.user, report=report), "已删除述职报告。",
                   reverse("appraisal:form_detail", args=[report.form_id]),
                   reverse("appraisal:report_detail", args=[pk]))


@login_required
@require_GET
def report_file(request, pk):
    attachment = Attachment.objects.filter(pk=pk, report__in=Report.objects.visible_to(request.user)).first()
    if attachment is None:
        scoping.deny(request, "appraisal.attachment", pk)
    return uploads.download_response(attachment.file, attachment.original_name, attachment.content_type)


@login_required
@require_http_methods(["GET", "POST"])
def score(request, pk):
    report = _report(request, pk)
    if not services.can_score(request.user, report):
        scoping.deny(request, "appraisal.sheet", pk, forbidden=True)
    items = list(report.form.items.all())
    mine = report.sheets.filter(scorer=request.user).prefetch_related("marks").first()
    initial = {"comment": mine.comment, **{f"item_{m.item_id}": m.score for m in mine.marks.all()}} if mine else {}
    form = SheetForm(request.POST or None, items=items, initial=initial)
    then = reverse("appraisal:report_detail", args=[pk])
    done = submit_form(request, form, lambda data: services.sheet_save(
        actor=request.user, report=report, marks=form.marks(), comment=data["comment"]),
        success="已保存评分。", then=then)
    return done or _page(request, "appraisal/score.html", {"form": form, "report": report, "back": then})
