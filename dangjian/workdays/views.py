"""The holiday calendar: a year view for everyone logged in; import and delete for the system administrator."""

import calendar as pycalendar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.core import scoping
from dangjian.core.forms import add_service_errors

from . import services
from .calendar import Calendar, year_bounds
from .forms import EXAMPLE, ImportForm
from .models import Holiday

MONTHS = pycalendar.Calendar(firstweekday=0)


def _require_system_admin(request, object_id=""):
    if not request.user.is_system_admin:
        scoping.deny(request, Holiday._meta.label_lower, object_id, forbidden=True)


def _year(request):
    value = request.GET.get("year", "")
    if value.isdigit() and 2000 <= int(value) <= 2100:
        return int(value)
    return timezone.localdate().year


def _months(year, cal, names):
    out = []
    for month in range(1, 13):
        weeks, working = [], 0
        for week in MONTHS.monthdatescalendar(year, month):
            cells = []
            for d in week:
                inside = d.month == month
                works = cal.is_working_day(d)
                working += inside and works
                kind = cal.exceptions.get(d) or ("" if d.weekday() < 5 else "weekend")
                cells.append({"day": d, "inside": inside, "kind": kind, "name": names.get(d, "")})
            weeks.append(cells)
        out.append({"month": month, "weeks": weeks, "working": working})
    return out


@login_required
@require_http_methods(["GET"])
def home(request):
    year = _year(request)
    start, end = year_bounds(year)
    entries = list(Holiday.objects.filter(date__range=(start, end)).order_by("date"))
    cal = Calendar(start, end, {h.date: h.kind for h in entries})
    months = _months(year, cal, {h.date: h.name for h in entries})
    return render(request, "workdays/home.html", {
        "year": year, "months": months, "entries": entries, "today": timezone.localdate(),
        "working_total": sum(m["working"] for m in months), "weekdays": "一二三四五六日",
        "can_edit": request.user.is_system_admin, "Kind": Holiday.Kind,
    })


@login_required
@require_http_methods(["GET", "POST"])
def holiday_import(request):
    _require_system_admin(request)
    form = ImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created, updated, year = services.holiday_import(actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已导入节假日安排：新增{created}条，更新{updated}条。")
            return redirect(f"{reverse('workdays:home')}?year={year}")
    return render(request, "workdays/import.html", {"form": form, "example": EXAMPLE},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def holiday_delete(request, pk):
    _require_system_admin(request, pk)
    holiday = Holiday.objects.filter(pk=pk).first()
    if holiday is None:
        scoping.deny(request, Holiday._meta.label_lower, pk)
    services.holiday_delete(actor=request.user, holiday=holiday)
    messages.success(request, f"已删除 {holiday.date:%Y-%m-%d} 的安排。")
    return redirect(f"{reverse('workdays:home')}?year={holiday.date.year}")
