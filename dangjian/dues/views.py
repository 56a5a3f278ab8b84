"""党费 screens: the month at a glance, a member's account, arrears, the yearly publication, and the forms
that call the services. Thin views: reads in selectors, writes in services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scoping
from dangjian.core.forms import add_service_errors
from dangjian.members.exporting import content_disposition
from dangjian.members.models import Person

from . import billing, exporting, rates, selectors, services
from .forms import AdjustForm, BaseForm, PayForm, VoluntaryForm
from .models import FIXED_CATEGORIES, DuesBill

PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_scope(request, what="dues.duesbill"):
    if not scoping.has_party_scope(request.user):
        scoping.deny(request, what, forbidden=True)


def _month(request, default):
    try:
        return billing.parse_month(request.GET.get("month") or request.POST.get("month") or "")
    except ValidationError:
        return default


def _posted_org(request, what):
    """The organisation named in the POST, only if the user may write there (404 outside the scope, 403 inside
    without the right; both audited). Never falls back to another organisation."""
    _require_scope(request, what)
    value = request.POST.get("org", "")
    org = selectors.scope_orgs(request.user).filter(pk=value).first() if value.isdigit() else None
    if org is None:
        scoping.deny(request, what, value)
    if not scoping.can_write(request.user, org):
        scoping.deny(request, what, value, forbidden=True)
    return org


def _picker(choice):
    """The 党组织（含下级） filter of the dues screens (dues/_picker.html)."""
    return choice.picker(attrs={"id": "f-org"}, exclude_groups=True)


def _person(request, pk, *, write=False):
    return scoping.get_for_user(request, Person.objects.select_related("org", "user"), pk, write=write)


@login_required
@require_GET
def index(request):
    """The month at a glance (org roles); members go to their own account."""
    user = request.user
    if not scoping.has_party_scope(user):
        person = Person.objects.filter(user_id=user.pk).only("id").first()
        if person is not None:
            return redirect("dues:person", person.pk)
        raise PermissionDenied("您没有查看党费的权限")
    today = timezone.localdate()
    month = _month(request, billing.month_start(today))
    choice = selectors.choose_org(selectors.scope_orgs(user), request.GET.get("org"))
    org = choice.org
    context = {"org_picker": _picker(choice), "org": org, "month": month, "month_label": billing.month_label(month),
               "previous": billing.month_start(month - billing.relativedelta(months=1)),
               "following": billing.next_month(month), "current": billing.month_start(today),
               "can_import": selectors.can_write_any(user)}
    if org is not None:
        overview = selectors.month_overview(org, month)
        page = Paginator(overview.pop("rows"), PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(overview, page=page, can_write=scoping.can_write(user, org),
                       paid_on=min(today, billing.next_month(month) - billing.relativedelta(days=1)))
    return render(request, "dues/month.html", context)


@login_required
@require_POST
def generate(request):
    org = _posted_org(request, "dues.duesbill")
    try:
        month = billing.parse_month(request.POST.get("month"))
        result = services.bills_generate(actor=request.user, month=month, org=org)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect(reverse("dues:home") + f"?org={org.pk}")
    messages.success(request, result.message())
    return redirect(reverse("dues:home") + f"?org={org.pk}&month={month:%Y-%m}")


@login_required
@require_POST
def pay_bulk(request):
    org = _posted_org(request, "dues.duespayment")
    back = reverse("dues:home") + f"?org={org.pk}"
    try:
        month = billing.parse_month(request.POST.get("month"))
        back += f"&month={month:%Y-%m}"
        from datetime import date

        try:
            paid_on = date.fromisoformat(request.POST.get("paid_on", ""))
        except ValueError:
            raise ValidationError("请填写有效的缴纳日期。") from None
        payments = services.payments_record_bulk(actor=request.user, person_ids=request.POST.getlist("person"),
                                                 month=month, paid_on=paid_on)
    except ValidationError as exc:
        messages.error(request, "未做任何登记：" + "；".join(exc.messages))
        return redirect(back)
    messages.success(request, f"已登记 {len(payments)} 名党员{billing.month_label(month)}的党费。")
    return redirect(back)


@login_required
@require_GET
def person(request, pk):
    """A member's dues account: what is owed and why (base, tier, rate, source)."""
    person = _person(request, pk)
    account = selectors.person_account(person, timezone.localdate())
    return render(request, "dues/person.html", {
        "person": person, **account, "can_write": scoping.can_write(request.user, person.org),
        "schedule": rates.schedule_rows(), "own": person.user_id == request.user.pk})


