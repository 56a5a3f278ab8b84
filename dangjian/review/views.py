from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import audit, scoping
from dangjian.core.forms import add_service_errors, submit_form
from dangjian.orgs.models import WRITE_ROLES

from . import exporting, selectors, services
from .forms import BallotForm, CodesForm, ExemptForm, FollowUpForm, RoundForm, SelfReviewForm, StaffCodeForm
from .models import FollowUp, Grade, Round, Subject

PAGE_SIZE = 50
# Staff codes carry 60 random bits; on top of that, an address that keeps sending wrong codes is paused.
CODE_FAILURES_MAX = 10
CODE_FAILURES_WINDOW = 15 * 60


def _get_round(request, pk, *, write=False):
    return scoping.get_for_user(request, Round.objects.select_related("org"), pk, write=write)


def _get_subject(request, pk, *, write=False):
    subject = (Subject.objects.select_related("round__org", "person")
               .filter(pk=pk, round__in=selectors.rounds_for(request.user)).first())
    if subject is None:
        scoping.deny(request, "review.subject", pk)
    if write and not scoping.can_write(request.user, subject.round.org):
        scoping.deny(request, "review.subject", pk, forbidden=True)
    return subject


def _detail_url(round_):
    return reverse("review:round_detail", args=[round_.pk])


def _error(request, exc):
    messages.error(request, "；".join(exc.messages))


# --- rounds -------------------------------------------------------------------------------------


@login_required
@require_GET
def home(request):
    """Org roles: the rounds of their scope. Everyone with a linked person: their own reviews."""
    has_scope = scoping.has_party_scope(request.user)
    mine = selectors.my_subjects(request.user)
    if not has_scope and not mine and selectors.linked_person(request.user) is None:
        raise PermissionDenied("您没有查看民主评议的权限")
    context = {"mine": mine, "has_scope": has_scope,
               "can_write": bool(scoping.scope_paths(request.user, WRITE_ROLES))}
    if has_scope:
        qs, filters = selectors.round_list(request.user, request.GET)
        query = request.GET.copy()
        query.pop("page", None)
        context.update(page=Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")), filters=filters,
                       statuses=Round.Status.choices, query=query.urlencode())
    return render(request, "review/home.html", context)


