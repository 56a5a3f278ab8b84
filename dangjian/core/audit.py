"""Append-only, hash-chained audit trail.

`record()` is called by service functions inside their own transaction, so the
audit row commits or rolls back together with the change it describes.
Rows are chained: hash = sha256(prev_hash + canonical content). Writers are
serialised (PostgreSQL advisory lock; SQLite's IMMEDIATE transactions) so the
chain has exactly one head.
"""

import contextvars
import hashlib
import ipaddress
import json
import re

from django.db import connection, transaction
from django.utils import timezone

_request_ctx = contextvars.ContextVar("dangjian_audit_request", default=None)
_ID_PATTERN = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
GENESIS = "0" * 64
_LOCK_KEY = 7720301  # advisory lock id for the audit chain


class Event:
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKED_OUT = "locked_out"
    LOGOUT = "logout"
    DENIED = "denied"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    IMPORT = "import"
    UNMASK = "unmask"
    ROLE_GRANT = "role_grant"
    ROLE_REVOKE = "role_revoke"
    PASSWORD = "password"
    READ = "read"  # a read of a restricted record (廉政档案, 困难职工档案): every one is logged

    LABELS = {
        LOGIN: "登录成功",
        LOGIN_FAILED: "登录失败",
        LOCKED_OUT: "账户锁定",
        LOGOUT: "退出登录",
        DENIED: "拒绝访问",
        CREATE: "新增",
        UPDATE: "修改",
        DELETE: "删除",
        EXPORT: "导出",
        IMPORT: "导入",
        UNMASK: "查看完整证件号",
        ROLE_GRANT: "授予角色",
        ROLE_REVOKE: "撤销角色",
        PASSWORD: "修改密码",
        READ: "查看受限记录",
    }
    CHOICES = list(LABELS.items())


def set_request(request):
    return _request_ctx.set(request)


def reset_request(token):
    _request_ctx.reset(token)


def current_request():
    return _request_ctx.get()


def client_ip(request):
    """The client's address. Behind `PROXY_COUNT` trusted reverse proxies (nginx), the address
    the outermost trusted proxy saw, taken from the right of X-Forwarded-For (never the
    client-supplied left part). Used by the audit trail and by django-axes alike."""
    if request is None:
        return None
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return remote
    return candidate


def scrub(value):
    """Mask anything that looks like a full ID number, recursively; drop NUL characters (a hostile path or
    parameter can carry them, and PostgreSQL's text and jsonb cannot store them)."""
    if isinstance(value, str):
        return _ID_PATTERN.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), value.replace("\x00", ""))
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value


def _jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return str(value)


def canonical(fields):
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(prev_hash, fields):
    return hashlib.sha256((prev_hash + canonical(fields)).encode("utf-8")).hexdigest()


def hashed_fields(entry):
    return {
        "at": entry.at.isoformat(),
        "username": entry.username,
        "role": entry.role,
        "ip": entry.ip or "",
        "event": entry.event,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "outcome": entry.outcome,
        "changes": entry.changes,
    }


def _now_ms():
    # Millisecond precision survives every backend unchanged, so the hash re-computes.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _lock_chain():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def record(*, actor=None, event, obj=None, object_type="", object_id="", object_repr="", outcome="success",
           changes=None, username=None, request=None):
    from .models import AuditLog

    request = request or current_request()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    role = ""
    if actor is not None:
        from dangjian.core.scoping import role_label

        role = role_label(actor)
    with transaction.atomic():
        _lock_chain()
        last = AuditLog.objects.order_by("-id").values_list("hash", flat=True).first()
        entry = AuditLog(
            at=_now_ms(),
            user=actor,
            username=scrub(actor.get_username() if actor is not None else (username or ""))[:150],
            role=role[:200],
            ip=client_ip(request),
            event=event,
            object_type=object_type[:100],
            object_id=scrub(str(object_id))[:64],
            object_repr=scrub(object_repr)[:200],
            outcome=outcome,
            changes=scrub(_jsonable(changes or {})),
            prev_hash=last or GENESIS,
        )
        entry.hash = row_hash(entry.prev_hash, hashed_fields(entry))
        entry.save(force_insert=True)
    return entry


def diff(before: dict, after: dict):
    """Only the fields that changed, as {"before": {...}, "after": {...}}."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {"before": {k: before.get(k) for k in keys}, "after": {k: after.get(k) for k in keys}}


def verify_chain(batch_size=2000):
    """Return (ok, checked_count, first_broken_id_or_None)."""
    from .models import AuditLog

    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditLog.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not rows:
            return True, checked, None
        for entry in rows:
            if entry.prev_hash != prev or row_hash(prev, hashed_fields(entry)) != entry.hash:
                return False, checked, entry.id
            prev = entry.hash
            checked += 1
            last_id = entry.id
