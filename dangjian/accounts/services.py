"""Writes to accounts: users, their roles, passwords and login locks.

三员分立: an account holds at most one administrator role (one column), and an
administrator account holds no organisation role and no personnel record, so the
security administrator (users and roles) and the audit administrator (the audit
trail) never see Party data. Every write records its audit row in the same
transaction.
"""

import ipaddress
import secrets

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, scoping

from .models import AdminRole, User

# Generated passwords avoid look-alike characters (0/O, 1/l/I) so they can be read out over the phone.
_LOWER = "abcdefghijkmnopqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SYMBOLS = "!@#$%^&*-_=+?"
GENERATED_PASSWORD_LENGTH = 14
CLI_ACTOR = "(命令行)"


# --- helpers -----------------------------------------------------------------------

def generate_password(user=None):
    """A random password with all four character classes that passes the configured validators."""
    alphabet = _LOWER + _UPPER + _DIGITS + _SYMBOLS
    rng = secrets.SystemRandom()
    while True:
        chars = [secrets.choice(_LOWER), secrets.choice(_UPPER), secrets.choice(_DIGITS), secrets.choice(_SYMBOLS)]
        chars += [secrets.choice(alphabet) for _ in range(GENERATED_PASSWORD_LENGTH - len(chars))]
        rng.shuffle(chars)
        password = "".join(chars)
        try:
            password_validation.validate_password(password, user)
        except ValidationError:  # pragma: no cover - astronomically unlikely
            continue
        return password


def _require_security_admin(actor):
    """Services called from the web need a security administrator; actor=None is the command line."""
    if actor is not None and not getattr(actor, "is_security_admin", False):
        raise ValidationError("只有安全管理员可以管理用户和角色。")


def _admin_label(value):
    return AdminRole(value).label if value else "无"


def _user_repr(user):
    return f"{user.username}（{user.display_name}）" if user.display_name else user.username


def _user_snapshot(user):
    return {
        "username": user.username,
        "display_name": user.display_name,
        "admin_role": _admin_label(user.admin_role),
        "is_active": user.is_active,
        "must_change_password": user.must_change_password,
    }


def _clean_username(username):
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": "请填写用户名。"})
    if len(username) > 150:
        raise ValidationError({"username": "用户名不能超过150个字符。"})
    try:
        User.username_validator(username)
    except ValidationError:
        raise ValidationError({"username": "用户名只能包含字母、数字和 @ . + - _ 字符。"}) from None
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "该用户名已存在。"})
    return username


def _clean_admin_role(admin_role):
    admin_role = admin_role or ""
    if admin_role not in AdminRole.values:
        raise ValidationError({"admin_role": "管理员角色无效。"})
    return admin_role


def _lock_user(user):
    return User.objects.select_for_update().get(pk=user.pk)


def _person_label(person):
    return f"{person.name}（{person.org.name}）"


def _check_person_linkable(user, person):
    from dangjian.members.models import ENDED_STATUSES, Person

    if user.admin_role:
        raise ValidationError({"person": "管理员账户不能关联人员档案（三员分立）。"})
    if Person.objects.filter(user_id=user.pk).exists():
        raise ValidationError({"person": "该账户已关联人员档案，请先解除关联。"})
    person = Person.objects.select_for_update().select_related("org").get(pk=person.pk)
    if person.user_id is not None:
        raise ValidationError({"person": "该人员已关联其他账户。"})
    if person.status in ENDED_STATUSES:
        raise ValidationError({"person": "该人员已不在册，不能关联账户。"})
    return person


def _grant(*, actor, user, org, role):
    from dangjian.orgs.models import Organisation, Role, RoleAssignment

    if user.admin_role:
        raise ValidationError("管理员账户不能持有组织角色（三员分立），请另建普通账户。")
    if role not in Role.values:
        raise ValidationError({"role": "请选择有效的角色。"})
    if org is None:
        raise ValidationError({"org": "请选择组织。"})
    org = Organisation.objects.get(pk=org.pk)
    if org.is_dissolved:
        raise ValidationError({"org": "该组织已撤销，不能在其上授予角色。"})
    if role == Role.MEMBER:
        from dangjian.members.models import Person

        person = Person.objects.select_related("org").filter(user_id=user.pk).first()
        if person is None:
            raise ValidationError({"role": "授予“党员”角色前，请先为该账户关联人员档案。"})
        if not person.org.path.startswith(org.path):
            raise ValidationError({"org": "“党员”角色的组织须为该人员所在组织或其上级组织。"})
    if RoleAssignment.objects.filter(user=user, org=org, role=role).exists():
        raise ValidationError("该用户在此组织已有该角色。")
    assignment = RoleAssignment.objects.create(user=user, org=org, role=role,
                                               granted_by=actor)
    audit.record(actor=actor, event=audit.Event.ROLE_GRANT, obj=user, object_repr=_user_repr(user),
                 username=CLI_ACTOR if actor is None else None,
                 changes={"before": {}, "after": {"org": org.name, "org_id": org.pk, "role": Role(role).label}})
    scoping.forget(user)
    return assignment


