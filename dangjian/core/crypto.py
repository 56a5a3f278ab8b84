"""Field encryption for personal data (ID numbers, phones).

AES-256-GCM with a random 96-bit nonce per value; an HMAC-SHA256 "blind index"
allows exact look-ups and uniqueness without decrypting. The key never lives in
the database or the repository.
"""

import base64
import hashlib
import hmac
import os
import threading

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_lock = threading.Lock()
_keys = None
PREFIX = "v1:"


def _load_master_key():
    raw = settings.FIELD_ENCRYPTION_KEY
    if not raw:
        path = settings.FIELD_ENCRYPTION_KEY_FILE
        if not path.exists():
            if not (settings.DEBUG or settings.TESTING or os.environ.get("DANGJIAN_CREATE_KEY") == "1"):
                raise ImproperlyConfigured(
                    f"字段加密密钥不存在：请设置 FIELD_ENCRYPTION_KEY 或提供密钥文件 {path}"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(base64.b64encode(os.urandom(32)).decode())
        raw = path.read_text().strip()
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be base64") from exc
    if len(key) != 32:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must decode to 32 bytes")
    return key


def _derived_keys():
    global _keys
    with _lock:
        if _keys is None:
            master = _load_master_key()
            enc = hmac.new(master, b"dangjian-field-encryption", hashlib.sha256).digest()
            idx = hmac.new(master, b"dangjian-blind-index", hashlib.sha256).digest()
            _keys = (enc, idx)
        return _keys


def reset_keys():
    """Forget cached keys (tests, key rotation)."""
    global _keys
    with _lock:
        _keys = None


def encrypt(plaintext: str) -> str:
    if plaintext is None or plaintext == "":
        return ""
    enc, _ = _derived_keys()
    nonce = os.urandom(12)
    sealed = AESGCM(enc).encrypt(nonce, plaintext.encode("utf-8"), None)
    return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    if not token.startswith(PREFIX):
        raise ValueError("unknown ciphertext format")
    enc, _ = _derived_keys()
    blob = base64.b64decode(token[len(PREFIX):])
    return AESGCM(enc).decrypt(blob[:12], blob[12:], None).decode("utf-8")


def blind_index(value: str) -> str:
    if not value:
        return ""
    _, idx = _derived_keys()
    return hmac.new(idx, value.upper().encode("utf-8"), hashlib.sha256).hexdigest()
