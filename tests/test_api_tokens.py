"""Personal API tokens: hashed, shown once, optional expiry, revocable; sessions give no API access."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from dangjian.api import services
from dangjian.api.models import ApiToken
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from tests.factories import make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(tree):
    return make_user("tok_viewer", Role.VIEWER, tree["school_a"])


def test_token_is_stored_only_as_a_sha256_digest_of_its_secret(viewer):
    token, clear = services.token_create(actor=viewer, user=viewer, name="统计脚本")
    kind, prefix, secret = clear.split("_", 2)
    assert kind == "dj" and prefix == token.prefix
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(secret in str(value) for value in stored.values())
    assert len(secret) >= 43  # 32 random bytes, URL-safe base64


def test_a_valid_token_authenticates_and_records_last_use(client, viewer):
    clear = token_for(viewer)
    response = call(client, "get", "/me", clear)
    assert response.status_code == 200
    assert response.json()["username"] == "tok_viewer"
    assert response.json()["roles"][0]["role"] == "viewer"
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer dj_abc_def",
                                    "Bearer dj__x", "Bearer " + "x" * 500])
def test_missing_or_malformed_tokens_get_401_in_json(client, viewer, header):
    headers = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/api/me", **headers)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("未提供有效的接口令牌")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_with_a_real_prefix_is_rejected(client, viewer):
    clear = token_for(viewer)
    assert call(client, "get", "/me", clear[:-2] + "zz").status_code == 401


def test_expired_token_is_rejected(client, viewer):
    clear = token_for(viewer, expires_days=1)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert call(client, "get", "/me", clear).status_code == 401


def test_revoked_token_is_rejected_at_once_and_revocation_is_audited(client, viewer):
    clear = token_for(viewer)
    assert call(client, "get", "/me", clear).status_code == 200
    services.token_revoke(actor=viewer, token=ApiToken.objects.get())
    assert call(client, "get", "/me", clear).status_code == 401
    assert AuditLog.objects.filter(object_type="api.apitoken", changes__action="撤销接口令牌").exists()


def test_token_of_a_deactivated_user_is_rejected(client, viewer):
    clear = token_for(viewer)
    viewer.is_active = False
    viewer.save(update_fields=["is_active"])
    assert call(client, "get", "/me", clear).status_code == 401


def test_a_logged_in_session_gives_no_api_access(client, viewer):
    client.force_login(viewer)
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/orgs").status_code == 401
    response = client.post("/api/orgs", "{}", content_type="application/json")
    assert response.status_code == 401


def test_a_session_cannot_borrow_another_users_token_scope(client, tree, viewer):
    """With a session of one user and the token of another, the API acts for the token's holder only."""
    other = make_user("tok_other", Role.VIEWER, tree["school_b"])
    client.force_login(viewer)
    response = call(client, "get", "/me", token_for(other))
    assert response.json()["username"] == "tok_other"


def test_token_creation_is_audited_without_the_secret(viewer):
    _, clear = services.token_create(actor=viewer, user=viewer, name="同步")
    row = AuditLog.objects.get(object_type="api.apitoken", event="create")
    assert clear.split("_", 2)[2] not in str(row.changes) and row.username == "tok_viewer"


def test_nobody_creates_or_revokes_tokens_for_someone_else(tree, viewer):
    from django.core.exceptions import ValidationError

    other = make_user("tok_other2", Role.VIEWER, tree["school_a"])
    with pytest.raises(ValidationError):
        services.token_create(actor=viewer, user=other, name="x")
    token, _ = services.token_create(actor=other, user=other, name="x")
    with pytest.raises(ValidationError):
        services.token_revoke(actor=viewer, token=token)


@pytest.mark.parametrize("name,days,field", [("", None, "name"), ("x" * 61, None, "name"), ("ok", 0, "expires_days"),
                                             ("ok", 4000, "expires_days")])