# --- users ---------------------------------------------------------------------------

@transaction.atomic
def user_create(*, actor, username, display_name="", admin_role="", org=None, role="", person=None):
    """Create an account with a generated initial password (returned once) that must be changed at first login.

    Returns (user, password).
    """
    _require_security_admin(actor)
    username = _clean_username(username)
    display_name = (display_name or "").strip()
    if len(display_name) > 50:
        raise ValidationError({"display_name": "姓名不能超过50个字符。"})
    admin_role = _clean_admin_role(admin_role)
    if bool(org) != bool(role):
        raise ValidationError("授予初始角色时，组织和角色须同时选择。")
    if admin_role and role:
        raise ValidationError("管理员账户不能同时持有组织角色（三员分立）。")
    if admin_role and person is not None:
        raise ValidationError({"person": "管理员账户不能关联人员档案（三员分立）。"})
    user = User(username=username, display_name=display_name, admin_role=admin_role, must_change_password=True)
    password = generate_password(user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    after = _user_snapshot(user)
    if person is not None:
        person = _check_person_linkable(user, person)
        person.user = user
        person.save(update_fields=["user"])
        after["person"] = _person_label(person)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=user, object_repr=_user_repr(user),
                 username=CLI_ACTOR if actor is None else None, changes={"before": {}, "after": after})
    if role:
        _grant(actor=actor, user=user, org=org, role=role)
    return user, password


@transaction.atomic
def admin_create(*, actor=None, username, admin_role, password, display_name=""):
    """An administrator account with a password its holder chose (the `createadmin` command)."""
    _require_security_admin(actor)
    username = _clean_username(username)
    admin_role = _clean_admin_role(admin_role)
    if not admin_role:
        raise ValidationError({"admin_role": "请选择管理员角色。"})
    user = User(username=username, display_name=(display_name or "").strip(), admin_role=admin_role)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(actor=actor, event=audit.Event.CREATE, obj=user, object_repr=_user_repr(user),
                 username=CLI_ACTOR if actor is None else None,
                 changes={"before": {}, "after": _user_snapshot(user)})
    return user


@transaction.atomic
def user_update(*, actor, user, display_name):
    _require_security_admin(actor)
    user = _lock_user(user)
    display_name = (display_name or "").strip()
    if len(display_name) > 50:
        raise ValidationError({"display_name": "姓名不能超过50个字符。"})
    if display_name == user.display_name:
        return user
    before = _user_snapshot(user)
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=user, object_repr=_user_repr(user),
                 changes=audit.diff(before, _user_snapshot(user)))
    return user


@transaction.atomic
def user_set_admin_role(*, actor, user, admin_role):
    from dangjian.members.models import Person
    from dangjian.orgs.models import RoleAssignment

    _require_security_admin(actor)
    admin_role = _clean_admin_role(admin_role)
    if actor is not None and actor.pk == user.pk:
        raise ValidationError("不能修改自己的管理员角色。")
    scoping.forget(user)
    user = _lock_user(user)
    if admin_role == user.admin_role:
        return user
    if admin_role:
        if RoleAssignment.objects.filter(user=user).exists():
            raise ValidationError("该账户持有组织角色，不能设为管理员（三员分立）。请先撤销其全部组织角色。")
        if Person.objects.filter(user_id=user.pk).exists():
            raise ValidationError("该账户已关联人员档案，不能设为管理员（三员分立）。请先解除关联。")
    before = _user_snapshot(user)
    user.admin_role = admin_role
    user.save(update_fields=["admin_role"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=user, object_repr=_user_repr(user),
                 changes=audit.diff(before, _user_snapshot(user)))
    scoping.forget(user)
    return user


@transaction.atomic
def user_set_active(*, actor, user, active):
    """Deactivate (the account can no longer log in; open sessions end at their next request) or reactivate."""
    _require_security_admin(actor)
    if actor is not None and actor.pk == user.pk and not active:
        raise ValidationError("不能停用自己的账户。")
    user = _lock_user(user)
    if user.is_active == bool(active):
        return user
    before = _user_snapshot(user)
    user.is_active = bool(active)
    user.save(update_fields=["is_active"])
    changes = audit.diff(before, _user_snapshot(user))
    changes["action"] = "启用账户" if active else "停用账户"
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=user, object_repr=_user_repr(user), changes=changes)
    return user