def _form_page(request, form, title, round_=None):
    return render(request, "review/round_form.html", {"form": form, "title": title, "round": round_},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def round_create(request):
    orgs = selectors.writable_branches(request.user)
    if not scoping.scope_paths(request.user, WRITE_ROLES):
        raise PermissionDenied("您没有组织民主评议的权限")
    today = timezone.localdate()
    initial = {"year": today.year, "starts_on": today, "ends_on": today}
    if str(request.GET.get("org", "")).isdigit():
        initial["org"] = request.GET["org"]
    form = RoundForm(request.POST or None, orgs=orgs, initial=initial)

    def save(data):
        data = dict(data)
        return services.round_create(actor=request.user, org=data.pop("org"), **data)

    done = submit_form(request, form, save, success="已创建民主评议。核对党员名册后，点“启动评议”确定参评名单。",
                       then=_detail_url)
    return done or _form_page(request, form, "组织民主评议党员")


@login_required
@require_GET
def round_detail(request, pk):
    round_ = _get_round(request, pk)
    can_write = scoping.can_write(request.user, round_.org)
    context = {"round": round_, "can_write": can_write, "part": selectors.participation(round_),
               "rows": selectors.subject_rows(round_) if round_.status != Round.Status.PREPARING else [],
               "roster": list(services.members_on_roster(round_.org)) if round_.status == Round.Status.PREPARING
               else [], "tab": "detail"}
    return render(request, "review/round_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def round_edit(request, pk):
    round_ = _get_round(request, pk, write=True)
    form = RoundForm(request.POST or None, initial={f: getattr(round_, f) for f in ("year", "starts_on", "ends_on",
                                                                                    "note")})
    done = submit_form(request, form, lambda d: services.round_update(
        actor=request.user, round=round_, starts_on=d["starts_on"], ends_on=d["ends_on"], note=d["note"]),
        success="已保存。", then=_detail_url(round_))
    return done or _form_page(request, form, f"修改：{round_}", round_)


@login_required
@require_POST
def round_delete(request, pk):
    round_ = _get_round(request, pk, write=True)
    try:
        services.round_delete(actor=request.user, round=round_)
    except ValidationError as exc:
        _error(request, exc)
        return redirect(_detail_url(round_))
    messages.success(request, "已删除该民主评议。")
    return redirect("review:home")


ADVANCE_DONE = {
    Round.Status.EVALUATING: "评议已启动，参评名单已确定。党员可在手机上填写自我评价并互评。",
    Round.Status.COMMITTEE: "自评互评已截止，进入支委评定，现在可以查看计票结果。",
    Round.Status.CLOSED: "评议已结束。",
}


@login_required
@require_POST
def round_advance(request, pk):
    round_ = _get_round(request, pk, write=True)
    try:
        services.round_advance(actor=request.user, round=round_)
        messages.success(request, ADVANCE_DONE[round_.status])
    except ValidationError as exc:
        _error(request, exc)
    return redirect(_detail_url(round_))


@login_required
@require_POST
def subject_exempt(request, pk):
    subject = _get_subject(request, pk, write=True)
    form = ExemptForm(request.POST)
    form.is_valid()
    exempt = request.POST.get("exempt") == "1"
    try:
        services.subject_exempt(actor=request.user, subject=subject, exempt=exempt,
                                reason=form.cleaned_data.get("reason", ""))
        messages.success(request, f"已将{subject.person.name}标记为不参加评议。" if exempt
                         else f"{subject.person.name}恢复参加评议。")
    except ValidationError as exc:
        _error(request, exc)
    return redirect(_detail_url(subject.round) + "#subjects")


# --- the committee: tallies and grades ------------------------------------------------------------


def _grade_data(post, rows):
    proposed = {r.pk: post.get(f"proposed_{r.pk}", r.proposed_grade) for r in rows if not r.exempt}
    final = {r.pk: post.get(f"final_{r.pk}", r.final_grade) for r in rows if not r.exempt}
    return proposed, final


@login_required
@require_http_methods(["GET", "POST"])
def tally(request, pk):
    round_ = _get_round(request, pk, write=request.method == "POST")
    rows = selectors.subject_rows(round_)
    status = 200
    if request.method == "POST":
        proposed, final = _grade_data(request.POST, rows)
        try:
            changed = services.grades_set(actor=request.user, round=round_, proposed=proposed, final=final)
            messages.success(request, f"已保存评定等次（{changed} 人有变化）。")
            return redirect(reverse("review:tally", args=[round_.pk]))
        except ValidationError as exc:
            _error(request, exc)
            status = 400
            for r in rows:  # show what was typed, not what is stored
                r.proposed_grade, r.final_grade = proposed.get(r.pk, ""), final.get(r.pk, "")
    enabled, limit, reviewed, share = services.excellent_limit(round_)
    comments = selectors.comments(round_) if round_.results_visible else {}
    for r in rows:
        r.remarks = comments.get(r.pk, [])
    can_write = scoping.can_write(request.user, round_.org)
    context = {"round": round_, "rows": rows, "tab": "tally", "grades": Grade.choices, "can_write": can_write,
               "can_grade": can_write and round_.status == Round.Status.COMMITTEE,
               "branch_comments": comments.get(None, []),
               "branch": selectors.branch_satisfaction(round_), "limit": limit, "reviewed": reviewed,
               "rule_on": enabled, "share": share, "part": selectors.participation(round_),
               "excellent": sum(1 for r in rows if not r.exempt and r.final_grade == Grade.EXCELLENT)}
    return render(request, "review/tally.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def follow_up(request, pk):
    subject = _get_subject(request, pk, write=True)
    existing = FollowUp.objects.filter(subject=subject).first()
    initial = {f: getattr(existing, f) for f in ("measure", "due_on", "detail", "closed_on", "outcome")} \
        if existing else {}
    form = FollowUpForm(request.POST or None, initial=initial)
    done = submit_form(request, form, lambda d: services.follow_up_set(actor=request.user, subject=subject, **d),
                       success="已保存处置情况。", then=reverse("review:results", args=[subject.round_id]))
    return done or render(request, "review/follow_up.html", {"form": form, "subject": subject, "existing": existing},
                          status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def follow_up_delete(request, pk):
    subject = _get_subject(request, pk, write=True)
    existing = FollowUp.objects.filter(subject=subject).first()
    if existing is None:
        messages.error(request, "该党员没有处置记录。")
    else:
        try:
            services.follow_up_delete(actor=request.user, follow_up=existing)
            messages.success(request, "已删除处置记录。")
        except ValidationError as exc:
            _error(request, exc)
    return redirect(reverse("review:results", args=[subject.round_id]))


def _results_context(round_):
    rows = [r for r in selectors.subject_rows(round_) if not r.exempt]
    return {"round": round_, "rows": rows, "distribution": selectors.distribution(round_),
            "follow_ups": selectors.follow_ups(round_), "branch": selectors.branch_satisfaction(round_),
            "part": selectors.participation(round_), "today": timezone.localdate()}


@login_required
@require_GET
def results(request, pk):
    round_ = _get_round(request, pk)
    context = _results_context(round_) | {"tab": "results", "can_write": scoping.can_write(request.user, round_.org)}
    return render(request, "review/results.html", context)


@login_required
@require_GET
def results_export(request, pk):
    round_ = _get_round(request, pk)
    content, filename = exporting.results_export(actor=request.user, context=_results_context(round_))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = exporting.content_disposition(filename, "review.xlsx")
    return response


# --- staff codes ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def staff_codes(request, pk):
    """GET: how many codes exist and are used; POST: generate N and show them once, printable."""
    round_ = _get_round(request, pk, write=True)
    form = CodesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.staff_codes_generate(actor=request.user, round=round_, count=form.cleaned_data["count"])
            staff_url = request.build_absolute_uri(reverse("review:staff"))
            return render(request, "review/codes_print.html", {"round": round_, "codes": codes,
                                                                "staff_url": staff_url})
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(request, "review/codes.html", {"round": round_, "form": form, "tab": "codes", "can_write": True,
                                                 "part": selectors.participation(round_)},
                  status=400 if request.method == "POST" else 200)


# --- the member's own page (phone) ------------------------------------------------------------------


def _own(request, pk):
    """The round and the user's own entry in it; 404 (audited) for anyone not on its list."""
    round_ = Round.objects.select_related("org").filter(pk=pk).first()
    subject = services.own_subject(request.user, round_) if round_ else None
    if subject is None:
        scoping.deny(request, "review.round", pk)
    return round_, subject


def _mine_page(request, round_, subject, *, self_form=None, ballot_form=None, status=200):
    voted = round_.voters.filter(person=subject.person, voted=True).exists()
    targets = services.ballot_targets(round_, exclude_person=subject.person)
    self_form = self_form or SelfReviewForm(initial={"text": subject.self_review})
    ballot_form = ballot_form or BallotForm(targets=targets)
    return render(request, "review/mine.html", {"round": round_, "subject": subject, "voted": voted,
                                                "self_form": self_form, "ballot": ballot_form}, status=status)


@login_required
@require_GET
def mine(request, pk):
    round_, subject = _own(request, pk)
    return _mine_page(request, round_, subject)


@login_required
@require_POST
def self_review(request, pk):
    round_, subject = _own(request, pk)
    form = SelfReviewForm(request.POST)
    if form.is_valid():
        try:
            services.self_review_submit(actor=request.user, round=round_, text=form.cleaned_data["text"])
            messages.success(request, "已保存自我评价。本阶段结束前可以修改。")
            return redirect(reverse("review:mine", args=[round_.pk]))
        except ValidationError as exc:
            add_service_errors(form, exc)
    subject.refresh_from_db()
    return _mine_page(request, round_, subject, self_form=form, status=400)


@login_required
@require_POST
def ballot(request, pk):
    round_, subject = _own(request, pk)
    form = BallotForm(request.POST, targets=services.ballot_targets(round_, exclude_person=subject.person))
    if form.is_valid():
        grades, comments = form.ballot()
        try:
            services.peer_ballot_submit(actor=request.user, round=round_, grades=grades, comments=comments)
            messages.success(request, "已提交互评，感谢参与。评议不记名，任何人都看不到您的选择。")
            return redirect(reverse("review:mine", args=[round_.pk]))
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _mine_page(request, round_, subject, ballot_form=form, status=400)


# --- staff evaluation (no login: the one-time code is the credential) ----------------------------------


def _failures_key(request):
    return f"review-staff-code-failures:{audit.client_ip(request) or 'unknown'}"


def _staff_page(request, *, code_form=None, ballot_form=None, round_=None, code="", status=200, done=False):
    return render(request, "review/staff.html", {"code_form": code_form or StaffCodeForm(), "ballot": ballot_form,
                                                 "round": round_, "code": code, "done": done}, status=status)


@require_http_methods(["GET", "POST"])
def staff(request):
    """Step 1: enter the code (POST code) → step 2: the ballot (POST code + grades) → thanks."""
    if request.method == "GET":
        return _staff_page(request)
    key = _failures_key(request)
    code_form = StaffCodeForm(request.POST)
    if (cache.get(key) or 0) >= CODE_FAILURES_MAX:
        code_form.is_valid()
        code_form.add_error(None, "输入错误次数过多，请15分钟后再试。")
        return _staff_page(request, code_form=code_form, status=429)
    if not code_form.is_valid():
        return _staff_page(request, code_form=code_form, status=400)
    code = code_form.cleaned_data["code"]
    try:
        round_ = services.staff_code_round(code)
    except services.CodeError as exc:
        cache.set(key, (cache.get(key) or 0) + 1, CODE_FAILURES_WINDOW)
        add_service_errors(code_form, exc)
        return _staff_page(request, code_form=code_form, status=400)
    targets = services.ballot_targets(round_)
    if request.POST.get("step") != "ballot":
        return _staff_page(request, ballot_form=BallotForm(targets=targets, staff=True), round_=round_, code=code)
    form = BallotForm(request.POST, targets=targets, staff=True)
    if form.is_valid():
        grades, comments = form.ballot()
        try:
            services.staff_ballot_submit(code=code, grades=grades, comments=comments,
                                         branch_grade=form.cleaned_data["branch_grade"],
                                         branch_comment=form.cleaned_data["branch_comment"])
            return _staff_page(request, round_=round_, done=True)
        except ValidationError as exc:
            add_service_errors(form, exc)
    return _staff_page(request, ballot_form=form, round_=round_, code=code, status=400)
