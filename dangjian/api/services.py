"""Writes to API tokens. Each records its audit row in the same transaction.

`actor=None` is the command line (`dangjian token ...`).
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit

from .models import ApiToken

TOKEN_PREFIX = "dj"
PREFIX_BYTES = 6          # 8 URL-safe characters
SECRET_BYTES = 32
MAX_EXPIRES_DAYS = 3650
MAX_ACTIVE_TOKENS = 20    # per user; a leaked script should not mint unlimited tokens
CLI_ACTOR = "(命令行)"
# last_used_at is refreshed at most this often, so reads do not each write a row.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_prefix():
    while True:
        prefix = secrets.token_urlsafe(PREFIX_BYTES).replace("-", "x").replace("_", "y")
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix


def _repr(token):
    return f"{token.name}（{token.prefix}…，{token.user.username}）"


@transaction.atomic
def token_create(*, actor, user, name, expires_days=None):
    """Create a token for `user`; returns (token, clear_text). The clear text is shown once and never stored."""
    if actor is not None and actor.pk != user.pk:
        raise ValidationError("只能为自己创建接口令牌。")
    if not user.is_active:
        raise ValidationError("该账户已停用，不能创建接口令牌。")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写令牌名称（如用途）。"})
    if len(name) > 60:
        raise ValidationError({"name": "名称不能超过60个字符。"})
    if "\x00" in name:
        raise ValidationError({"name": "名称含有无效字符。"})
    expires_at = None
    if expires_days is not None:
        if not isinstance(expires_days, int) or not 1 <= expires_days <= MAX_EXPIRES_DAYS:
            raise ValidationError({"expires_days": f"有效天数应为1至{MAX_EXPIRES_DAYS}之间的整数。"})
        expires_at = timezone.now() + timedelta(days=expires_days)
    if ApiToken.objects.filter(user=user).usable().count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(f"有效令牌已达{MAX_ACTIVE_TOKENS}个，请先撤销不用的令牌。")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken.objects.create(user=user, name=name, prefix=_new_prefix(), digest=digest(secret),
                                    expires_at=expires_at)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=token, object_repr=_repr(token),
                 username=CLI_ACTOR if actor is None else None,
                 changes={"after": {"user": user.username, "name": name, "prefix": token.prefix,
                                    "expires_at": expires_at.isoformat() if expires_at else None}})
    return token, f"{TOKEN_PREFIX}_{token.prefix}_{secret}"


@transaction.atomic
def token_revoke(*, actor, token):
    """Revoke a token at once. From the web a user revokes only his or her own tokens."""
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if actor is not None and actor.pk != token.user_id:
        raise ValidationError("只能撤销自己的接口令牌。")
    if token.revoked_at is not None:
        raise ValidationError("该令牌已撤销。")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=token, object_repr=_repr(token),
                 username=CLI_ACTOR if actor is None else None,
                 changes={"action": "撤销接口令牌", "before": {"revoked": False}, "after": {"revoked": True}})
    return token


def parse(raw):
    """(prefix, secret) from a presented token, or None when it is not shaped like one."""
    if not raw or len(raw) > 200:
        return None
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    if not parts[1].isalnum():
        return None
    return parts[1], parts[2]


def authenticate(raw, *, now=None):
    """The active user a presented token belongs to, or None (unknown, wrong, expired, revoked, user inactive).

    One query to find the token with its user; at most one more to refresh last_used_at."""
    parsed = parse(raw)
    if parsed is None:
        return None
    prefix, secret = parsed
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, digest(secret)):
        return None
    now = now or timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    token.user.api_token = token
    return token.user