def _form_page(request, form, title, person, *, hint="", template="dues/form.html", **extra):
    return render(request, template, {"form": form, "title": title, "person": person, "hint": hint, **extra},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def base_set(request, pk):
    person = _person(request, pk, write=True)
    current = person.dues_bases.order_by("-effective_month").first()
    initial = {"effective_month": billing.month_start(timezone.localdate())}
    if current is not None:
        initial.update(category=current.category, base=current.base)
    form = BaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.base_set(actor=request.user, person=person, category=data["category"], base=data["base"],
                              effective_month=data["effective_month"], note=data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存党费基数。")
            return redirect("dues:person", person.pk)
    return _form_page(request, form, f"党费类别与基数：{person.name}", person,
                      hint="基数变更后，该月起尚未缴纳的账单按本组织的核定口径重新计算。",
                      fixed=[c.value for c in FIXED_CATEGORIES])


@login_required
@require_http_methods(["GET", "POST"])
def pay(request, pk):
    person = _person(request, pk, write=True)
    bills = list(DuesBill.objects.unpaid().filter(person=person).order_by("month"))
    form = PayForm(request.POST or None, bills=bills, initial={"paid_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.payment_record(actor=request.user, person=person, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已登记{person.name}交纳党费 {payment.amount} 元（{payment.months}个月）。")
            return redirect("dues:person", person.pk)
    return _form_page(request, form, f"登记缴纳党费：{person.name}", person, empty=not bills,
                      hint="可一次缴纳多个月；补交一般不超过6个月，超过须填写批准机关、日期和文号。")


@login_required
@require_http_methods(["GET", "POST"])
def voluntary(request, pk):
    person = _person(request, pk, write=True)
    form = VoluntaryForm(request.POST or None, initial={"paid_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.voluntary_record(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已登记自愿多交党费 {payment.amount} 元"
                                      f"{'（全额上缴中央）' if payment.remit_to_centre else ''}。")
            return redirect("dues:person", person.pk)
    return _form_page(request, form, f"自愿多交党费：{person.name}", person,
                      hint="自愿多交的党费单独登记，不计入按月应缴金额。")


@login_required
@require_http_methods(["GET", "POST"])
def adjust(request, pk):
    bill = scoping.get_for_user(request, DuesBill.objects.select_related("person__org"), pk)
    if not scoping.can_write(request.user, bill.person.org):
        scoping.deny(request, "dues.duesbill", pk, forbidden=True)
    form = AdjustForm(request.POST or None, initial={"kind": "reduce"})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.bill_adjust(actor=request.user, bill=bill, waive=data.pop("kind") == "waive", **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已记录减免。")
            return redirect("dues:person", bill.person_id)
    return _form_page(request, form, f"减交或免交：{bill.person.name} {billing.month_label(bill.month)}",
                      bill.person, hint=f"标准金额 {bill.standard_amount} 元。减免须经支部研究、上一级党委批准"
                                        f"（费规 第七条），请如实填写批准机关、日期和文号。")


@login_required
@require_GET
def arrears(request):
    _require_scope(request)
    choice = selectors.choose_org(selectors.scope_orgs(request.user), request.GET.get("org"))
    org = choice.org
    today = timezone.localdate()
    rows = selectors.arrears(org, today) if org is not None else []
    return render(request, "dues/arrears.html", {"org_picker": _picker(choice), "org": org, "rows": rows, "today": today,
                                                 "can_import": selectors.can_write_any(request.user)})


def _publication(request):
    _require_scope(request)
    choice = selectors.choose_org(selectors.scope_orgs(request.user), request.GET.get("org"))
    org = choice.org
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    if not 1949 <= year <= today.year + 1:
        year = today.year
    rows, totals = selectors.publication(org, year) if org is not None else ([], {})
    return {"org_picker": _picker(choice), "org": org, "year": year, "rows": rows, "totals": totals,
            "years": list(range(today.year, today.year - 6, -1)), "today": today,
            "can_import": selectors.can_write_any(request.user)}


@login_required
@require_GET
def publication(request):
    return render(request, "dues/publication.html", _publication(request))


@login_required
@require_GET
def publication_xlsx(request):
    context = _publication(request)
    content = exporting.publication_export(actor=request.user, context=context)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(f"党费收缴公示_{context['year']}.xlsx",
                                                          "dues-publication.xlsx")
    return response