def test_bad_token_requests_get_chinese_field_errors_and_create_nothing(viewer, name, days, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.token_create(actor=viewer, user=viewer, name=name, expires_days=days)
    assert field in exc.value.message_dict
    assert not ApiToken.objects.exists()


def test_active_tokens_per_user_are_limited(viewer):
    from django.core.exceptions import ValidationError

    for i in range(services.MAX_ACTIVE_TOKENS):
        services.token_create(actor=None, user=viewer, name=f"t{i}")
    with pytest.raises(ValidationError):
        services.token_create(actor=None, user=viewer, name="one too many")


# --- the 接口令牌 page ---------------------------------------------------------------

def test_token_page_creates_a_token_and_shows_it_exactly_once(client, viewer):
    client.force_login(viewer)
    response = client.post("/accounts/tokens/new/", {"name": "教务系统", "expires_days": "90"})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    clear = response.context["clear"]
    assert clear.startswith(f"dj_{token.prefix}_") and clear in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert 89 <= (token.expires_at - timezone.now()).days <= 90
    listing = client.get("/accounts/tokens/").content.decode()
    assert "教务系统" in listing and clear not in listing and f"dj_{token.prefix}_" in listing
    assert call(client, "get", "/me", clear).status_code == 200


def test_token_page_rejects_an_empty_name_with_a_chinese_error(client, viewer):
    client.force_login(viewer)
    response = client.post("/accounts/tokens/new/", {"name": "", "expires_days": "30"})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_token_page_revokes_own_tokens_only(client, tree, viewer):
    other = make_user("tok_other3", Role.VIEWER, tree["school_a"])
    own, _ = services.token_create(actor=viewer, user=viewer, name="mine")
    foreign, _ = services.token_create(actor=other, user=other, name="theirs")
    client.force_login(viewer)
    assert client.post(f"/accounts/tokens/{foreign.pk}/revoke/").status_code == 404
    assert client.post(f"/accounts/tokens/{own.pk}/revoke/").status_code == 302
    own.refresh_from_db()
    foreign.refresh_from_db()
    assert own.is_revoked and not foreign.is_revoked
    page = client.get("/accounts/tokens/").content.decode()
    assert "已撤销" in page


def test_admin_accounts_may_hold_tokens_but_see_no_party_data(client):
    audit_admin = make_user("tok_audit", admin_role="audit")
    clear = token_for(audit_admin)
    assert call(client, "get", "/me", clear).json()["admin_role"] == "audit"
    assert call(client, "get", "/people", clear).status_code == 403
    assert call(client, "get", "/orgs", clear).status_code == 403


def test_token_page_lists_tokens_in_a_fixed_number_of_queries(client, viewer, django_assert_max_num_queries):
    client.force_login(viewer)
    client.get("/accounts/tokens/")
    for i in range(5):
        services.token_create(actor=None, user=viewer, name=f"t{i}")
    with django_assert_max_num_queries(8) as small:
        client.get("/accounts/tokens/")
    for i in range(10):
        services.token_create(actor=None, user=viewer, name=f"u{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/accounts/tokens/")


# --- dangjian token -------------------------------------------------------------------

def test_command_creates_prints_once_lists_and_revokes(client, viewer):
    out, err = StringIO(), StringIO()
    call_command("token", "create", "tok_viewer", "--name", "夜间同步", "--expires-days", "30", stdout=out, stderr=err)
    clear = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert clear.startswith(f"dj_{token.prefix}_") and "只显示这一次" in err.getvalue()
    assert call(client, "get", "/me", clear).status_code == 200
    listing = StringIO()
    call_command("token", "list", stdout=listing)
    assert "夜间同步" in listing.getvalue() and clear not in listing.getvalue()
    call_command("token", "revoke", str(token.pk), stdout=StringIO())
    assert call(client, "get", "/me", clear).status_code == 401
    assert AuditLog.objects.filter(object_type="api.apitoken", username="(命令行)").count() == 2


def test_command_reports_unknown_users_and_tokens():
    with pytest.raises(CommandError, match="不存在"):
        call_command("token", "create", "nobody", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="不存在"):
        call_command("token", "revoke", "999999", stdout=StringIO())
