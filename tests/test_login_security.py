"""Login security, 等保 2.0 baseline: lockout per account and per address, audit of logins,
session fixation, idle and absolute session limits, forced password change, password rules."""

import re
import time

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from dangjian.accounts.middleware import SESSION_STARTED_KEY
from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
HOME = reverse("core:home")
LOCK_TEXT = "登录失败次数过多，该账户或本机已被暂时锁定，请30分钟后再试。"


def post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def normalised(response):
    """The page without per-request tokens, to compare two answers word for word."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)


# --- lockout -------------------------------------------------------------------------

def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(tree):
    make_user("teacher", Role.VIEWER, tree["school_a"])
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(4):
        response = post_login(client, "teacher", "wrong-password")
        assert response.status_code == 200
        assert "用户名或密码错误" in response.content.decode()
    assert post_login(client, "teacher", "wrong-password").status_code == 429
    # The sixth attempt, with the right password, from a fresh address too: still refused.
    for address in ("10.0.0.1", "10.0.0.2"):
        response = post_login(Client(REMOTE_ADDR=address), "teacher", PASSWORD)
        assert response.status_code == 429
        assert LOCK_TEXT in response.content.decode()
        assert "_auth_user_id" not in response.wsgi_request.session
    assert AuditLog.objects.filter(event=Event.LOCKED_OUT, username="teacher").exists()


def test_a_locked_unknown_username_gets_the_same_answer_as_a_locked_real_one(tree):
    make_user("real_user", Role.VIEWER, tree["school_a"])
    answers = {}
    for i, username in enumerate(("real_user", "ghost_user")):
        client = Client(REMOTE_ADDR=f"10.1.0.{i + 1}")
        for _ in range(5):
            post_login(client, username, "wrong-password")
        answers[username] = post_login(client, username, PASSWORD if username == "real_user" else "whatever")
    real, ghost = answers["real_user"], answers["ghost_user"]
    assert real.status_code == ghost.status_code == 429
    assert LOCK_TEXT in ghost.content.decode()
    assert normalised(real).replace("real_user", "") == normalised(ghost).replace("ghost_user", "")
    assert "real_user" not in real.content.decode() and "ghost_user" not in ghost.content.decode()


def test_wrong_passwords_and_unknown_usernames_get_the_same_error_before_the_lockout(tree):
    make_user("existing", Role.VIEWER, tree["school_a"])
    a = post_login(Client(REMOTE_ADDR="10.2.0.1"), "existing", "wrong-password")
    b = post_login(Client(REMOTE_ADDR="10.2.0.2"), "nobody_here", "wrong-password")
    assert a.status_code == b.status_code == 200
    assert a.context["form"].non_field_errors() == b.context["form"].non_field_errors() == ["用户名或密码错误。"]


def test_five_failures_for_different_usernames_from_one_address_lock_that_address(tree):
    victim = make_user("innocent", Role.VIEWER, tree["school_a"])
    attacker = Client(REMOTE_ADDR="192.0.2.50")
    for i in range(5):
        post_login(attacker, f"guess{i}", "wrong-password")
    response = post_login(attacker, victim.username, PASSWORD)
    assert response.status_code == 429 and LOCK_TEXT in response.content.decode()
    # The account itself is not locked: from another address it logs in.
    assert post_login(Client(REMOTE_ADDR="192.0.2.51"), victim.username, PASSWORD).status_code == 302


def test_the_security_admin_unlocks_a_locked_account(tree):
    make_user("locked_out", Role.VIEWER, tree["school_a"])
    user_client = Client(REMOTE_ADDR="10.3.0.1")
    for _ in range(5):
        post_login(user_client, "locked_out", "wrong-password")
    assert post_login(user_client, "locked_out", PASSWORD).status_code == 429

    security = make_user("sec", admin_role="security")
    admin = Client(REMOTE_ADDR="10.3.0.9")
    admin.force_login(security)
    target = security.__class__.objects.get(username="locked_out")
    page = admin.get(reverse("accounts:user_detail", args=[target.pk]))
    assert page.context["is_locked"] and "登录锁定" in page.content.decode()
    assert "locked_out" in {u.username for u in admin.get(reverse("accounts:users")).context["rows"]
                            if u.is_locked}
    response = admin.post(reverse("accounts:user_unlock", args=[target.pk]))
    assert response.status_code == 302
    row = AuditLog.objects.filter(event=Event.UPDATE, object_id=str(target.pk)).latest("id")
    assert row.changes["action"] == "解除登录锁定" and row.username == "sec"

    assert post_login(user_client, "locked_out", PASSWORD).status_code == 302


def test_the_security_admin_unlocks_a_locked_address(tree):
    make_user("behind_nat", Role.VIEWER, tree["school_a"])
    school = Client(REMOTE_ADDR="198.51.100.7")
    for i in range(5):
        post_login(school, f"typo{i}", "wrong-password")
    assert post_login(school, "behind_nat", PASSWORD).status_code == 429
    admin = Client()
    admin.force_login(make_user(admin_role="security"))
    listing = admin.get(reverse("accounts:users"))
    assert "198.51.100.7" in {ip for ip, failures in listing.context["locked_ips"]}
    assert admin.post(reverse("accounts:unlock_ip"), {"ip": "not-an-ip"}).status_code == 302
    assert post_login(school, "behind_nat", PASSWORD).status_code == 429  # bad input changed nothing
    assert admin.post(reverse("accounts:unlock_ip"), {"ip": "198.51.100.7"}).status_code == 302
    assert post_login(school, "behind_nat", PASSWORD).status_code == 302


# --- audit of logins ------------------------------------------------------------------------

def test_a_successful_login_writes_a_login_audit_row(tree):
    user = make_user("auditme", Role.VIEWER, tree["school_a"])
    response = post_login(Client(REMOTE_ADDR="203.0.113.5"), "auditme", PASSWORD)
    assert response.status_code == 302
    row = AuditLog.objects.filter(event=Event.LOGIN).latest("id")
    assert (row.username, row.user_id, row.ip, row.outcome) == ("auditme", user.pk, "203.0.113.5", "success")


def test_a_failed_login_writes_a_login_failed_row_with_the_attempted_username(tree):
    post_login(Client(REMOTE_ADDR="203.0.113.6"), "who_is_this", "wrong-password")
    row = AuditLog.objects.filter(event=Event.LOGIN_FAILED).latest("id")
    assert (row.username, row.user_id, row.ip, row.outcome) == ("who_is_this", None, "203.0.113.6", "failure")
    assert "wrong-password" not in str(row.changes)


def test_an_id_number_typed_as_username_is_masked_in_the_audit_trail(tree):
    post_login(Client(REMOTE_ADDR="203.0.113.7"), "11010119850520001X", "wrong-password")
    row = AuditLog.objects.filter(event=Event.LOGIN_FAILED).latest("id")
    assert row.username == "110101********001X"


def test_logout_is_audited_and_only_by_post(tree):
    make_user("leaving", Role.VIEWER, tree["school_a"])
    client = Client()
    post_login(client, "leaving", PASSWORD)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert AuditLog.objects.filter(event=Event.LOGOUT, username="leaving").exists()
    assert client.get(HOME).status_code == 302


# --- sessions -------------------------------------------------------------------------

def test_login_issues_a_new_session_id(tree):
    make_user("fixation", Role.VIEWER, tree["school_a"])
    client = Client()
    client.get(LOGIN)
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert post_login(client, "fixation", PASSWORD).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before and after and before != after


def test_idle_timeout_is_thirty_minutes_renewed_on_every_request():
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


def _logged_in_client(tree, username):
    make_user(username, Role.VIEWER, tree["school_a"])
    client = Client()
    assert post_login(client, username, PASSWORD).status_code == 302
    assert client.get(HOME).status_code == 200
    assert SESSION_STARTED_KEY in client.session
    return client


def _backdate(client, seconds):
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - seconds
    session.save()


def test_a_session_older_than_twelve_hours_is_logged_out(tree):
    client = _logged_in_client(tree, "marathon")
    _backdate(client, 12 * 3600 + 1)
    response = client.get(HOME)
    assert response.status_code == 302 and response.url == f"{LOGIN}?expired=1"
    assert "_auth_user_id" not in client.session
    assert client.get(HOME).status_code == 302
    assert "会话已超过最长时限" in client.get(response.url).content.decode()


def test_a_session_just_under_twelve_hours_stays_logged_in(tree):
    client = _logged_in_client(tree, "almost")
    _backdate(client, 12 * 3600 - 60)
    assert client.get(HOME).status_code == 200


def test_the_login_time_is_set_at_login_and_not_renewed_by_activity(tree):
    client = _logged_in_client(tree, "steady")
    started = client.session[SESSION_STARTED_KEY]
    client.get(HOME)
    assert client.session[SESSION_STARTED_KEY] == started
    assert abs(started - time.time()) < 60


# --- forced password change --------------------------------------------------------------------

def test_must_change_password_sends_every_page_to_the_password_form_until_changed(tree):
    user = make_user("firsttime", Role.VIEWER, tree["school_a"])
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    client = Client()
    response = post_login(client, "firsttime", PASSWORD)
    assert response.status_code == 302
    for url in (HOME, reverse("orgs:tree"), reverse("members:roster"), "/no-such-page/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("accounts:password_change"), url
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200 and "首次登录，请先设置您自己的密码" in page.content.decode()
    assert client.get(reverse("core:healthz")).status_code == 200

    weak = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "abcdefgh", "new_password2": "abcdefgh"})
    assert weak.status_code == 200
    user.refresh_from_db()
    assert user.must_change_password and user.check_password(PASSWORD)

    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "Brand-new-2024", "new_password2": "Brand-new-2024"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password("Brand-new-2024")
    assert client.get(HOME).status_code == 200  # still logged in, free to go
    assert AuditLog.objects.filter(event=Event.PASSWORD, object_id=str(user.pk)).exists()


# --- password rules -------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["password1", "abcdefgh", "Abcdefgh", "12345678", "Ab1!", "ABCDEFG1"])
def test_weak_passwords_are_rejected(password):
    with pytest.raises(ValidationError):
        password_validation.validate_password(password)


@pytest.mark.parametrize("password", ["Abcdef1!", "Qz7#mK2p", "zhongguo-2024", "XINXI_an9"])
def test_strong_passwords_are_accepted(password):
    password_validation.validate_password(password)


def test_two_character_classes_get_a_chinese_explanation():
    with pytest.raises(ValidationError) as exc:
        password_validation.validate_password("Abcdefgh")
    assert "3类" in " ".join(exc.value.messages)


def test_argon2_is_the_production_hasher():
    hashers = settings.PASSWORD_HASHERS
    assert "django.contrib.auth.hashers.Argon2PasswordHasher" in hashers
    # Only the test run puts the fast MD5 hasher first (DANGJIAN_TESTING).
    production = [h for h in hashers if "MD5" not in h]
    assert production[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings.TESTING and hashers[0].endswith("MD5PasswordHasher")


def test_lockout_settings_are_the_baseline():
    from datetime import timedelta

    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=30)
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    assert settings.SESSION_ABSOLUTE_LIMIT == timedelta(hours=12)
