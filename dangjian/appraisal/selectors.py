"""Scoped reads of 述职评议: the forms a user may see, the ranking of a form's reports (fixed number of queries,
ties share a rank), the grade band of an average, and `summary` for the yearly report."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from dangjian.compliance.engine import Rulebook, _ancestor_paths
from dangjian.core import scoping
from dangjian.orgs.models import Organisation

from . import rules
from .models import Report, ScoringForm

GRADES = ("好", "较好", "一般", "差")
TENTH = Decimal("0.1")


def forms_for(user):
    """Forms issued inside the user's scope, or by an ancestor of it (they reach the user's organisations)."""
    paths = scoping.scope_paths(user)
    if not paths:
        return ScoringForm.objects.none()
    ancestors = {a for p in paths for a in _ancestor_paths(p, Organisation.steplen)}
    return ScoringForm.objects.filter(scoping.scope_q(user, "org__path") | Q(org__path__in=ancestors))


def max_total(form):
    return sum((item.max_score for item in form.items.all()), Decimal(0))


@dataclass(frozen=True)
class Bands:
    good: int
    better: int
    fair: int
    basis: str

    def grade(self, average, full):
        if average is None or not full:
            return ""
        share = average * 100 / full
        if share >= self.good:
            return "好"
        if share >= self.better:
            return "较好"
        return "一般" if share >= self.fair else "差"


def bands_at(org, rulebook=None):
    effective = (rulebook or Rulebook([org])).resolve(org, rules.GRADE_BANDS)
    params = effective.params
    return Bands(params["good"], params["better"], params["fair"], effective.basis or effective.rule.source)


def _average(total, sheets):
    return (total / sheets).quantize(TENTH, rounding=ROUND_HALF_UP) if sheets else None


def with_scores(queryset):
    """Reports annotated with the number of scorers and the sum of all their marks (average = sum / scorers)."""
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=9, decimal_places=1))
    return queryset.annotate(n_sheets=Count("sheets", distinct=True),
                             marks_total=Coalesce(Sum("sheets__marks__score"), zero))


def ranking(form):
    """[report] with .average, .rank (equal averages share a rank: 1, 1, 3; unscored last, unranked) and .grade.
    Three queries (reports, items for the full marks, the grade-band settings) whatever the number of reports."""
    reports = list(with_scores(form.reports.select_related("org", "person")).order_by("org__path", "id"))
    full = max_total(form)
    bands = bands_at(form.org)
    for report in reports:
        report.average = _average(Decimal(report.marks_total), report.n_sheets)
        report.grade = bands.grade(report.average, full)
    reports.sort(key=lambda r: (r.average is None, -(r.average or 0), r.org.path))
    previous = None
    for i, report in enumerate(reports):
        if report.average is None:
            report.rank = None
        else:
            report.rank = previous.rank if previous is not None and previous.average == report.average else i + 1
            previous = report
    return reports, full, bands


def summary(org, start, end):
    """What the yearly report counts: 述职评议 sessions (forms) held inside `org`'s subtree for the years of
    start..end, reports submitted by organisations of the subtree within start..end, how many were scored,
    and the grades. Four queries."""
    forms = ScoringForm.objects.filter(org__path__startswith=org.path, year__gte=start.year, year__lte=end.year)
    reports = list(with_scores(Report.objects.filter(org__path__startswith=org.path, submitted_on__gte=start,
                                                     submitted_on__lte=end)).select_related("form__org")
                   .order_by("id"))
    fulls = dict(forms.model.objects.filter(pk__in={r.form_id for r in reports})
                 .annotate(full=Sum("items__max_score")).values_list("id", "full"))
    rulebook = Rulebook([r.form.org for r in reports])
    grades = dict.fromkeys(GRADES, 0)
    scored = 0
    for report in reports:
        average = _average(Decimal(report.marks_total), report.n_sheets)
        if average is not None:
            scored += 1
            grade = bands_at(report.form.org, rulebook).grade(average, fulls.get(report.form_id))
            if grade:
                grades[grade] += 1
    return {"sessions": forms.count(), "reports": len(reports), "scored": scored, "grades": grades}