@transaction.atomic
def user_password_reset(*, actor, user):
    """A new generated password (returned once); the holder must change it at the next login.
    Changing the password also ends the user's open sessions (Django's session auth hash)."""
    _require_security_admin(actor)
    if actor is not None and actor.pk == user.pk:
        raise ValidationError("请通过“修改密码”修改您自己的密码。")
    user = _lock_user(user)
    password = generate_password(user)
    user.set_password(password)
    user.must_change_password = True
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    audit.record(actor=actor, event=audit.Event.PASSWORD, obj=user, object_repr=_user_repr(user),
                 changes={"action": "重置密码", "before": {}, "after": {"must_change_password": True}})
    return user, password


@transaction.atomic
def user_change_password(*, actor, user, new_password):
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    audit.record(actor=actor, event=audit.Event.PASSWORD, obj=user, object_repr=user.username)
    return user


@transaction.atomic
def user_link_person(*, actor, user, person):
    _require_security_admin(actor)
    scoping.forget(user)
    user = _lock_user(user)
    person = _check_person_linkable(user, person)
    person.user = user
    person.save(update_fields=["user"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=user, object_repr=_user_repr(user),
                 changes={"action": "关联人员档案", "before": {"person": None},
                          "after": {"person": _person_label(person)}})
    scoping.forget(user)
    return person


@transaction.atomic
def user_unlink_person(*, actor, user):
    from dangjian.members.models import Person
    from dangjian.orgs.models import Role, RoleAssignment

    _require_security_admin(actor)
    scoping.forget(user)
    user = _lock_user(user)
    person = Person.objects.select_for_update().select_related("org").filter(user=user).first()
    if person is None:
        raise ValidationError("该账户未关联人员档案。")
    if RoleAssignment.objects.filter(user=user, role=Role.MEMBER).exists():
        raise ValidationError("请先撤销该账户的“党员”角色，再解除关联。")
    person.user = None
    person.save(update_fields=["user"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=user, object_repr=_user_repr(user),
                 changes={"action": "解除人员档案关联", "before": {"person": _person_label(person)},
                          "after": {"person": None}})
    scoping.forget(user)
    return user


# --- roles ---------------------------------------------------------------------------

@transaction.atomic
def user_role_grant(*, actor, user, org, role):
    _require_security_admin(actor)
    assignment = _grant(actor=actor, user=_lock_user(user), org=org, role=role)
    scoping.forget(user)  # the caller's object too: access changes at once
    return assignment


@transaction.atomic
def user_role_revoke(*, actor, user, assignment_id):
    from dangjian.orgs.models import Role, RoleAssignment

    _require_security_admin(actor)
    scoping.forget(user)
    user = _lock_user(user)
    assignment = (RoleAssignment.objects.select_for_update().select_related("org")
                  .filter(pk=assignment_id, user=user).first())
    if assignment is None:
        raise ValidationError("该角色不存在或已撤销。")
    before = {"org": assignment.org.name, "org_id": assignment.org_id, "role": Role(assignment.role).label}
    assignment.delete()
    audit.record(actor=actor, event=audit.Event.ROLE_REVOKE, obj=user, object_repr=_user_repr(user),
                 changes={"before": before, "after": {}})
    scoping.forget(user)
    return user


# --- login locks (django-axes) -----------------------------------------------------

@transaction.atomic
def user_unlock(*, actor, user):
    """Clear the login failures recorded for this username (from every address)."""
    from axes.utils import reset

    _require_security_admin(actor)
    cleared = reset(username=user.username)
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=user, object_repr=_user_repr(user),
                 changes={"action": "解除登录锁定", "cleared_attempts": cleared})
    return cleared


@transaction.atomic
def login_lock_reset_ip(*, actor, ip):
    """Clear the login failures recorded from one address (lifts an address lockout)."""
    from axes.utils import reset

    _require_security_admin(actor)
    try:
        ip = str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        raise ValidationError({"ip": "请输入有效的IP地址。"}) from None
    cleared = reset(ip=ip)
    audit.record(actor=actor, event=audit.Event.UPDATE, object_type="axes.accessattempt", object_id=ip,
                 object_repr=f"IP {ip}", changes={"action": "解除IP登录锁定", "cleared_attempts": cleared})
    return cleared
