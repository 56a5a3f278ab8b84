"""The security administrator's pages: users, their roles, passwords and login locks.

Only the security administrator (三员分立) reaches these pages; everyone else gets 403
(recorded in the audit trail). The security administrator holds no organisation role,
so the user pages show people only as far as linking an account needs (name,
organisation, status, masked ID number).
"""

from functools import wraps

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import audit
from dangjian.core.forms import add_service_errors, submit_form
from dangjian.members.models import Person
from dangjian.orgs.models import RoleAssignment

from . import services
from .admin_forms import (AdminRoleForm, DisplayNameForm, GrantRoleForm, LinkPersonForm, PersonSearchForm,
                          UnlockIpForm, UserCreateForm, UserFilterForm, linkable_people)
from .models import AdminRole, User

PERSON_RESULTS_LIMIT = 20


# --- access ------------------------------------------------------------------------

def security_admin_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_security_admin:
            audit.record(actor=request.user, event=audit.Event.DENIED, object_type="accounts.user",
                         object_id=str(kwargs.get("pk", "")), outcome="denied", changes={"path": request.path})
            raise PermissionDenied("只有安全管理员可以管理用户和角色")
        return view(request, *args, **kwargs)

    return wrapper


def _detail_url(user):
    return reverse("accounts:user_detail", kwargs={"pk": user.pk})


# --- reads ---------------------------------------------------------------------------

def _cool_off_threshold():
    return timezone.now() - settings.AXES_COOLOFF_TIME


def _locked_usernames(usernames):
    """Usernames among `usernames` locked out by django-axes right now (one query)."""
    if not usernames:
        return set()
    return set(
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=_cool_off_threshold())
        .values("username").annotate(n=Sum("failures_since_start"))
        .filter(n__gte=settings.AXES_FAILURE_LIMIT).values_list("username", flat=True)
    )


def _locked_ips(limit=50):
    return list(
        AccessAttempt.objects.filter(attempt_time__gte=_cool_off_threshold())
        .values("ip_address").annotate(n=Sum("failures_since_start"))
        .filter(n__gte=settings.AXES_FAILURE_LIMIT).order_by("ip_address").values_list("ip_address", "n")[:limit]
    )


def _failures_for(username):
    return AccessAttempt.objects.filter(username=username, attempt_time__gte=_cool_off_threshold()).aggregate(
        n=Sum("failures_since_start"))["n"] or 0


def _roles_prefetch():
    return Prefetch("role_assignments",
                    queryset=RoleAssignment.objects.select_related("org").order_by("org__path", "role"))


def _filtered_users(data):
    users = User.objects.order_by("username")
    q = data.get("q")
    if q:
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    role = data.get("role")
    if role in AdminRole.values and role:
        users = users.filter(admin_role=role)
    elif role == "none":
        users = users.filter(admin_role="").exclude(Exists(RoleAssignment.objects.filter(user=OuterRef("pk"))))
    elif role:
        users = users.filter(Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), role=role)))
    if data.get("active") == "1":
        users = users.filter(is_active=True)
    elif data.get("active") == "0":
        users = users.filter(is_active=False)
    return users


def _person_results(request):
    """People without an account whose name matches ?person_q= (for linking)."""
    form = PersonSearchForm(request.GET)
    q = form.data.get("person_q", "").strip()[:50]
    if not q:
        return q, []
    people = list(linkable_people().filter(name__icontains=q).select_related("org")
                  .order_by("name", "id")[:PERSON_RESULTS_LIMIT])
    return q, people


def _querystring(request, drop=("page",)):
    params = request.GET.copy()
    for key in drop:
        params.pop(key, None)
    return params.urlencode()


