"""Field encryption for personal data (ID numbers, phones).

AES-256-GCM with a random 96-bit nonce per value; an HMAC-SHA256 "blind index"
allows exact look-ups and uniqueness without decrypting. The key never lives in
the database or the repository.

Every ciphertext names the master key it was made with: `<key id>:<base64(nonce + ciphertext)>`,
where the key id is the first 8 hex digits of sha256(master key). Old master keys
(FIELD_ENCRYPTION_OLD_KEYS / FIELD_ENCRYPTION_OLD_KEYS_FILE) still decrypt, so a key
rotation (`dangjian keys rotate`, see core/keys.py) can run in batches while the
application keeps working. Values written before key ids existed start with "v1:".
"""

import base64
import hashlib
import hmac
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_lock = threading.Lock()
_keys = None
LEGACY_PREFIX = "v1:"
SEPARATOR = ":"


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    master: bytes
    enc: bytes  # AES-256-GCM key for fields
    idx: bytes  # HMAC key for blind indexes

    @classmethod
    def from_master(cls, master):
        return cls(
            key_id=key_id_of(master),
            master=master,
            enc=hmac.new(master, b"dangjian-field-encryption", hashlib.sha256).digest(),
            idx=hmac.new(master, b"dangjian-blind-index", hashlib.sha256).digest(),
        )

    def derive(self, label: bytes) -> bytes:
        return hmac.new(self.master, label, hashlib.sha256).digest()


@dataclass(frozen=True)
class Keyring:
    current: MasterKey
    old: tuple  # MasterKey, newest first as configured

    @property
    def all(self):
        return (self.current, *self.old)

    def get(self, key_id):
        for key in self.all:
            if key.key_id == key_id:
                return key
        return None


def key_id_of(master: bytes) -> str:
    return hashlib.sha256(master).hexdigest()[:8]


def parse_key(raw: str, name="FIELD_ENCRYPTION_KEY") -> bytes:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be base64") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{name} must decode to 32 bytes")
    return key


def generate_key() -> str:
    """A new random master key, base64 (what FIELD_ENCRYPTION_KEY and the key file hold)."""
    return base64.b64encode(os.urandom(32)).decode("ascii")


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
                fh.write(generate_key())
        raw = path.read_text().strip()
    return parse_key(raw)


def _load_old_keys():
    raw = getattr(settings, "FIELD_ENCRYPTION_OLD_KEYS", None) or []
    if isinstance(raw, str):
        raw = raw.split(",")
    items = [item.strip() for item in raw if item and item.strip()]
    path = getattr(settings, "FIELD_ENCRYPTION_OLD_KEYS_FILE", None)
    if path:
        path = Path(path)
        if not path.exists():
            raise ImproperlyConfigured(f"旧字段加密密钥文件不存在：{path}")
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                items.append(line)
    return [parse_key(item, "FIELD_ENCRYPTION_OLD_KEYS") for item in items]


def keyring() -> Keyring:
    global _keys
    with _lock:
        if _keys is None:
            current = MasterKey.from_master(_load_master_key())
            old, seen = [], {current.key_id}
            for master in _load_old_keys():
                key = MasterKey.from_master(master)
                if key.key_id not in seen:
                    seen.add(key.key_id)
                    old.append(key)
            _keys = Keyring(current=current, old=tuple(old))
        return _keys


def reset_keys():
    """Forget cached keys (tests, key rotation)."""
    global _keys
    with _lock:
        _keys = None


def current_key_id() -> str:
    return keyring().current.key_id


def key_id_of_token(token: str) -> str:
    """The key id a stored ciphertext names ("v1" for values from before key ids)."""
    if token.startswith(LEGACY_PREFIX):
        return "v1"
    return token.split(SEPARATOR, 1)[0]


def encrypt(plaintext: str) -> str:
    if plaintext is None or plaintext == "":
        return ""
    key = keyring().current
    nonce = os.urandom(12)
    sealed = AESGCM(key.enc).encrypt(nonce, plaintext.encode("utf-8"), None)
    return key.key_id + SEPARATOR + base64.b64encode(nonce + sealed).decode("ascii")


def _open(key, blob):
    return AESGCM(key.enc).decrypt(blob[:12], blob[12:], None).decode("utf-8")


def decrypt(token: str) -> str:
    if not token:
        return ""
    ring = keyring()
    if token.startswith(LEGACY_PREFIX):
        # Written before ciphertexts named their key: try every known key (GCM rejects the wrong ones).
        blob = base64.b64decode(token[len(LEGACY_PREFIX):])
        for key in ring.all:
            try:
                return _open(key, blob)
            except InvalidTag:
                continue
        raise ValueError("密文无法用现有任何字段加密密钥解密")
    key_id, sep, body = token.partition(SEPARATOR)
    if not sep:
        raise ValueError("unknown ciphertext format")
    key = ring.get(key_id)
    if key is None:
        raise ValueError(f"密文使用的字段加密密钥（编号 {key_id}）不可用：请在 FIELD_ENCRYPTION_OLD_KEYS 中提供该旧密钥")
    return _open(key, base64.b64decode(body))


def _index(key, value):
    return hmac.new(key.idx, value.upper().encode("utf-8"), hashlib.sha256).hexdigest()


def blind_index(value: str) -> str:
    """The blind index under the current key (what is written)."""
    if not value:
        return ""
    return _index(keyring().current, value)


def blind_indexes(value: str) -> list:
    """The blind index under every known key, current first: look-ups that must also find rows a
    key rotation has not reached yet use `field__in=blind_indexes(value)`."""
    if not value:
        return []
    return [_index(key, value) for key in keyring().all]


def backup_key(key_id=None) -> tuple:
    """(key id, AES-256-GCM key for backup files) derived from the current master key, or from the
    known key with `key_id` (None when that key is not configured)."""
    ring = keyring()
    key = ring.current if key_id is None else ring.get(key_id)
    if key is None:
        return key_id, None
    return key.key_id, key.derive(b"dangjian-backup-encryption")