@security_admin_required
@require_GET
def user_list(request):
    form = UserFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    users = _filtered_users(data).select_related("person__org").prefetch_related(_roles_prefetch())
    page = Paginator(users, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    locked = _locked_usernames([u.username for u in rows])
    for user in rows:
        user.is_locked = user.username in locked
    return render(request, "accounts/users.html", {
        "form": form, "page": page, "rows": rows, "querystring": _querystring(request),
        "locked_ips": _locked_ips(), "unlock_ip_form": UnlockIpForm(), "failure_limit": settings.AXES_FAILURE_LIMIT,
    })


# --- create ----------------------------------------------------------------------------

@security_admin_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    person_q, people = _person_results(request)
    if request.htmx and request.method == "GET" and request.htmx.target == "person-results":
        return render(request, "accounts/user_person_results.html",
                      {"people": people, "person_q": person_q, "selected": None, "allow_none": True})
    if request.method == "POST":
        form = UserCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user, password = services.user_create(
                    actor=request.user, username=data["username"], display_name=data["display_name"],
                    admin_role=data["admin_role"], org=data["org"], role=data["role"], person=data["person"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return render(request, "accounts/user_password.html",
                              {"target": user, "password": password, "created": True})
        status = 400
    else:
        # GET, possibly the no-JavaScript person search: keep what was typed.
        initial = {k: v for k, v in request.GET.items() if k in UserCreateForm.base_fields and k != "person"}
        form = UserCreateForm(initial=initial)
        status = 200
    selected = form.cleaned_data.get("person") if form.is_bound and hasattr(form, "cleaned_data") else None
    return render(request, "accounts/user_create.html",
                  {"form": form, "people": people, "person_q": person_q, "selected": selected}, status=status)


# --- detail and actions -------------------------------------------------------------

def _get_user(pk):
    return get_object_or_404(User.objects.select_related("person__org"), pk=pk)


def _detail(request, target, *, status=200, **forms):
    person_q, people = _person_results(request) if request.method == "GET" else ("", [])
    roles = list(RoleAssignment.objects.filter(user=target).select_related("org", "granted_by")
                 .order_by("org__path", "role"))
    person = Person.objects.filter(user=target).select_related("org").first()
    context = {
        "target": target,
        "roles": roles,
        "person": person,
        "is_self": target.pk == request.user.pk,
        "failures": _failures_for(target.username),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "grant_form": forms.get("grant_form") or GrantRoleForm(),
        "admin_role_form": forms.get("admin_role_form") or AdminRoleForm(initial={"admin_role": target.admin_role}),
        "name_form": forms.get("name_form") or DisplayNameForm(initial={"display_name": target.display_name}),
        "action_errors": forms.get("action_errors") or [],
        "people": people,
        "person_q": person_q,
    }
    context["is_locked"] = context["failures"] >= settings.AXES_FAILURE_LIMIT
    return render(request, "accounts/user_detail.html", context, status=status)


@security_admin_required
@require_GET
def user_detail(request, pk):
    target = _get_user(pk)
    if request.htmx and request.htmx.target == "person-results":
        person_q, people = _person_results(request)
        return render(request, "accounts/user_person_results.html",
                      {"people": people, "person_q": person_q, "target": target, "link_form": True})
    return _detail(request, target)


def _run(request, target, action, success_message):
    """Run a service action; on a ValidationError re-show the page with the error and change nothing."""
    try:
        action()
    except ValidationError as exc:
        return _detail(request, target, status=400, action_errors=exc.messages)
    messages.success(request, success_message)
    return redirect("accounts:user_detail", pk=target.pk)


@security_admin_required
@require_POST
def user_role_grant(request, pk):
    target = _get_user(pk)
    form = GrantRoleForm(request.POST)
    done = submit_form(request, form, lambda d: services.user_role_grant(
        actor=request.user, user=target, org=d["org"], role=d["role"]),
        success="角色已授予，即时生效。", then=_detail_url(target))
    return done or _detail(request, target, status=400, grant_form=form)


@security_admin_required
@require_POST
def user_role_revoke(request, pk, assignment_pk):
    target = _get_user(pk)
    return _run(request, target,
                lambda: services.user_role_revoke(actor=request.user, user=target, assignment_id=assignment_pk),
                "角色已撤销，即时生效。")


@security_admin_required
@require_POST
def user_admin_role(request, pk):
    target = _get_user(pk)
    form = AdminRoleForm(request.POST)
    done = submit_form(request, form, lambda d: services.user_set_admin_role(
        actor=request.user, user=target, admin_role=d["admin_role"]),
        success="管理员角色已更新。", then=_detail_url(target))
    return done or _detail(request, target, status=400, admin_role_form=form)


@security_admin_required
@require_POST
def user_edit(request, pk):
    target = _get_user(pk)
    form = DisplayNameForm(request.POST)
    done = submit_form(request, form, lambda d: services.user_update(
        actor=request.user, user=target, display_name=d["display_name"]),
        success="姓名已保存。", then=_detail_url(target))
    return done or _detail(request, target, status=400, name_form=form)


@security_admin_required
@require_POST
def user_set_active(request, pk):
    target = _get_user(pk)
    active = request.POST.get("active")
    if active not in ("0", "1"):
        return _detail(request, target, status=400, action_errors=["请求无效。"])
    return _run(request, target,
                lambda: services.user_set_active(actor=request.user, user=target, active=active == "1"),
                "账户已启用。" if active == "1" else "账户已停用，该用户已无法登录。")


@security_admin_required
@require_POST
def user_password_reset(request, pk):
    target = _get_user(pk)
    try:
        user, password = services.user_password_reset(actor=request.user, user=target)
    except ValidationError as exc:
        return _detail(request, target, status=400, action_errors=exc.messages)
    return render(request, "accounts/user_password.html", {"target": user, "password": password, "created": False})


@security_admin_required
@require_POST
def user_unlock(request, pk):
    target = _get_user(pk)
    return _run(request, target, lambda: services.user_unlock(actor=request.user, user=target),
                "已解除该账户的登录锁定。")


@security_admin_required
@require_POST
def user_link_person(request, pk):
    target = _get_user(pk)
    form = LinkPersonForm(request.POST)
    if not form.is_valid():
        return _detail(request, target, status=400,
                       action_errors=[m for errors in form.errors.values() for m in errors])
    return _run(request, target,
                lambda: services.user_link_person(actor=request.user, user=target, person=form.cleaned_data["person"]),
                "已关联人员档案。")


@security_admin_required
@require_POST
def user_unlink_person(request, pk):
    target = _get_user(pk)
    return _run(request, target, lambda: services.user_unlink_person(actor=request.user, user=target),
                "已解除人员档案关联。")


@security_admin_required
@require_POST
def unlock_ip(request):
    form = UnlockIpForm(request.POST)
    if form.is_valid():
        try:
            services.login_lock_reset_ip(actor=request.user, ip=form.cleaned_data["ip"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已解除IP {form.cleaned_data['ip'].strip()} 的登录锁定。")
    else:
        messages.error(request, "请输入有效的IP地址。")
    return redirect("accounts:users")
