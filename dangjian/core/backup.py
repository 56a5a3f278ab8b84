"""Encrypted, checksummed backups and verified restores (`dangjian backup`, `dangjian restore`).

A backup is one file `dangjian-YYYYmmdd-HHMMSS.djbak` (plus `<name>.sha256`, sha256sum format):

    header  = MAGIC (8 bytes) + key id (8 ASCII hex digits) + chunk size (4 bytes, big-endian)
    chunk*  = nonce (12) + final flag (1) + length (4, big-endian) + AES-256-GCM ciphertext

Each chunk's associated data is header + chunk index (8 bytes) + final flag, so a reordered,
truncated, extended or altered file fails authentication. The plaintext is a gzip'd tar of:
the database snapshot (`database.sqlite3` from `VACUUM INTO`, or `database.dump` from `pg_dump -Fc`
in an exported snapshot), the uploads (`media/...`) and `manifest.json` (format, time, vendor,
migration heads, per-table row counts and checksums computed from the snapshot, sha256 of each file).

The backup key is derived from the master field-encryption key (HMAC, label "dangjian-backup-encryption").
The key is never in the backup: without it a backup cannot be read.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from . import audit, crypto

FORMAT_VERSION = 1
MAGIC = b"DJBAK01\n"
HEADER_SIZE = len(MAGIC) + 8 + 4
CHUNK_SIZE = 1 << 20
SUFFIX = ".djbak"
NAME_RE = re.compile(r"^dangjian-(\d{8}-\d{6})(?:-(\d+))?\.djbak$")
CLI_ACTOR = "(命令行)"
DB_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
VENDOR_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """A failure with a clear Chinese message; nothing in the installation was changed unless it says so."""


# --- chunked AES-GCM stream ---------------------------------------------------------------------

def _aad(header, index, final):
    return header + struct.pack(">QB", index, 1 if final else 0)


class EncryptingWriter:
    """A write-only file object that encrypts what it is given in authenticated chunks."""

    def __init__(self, fh, key, key_id, chunk_size=CHUNK_SIZE):
        self.fh, self.aead, self.chunk_size = fh, AESGCM(key), chunk_size
        self.header = MAGIC + key_id.encode("ascii") + struct.pack(">I", chunk_size)
        self.fh.write(self.header)
        self.buffer = bytearray()
        self.index = 0
        self.closed = False

    def write(self, data):
        self.buffer += data
        # Keep at least one byte back so the last chunk written is always the one flagged final.
        while len(self.buffer) > self.chunk_size:
            self._emit(bytes(self.buffer[:self.chunk_size]), final=False)
            del self.buffer[:self.chunk_size]
        return len(data)

    def _emit(self, data, final):
        nonce = os.urandom(12)
        sealed = self.aead.encrypt(nonce, data, _aad(self.header, self.index, final))
        self.fh.write(nonce + struct.pack(">BI", 1 if final else 0, len(sealed)) + sealed)
        self.index += 1

    def close(self):
        if not self.closed:
            self._emit(bytes(self.buffer), final=True)
            self.buffer.clear()
            self.closed = True


def read_header(fh):
    header = fh.read(HEADER_SIZE)
    if len(header) < HEADER_SIZE or not header.startswith(MAGIC):
        raise BackupError("这不是本系统的备份文件（文件头不符），或文件已损坏。")
    key_id = header[len(MAGIC):len(MAGIC) + 8].decode("ascii", "replace")
    (chunk_size,) = struct.unpack(">I", header[-4:])
    if not re.fullmatch(r"[0-9a-f]{8}", key_id) or not 0 < chunk_size <= 64 * CHUNK_SIZE:
        raise BackupError("备份文件头已损坏。")
    return header, key_id, chunk_size


class DecryptingReader:
    """A read-only file object over an encrypted backup; every chunk is authenticated before use."""

    def __init__(self, fh, key, header, chunk_size):
        self.fh, self.aead, self.header, self.chunk_size = fh, AESGCM(key), header, chunk_size
        self.buffer = bytearray()
        self.index = 0
        self.final = False

    def _next_chunk(self):
        head = self.fh.read(17)
        if len(head) < 17:
            raise BackupError("备份文件不完整（可能在传输或写入时被截断）。")
        nonce, (flag, length) = head[:12], struct.unpack(">BI", head[12:])
        if flag not in (0, 1) or not 16 <= length <= self.chunk_size + 16:
            raise BackupError(f"备份文件已损坏或被篡改（第 {self.index + 1} 块格式错误）。")
        sealed = self.fh.read(length)
        if len(sealed) < length:
            raise BackupError("备份文件不完整（可能在传输或写入时被截断）。")
        try:
            data = self.aead.decrypt(nonce, sealed, _aad(self.header, self.index, flag == 1))
        except InvalidTag:
            raise BackupError(f"备份文件已损坏或被篡改（第 {self.index + 1} 块认证失败），不能使用。") from None
        self.index += 1
        self.final = flag == 1
        self.buffer += data

    def read(self, size=-1):
        while not self.final and (size is None or size < 0 or len(self.buffer) < size):
            self._next_chunk()
        if size is None or size < 0:
            size = len(self.buffer)
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def finish(self):
        """Read to the end: the stream must end with its final chunk and nothing after it."""
        while not self.final:
            self._next_chunk()
        if self.fh.read(1):
            raise BackupError("备份文件末尾有多余数据，文件已被篡改。")


# --- table checksums ------------------------------------------------------------------------------

def _canon(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"b": bytes(value).hex()}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, (datetime, date, time)):
        return {"t": value.isoformat()}
    if isinstance(value, (dict, list)):
        return {"j": json.dumps(value, sort_keys=True, ensure_ascii=False)}
    if isinstance(value, timedelta):
        return {"i": str(value)}
    return {"o": str(value)}


def _digest(rows):
    digest, count = hashlib.sha256(), 0
    for row in rows:
        digest.update(json.dumps([_canon(v) for v in row], ensure_ascii=False, separators=(",", ":")).encode())
        digest.update(b"\n")
        count += 1
    return {"rows": count, "sha256": digest.hexdigest()}


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


def sqlite_checksums(path):
    """{table: {"rows", "sha256"}} over every table of an SQLite file, rows ordered by primary key."""
    conn = sqlite3.connect(str(path))
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name")]
        result = {}
        for table in tables:
            info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
            pk = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
            order = ", ".join(_quote(c) for c in pk) or "rowid"
            result[table] = _digest(conn.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}"))
        return result
    finally:
        conn.close()


def sqlite_migration_heads(path):
    conn = sqlite3.connect(str(path))
    try:
        return _heads(conn.execute("SELECT app, name FROM django_migrations").fetchall())
    except sqlite3.OperationalError:
        return {}
    finally:
        conn.close()


def _heads(rows):
    heads = {}
    for app, name in rows:
        if name > heads.get(app, ""):
            heads[app] = name
    return dict(sorted(heads.items()))


def pg_checksums(conn):
    """The same over every table of the current schema (psycopg connection, inside a transaction).
    Text keys are ordered with the "C" collation so servers with other locales agree."""
    with conn.cursor() as cur:
        cur.execute("SET LOCAL TIME ZONE 'UTC'")
        cur.execute("SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname")
        tables = cur.fetchall()
    result = {}
    for number, (oid, table) in enumerate(tables):
        with conn.cursor() as cur:
            cur.execute("SELECT a.attname, t.typcollation <> 0 FROM pg_index i "
                        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                        "JOIN pg_type t ON t.oid = a.atttypid "
                        "WHERE i.indrelid = %s AND i.indisprimary "
                        "ORDER BY array_position(i.indkey::int2[], a.attnum)", [oid])
            pk = cur.fetchall()
            if pk:
                order = ", ".join(_quote(name) + (' COLLATE "C"' if collatable else "") for name, collatable in pk)
            else:
                cur.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = %s AND attnum > 0 "
                            "AND NOT attisdropped", [oid])
                order = ", ".join(str(i + 1) for i in range(cur.fetchone()[0]))
        with conn.cursor(name=f"dangjian_checksum_{number}") as cur:
            cur.itersize = 2000
            cur.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}")
            result[table] = _digest(cur)
    return result


def pg_migration_heads(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
        if not cur.fetchone()[0]:
            return {}
        cur.execute("SELECT app, name FROM django_migrations")
        return _heads(cur.fetchall())


def compare_checksums(expected, actual):
    """Readable differences between two {table: {"rows", "sha256"}} maps (empty when equal)."""
    differences = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if got is None:
            differences.append(f"{table}：恢复后缺少此表")
        elif want is None:
            differences.append(f"{table}：备份中没有此表（恢复后多出 {got['rows']} 行）")
        elif want != got:
            differences.append(f"{table}：备份 {want['rows']} 行，恢复后 {got['rows']} 行，校验和不一致")
    return differences


# --- PostgreSQL helpers ---------------------------------------------------------------------------

_PG_ENV = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST", "port": "PGPORT",
           "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
           "connect_timeout": "PGCONNECT_TIMEOUT"}


def pg_params(alias="default"):
    """libpq connection parameters of a configured database (settings.DATABASES)."""
    conf = settings.DATABASES[alias]
    params = {"dbname": conf.get("NAME"), "user": conf.get("USER"), "password": conf.get("PASSWORD"),
              "host": conf.get("HOST"), "port": str(conf.get("PORT") or "")}
    for key, value in (conf.get("OPTIONS") or {}).items():
        if key in _PG_ENV:
            params[key] = str(value)
    return {key: value for key, value in params.items() if value}


def pg_env(params):
    """Environment for pg_dump/pg_restore: connection settings as PG* variables (the password never on a
    command line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({_PG_ENV[key]: value for key, value in params.items()})
    return env


def pg_connect(params):
    import psycopg

    return psycopg.connect(**params)


def _pg_tool(name, conn):
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"未找到 {name}：请安装与数据库服务器主版本一致的 PostgreSQL 客户端"
                          f"（例如 apt-get install postgresql-client-15）。")
    server_major = conn.info.server_version // 10000
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if match and int(match.group(1)) < server_major:
        raise BackupError(f"{name} 的版本（{out.strip()}）低于数据库服务器（PostgreSQL {server_major}）："
                          f"请安装 postgresql-client-{server_major}。")
    return path


def _run(cmd, env, what):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise BackupError(f"{what}失败（退出码 {proc.returncode}）：" + " / ".join(detail))
    return proc


# --- file helpers -----------------------------------------------------------------------------------

def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_atomically(path, data: bytes):
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class _HashingWriter:
    def __init__(self, fh):
        self.fh, self.digest, self.size = fh, hashlib.sha256(), 0

    def write(self, data):
        self.fh.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)


class _HashingReader:
    def __init__(self, fh):
        self.fh, self.digest = fh, hashlib.sha256()

    def read(self, size=-1):
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _media_files(root):
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                found.append((path, path.relative_to(root).as_posix()))
    return found


def _add_file(tar, path, arcname):
    with open(path, "rb") as fh:
        info = tar.gettarinfo(arcname=arcname, fileobj=fh)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(fh)
        tar.addfile(info, reader)
        return reader.digest.hexdigest()


def sidecar_path(path):
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def _sort_key(path):
    match = NAME_RE.match(path.name)
    return match.group(1), int(match.group(2) or 0)


def list_backups(directory):
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted((p for p in directory.iterdir() if NAME_RE.match(p.name)), key=_sort_key)


def prune(directory, keep):
    """Delete the oldest backups (and their .sha256) beyond the newest `keep`; return the deleted paths."""
    backups = list_backups(directory)
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink(missing_ok=True)
        sidecar_path(path).unlink(missing_ok=True)
    return doomed


def _sqlite_path():
    name = str(settings.DATABASES["default"]["NAME"])
    if name == ":memory:" or name.startswith("file::memory:"):
        raise BackupError("内存数据库无法备份或恢复。")
    return Path(name)


def _sqlite_snapshot(db_path, dest):
    """A consistent copy of a live SQLite database (VACUUM INTO runs in one read transaction)."""
    src = sqlite3.connect(str(db_path), timeout=30)
    try:
        src.execute("VACUUM INTO ?", (str(dest),))
    finally:
        src.close()
    snap = sqlite3.connect(str(dest))
    try:
        snap.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        snap.close()


# --- backup -----------------------------------------------------------------------------------------

@dataclass
class BackupResult:
    path: Path
    size: int
    sha256: str
    manifest: dict
    pruned: list = field(default_factory=list)


def _backup_name(directory, now):
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    name, n = f"dangjian-{stamp}{SUFFIX}", 1
    while (directory / name).exists():
        n += 1
        name = f"dangjian-{stamp}-{n}{SUFFIX}"
    return directory / name


def create_backup(*, directory=None, keep=14, now=None):
    if keep < 1:
        raise BackupError("保留份数必须至少为 1。")
    directory = Path(directory or Path(settings.VAR_DIR) / "backups")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_id, key = crypto.backup_key()
    vendor = connection.vendor
    if vendor not in DB_MEMBERS:
        raise BackupError(f"不支持的数据库：{vendor}")
    now = now or timezone.now()
    target = _backup_name(directory, now)
    work = Path(tempfile.mkdtemp(prefix=".backup-", dir=directory))
    tmp = directory / f".{target.name}.tmp"
    try:
        snapshot = work / DB_MEMBERS[vendor]
        if vendor == "sqlite":
            _sqlite_snapshot(_sqlite_path(), snapshot)
            tables, heads = sqlite_checksums(snapshot), sqlite_migration_heads(snapshot)
        else:
            tables, heads = _pg_snapshot(snapshot)
        manifest = {
            "format": FORMAT_VERSION,
            "app": "dangjian",
            "created_at": timezone.localtime(now).isoformat(timespec="seconds"),
            "vendor": vendor,
            "key_id": key_id,
            "database": snapshot.name,
            "migrations": heads,
            "tables": tables,
            "files": {},
        }
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw:
            hashing = _HashingWriter(raw)
            encrypting = EncryptingWriter(hashing, key, key_id)
            with tarfile.open(fileobj=encrypting, mode="w|gz") as tar:
                manifest["files"][snapshot.name] = _add_file(tar, snapshot, snapshot.name)
                for path, rel in _media_files(settings.MEDIA_ROOT):
                    manifest["files"]["media/" + rel] = _add_file(tar, path, "media/" + rel)
                body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
                info = tarfile.TarInfo("manifest.json")
                info.size, info.mtime, info.mode = len(body), int(now.timestamp()), 0o600
                tar.addfile(info, _BytesReader(body))
            encrypting.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, target)
        _fsync_dir(directory)
        checksum = hashing.digest.hexdigest()
        _write_atomically(sidecar_path(target), f"{checksum}  {target.name}\n".encode("ascii"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        tmp.unlink(missing_ok=True)
    pruned = prune(directory, keep)
    audit.record(event=audit.Event.EXPORT, object_type="backup", object_id=target.name[:64],
                 object_repr="数据库备份", username=CLI_ACTOR,
                 changes={"after": {"文件": target.name, "大小（字节）": hashing.size, "表": len(tables),
                                    "行": sum(t["rows"] for t in tables.values()),
                                    "上传文件": len(manifest["files"]) - 1, "删除旧备份": len(pruned)}})
    return BackupResult(path=target, size=hashing.size, sha256=checksum, manifest=manifest, pruned=pruned)


class _BytesReader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def read(self, size=-1):
        end = len(self.data) if size is None or size < 0 else self.pos + size
        chunk = self.data[self.pos:end]
        self.pos += len(chunk)
        return chunk


def _pg_snapshot(dest):
    """pg_dump -Fc inside an exported snapshot; checksums and migration heads from that same snapshot."""
    import psycopg

    params = pg_params()
    conn = pg_connect(params)
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot_id = cur.fetchone()[0]
        pg_dump = _pg_tool("pg_dump", conn)
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot_id}", "--file", str(dest)],
             pg_env(params), "pg_dump 导出数据库")
        tables = pg_checksums(conn)
        heads = pg_migration_heads(conn)
        conn.rollback()
    finally:
        conn.close()
    return tables, heads


# --- restore ----------------------------------------------------------------------------------------

@dataclass
class RestoreResult:
    manifest: dict
    differences: list
    safety_copy: Path | None = None
    pending_migrations: bool = False

    @property
    def ok(self):
        return not self.differences


def verify_sidecar(path):
    """Compare the file with its .sha256 (sha256sum format). Returns False when there is no sidecar."""
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return False
    expected = sidecar.read_text(encoding="ascii", errors="replace").split()[:1]
    if not expected or _sha256_file(path) != expected[0].lower():
        raise BackupError(f"备份文件与校验文件 {sidecar.name} 不符：文件已损坏或被篡改，不能使用。")
    return True


def installation_counts():
    """(organisations, people) in the configured database; (0, 0) when it has no tables yet."""
    from dangjian.members.models import Person
    from dangjian.orgs.models import Organisation

    tables = set(connection.introspection.table_names())
    orgs = Organisation.objects.count() if Organisation._meta.db_table in tables else 0
    people = Person.objects.count() if Person._meta.db_table in tables else 0
    return orgs, people


def _safe_member(name):
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    if name in ("manifest.json", *DB_MEMBERS.values()) or (path.parts[0] == "media" and len(path.parts) > 1):
        return path
    return None


def _extract(backup_path, key, header, chunk_size, work):
    """Decrypt and unpack into `work`; return {member name: sha256}. The whole file is authenticated."""
    hashes = {}
    with open(backup_path, "rb") as fh:
        fh.seek(HEADER_SIZE)
        reader = DecryptingReader(fh, key, header, chunk_size)
        try:
            with tarfile.open(fileobj=reader, mode="r|gz") as tar:
                for member in tar:
                    if member.isdir():
                        continue
                    rel = _safe_member(member.name)
                    if rel is None or not member.isfile():
                        raise BackupError(f"备份内容不符合格式（意外的成员 {member.name[:80]}）。")
                    dest = work.joinpath(*rel.parts)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    digest = hashlib.sha256()
                    with open(dest, "wb") as out:
                        for block in iter(lambda: source.read(1 << 20), b""):
                            digest.update(block)
                            out.write(block)
                    hashes[member.name] = digest.hexdigest()
        except (tarfile.TarError, EOFError) as exc:
            raise BackupError(f"备份内容无法解包：{exc}") from None
        reader.finish()
    return hashes


def _check_manifest(manifest, hashes):
    if manifest.get("format") != FORMAT_VERSION or manifest.get("app") != "dangjian":
        raise BackupError(f"不支持的备份格式版本：{manifest.get('format')}")
    vendor = manifest.get("vendor")
    if vendor != connection.vendor:
        raise BackupError(f"备份来自 {VENDOR_LABELS.get(vendor, vendor)} 数据库，不能恢复到当前配置的 "
                          f"{VENDOR_LABELS.get(connection.vendor, connection.vendor)} 数据库。")
    expected = dict(manifest.get("files") or {})
    actual = {name: sha for name, sha in hashes.items() if name != "manifest.json"}
    if expected != actual or manifest.get("database") not in actual:
        raise BackupError("备份内容与其清单不符（文件缺失或校验和不一致），不能使用。")

    from django.db.migrations.loader import MigrationLoader

    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [f"{app}.{name}" for app, name in (manifest.get("migrations") or {}).items() if (app, name) not in known]
    if unknown:
        raise BackupError("备份来自较新版本的系统（本程序不认识迁移 " + "、".join(unknown[:5])
                          + "），请先升级程序再恢复。")


def restore_backup(path, *, force=False, log=None):
    log = log or (lambda message: None)
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    if verify_sidecar(path):
        log(f"校验文件 {sidecar_path(path).name} 核对一致。")
    else:
        log(f"未找到校验文件 {sidecar_path(path).name}，仅依靠加密认证检查完整性。")
    with open(path, "rb") as fh:
        header, key_id, chunk_size = read_header(fh)
    _, key = crypto.backup_key(key_id)
    if key is None:
        raise BackupError(f"该备份用编号为 {key_id} 的字段加密密钥加密，当前配置中没有这把密钥"
                          f"（当前密钥编号 {crypto.current_key_id()}）。请配置备份时使用的密钥"
                          "（FIELD_ENCRYPTION_KEY，或放入 FIELD_ENCRYPTION_OLD_KEYS）后重试。")
    vendor = connection.vendor
    if vendor not in DB_MEMBERS:
        raise BackupError(f"不支持的数据库：{vendor}")
    base = _sqlite_path().parent if vendor == "sqlite" else Path(settings.VAR_DIR)
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".restore-", dir=base))
    try:
        # First the whole file is decrypted, authenticated and checked against its manifest.
        hashes = _extract(path, key, header, chunk_size, work)
        if "manifest.json" not in hashes:
            raise BackupError("备份中缺少清单（manifest.json），不能使用。")
        manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
        _check_manifest(manifest, hashes)
        log(f"备份完整：创建于 {manifest['created_at']}，{len(manifest['tables'])} 张表，"
            f"{len(manifest['files']) - 1} 个上传文件。")

        orgs, people = installation_counts()
        non_empty = bool(orgs or people)
        if non_empty and not (force and vendor == "sqlite"):
            hint = ("如确需覆盖当前 SQLite 数据库，请加 --force（会先保存一份安全副本）。" if vendor == "sqlite"
                    else "请新建一个空数据库并在 DATABASE_URL 中指向它后再恢复。")
            raise BackupError(f"目标系统不是空的（已有党组织 {orgs} 个、人员 {people} 名），拒绝恢复。{hint}")

        # From here on the installation changes.
        safety_copy = None
        if vendor == "sqlite":
            db_path = _sqlite_path()
            if non_empty:
                stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
                safety_copy = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
                connections.close_all()
                _sqlite_snapshot(db_path, safety_copy)
                log(f"已将原数据库保存为安全副本：{safety_copy}")
            _sqlite_replace(work / manifest["database"], db_path)
            actual = sqlite_checksums(db_path)
        else:
            actual = _pg_restore(work / manifest["database"])
        media_root = Path(settings.MEDIA_ROOT)
        for name in manifest["files"]:
            if name.startswith("media/"):
                dest = media_root.joinpath(*PurePosixPath(name).parts[1:])
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(work.joinpath(*PurePosixPath(name).parts)), str(dest))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    differences = compare_checksums(manifest["tables"], actual)
    result = RestoreResult(manifest=manifest, differences=differences, safety_copy=safety_copy)
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    result.pending_migrations = bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    audit.record(event=audit.Event.IMPORT, object_type="backup", object_id=path.name[:64],
                 object_repr="从备份恢复", username=CLI_ACTOR, outcome="success" if result.ok else "failure",
                 changes={"after": {"文件": path.name, "备份时间": manifest["created_at"],
                                    "校验": "通过" if result.ok else "不一致：" + "；".join(differences)[:500]}})
    return result


def _sqlite_replace(snapshot, db_path):
    """Swap the database file for the snapshot: close connections, drop the old WAL, rename."""
    connections.close_all()
    if db_path.exists():
        conn = sqlite3.connect(str(db_path), timeout=30)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    for suffix in ("-wal", "-shm", "-journal"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    os.replace(snapshot, db_path)
    _fsync_dir(db_path.parent)


def _pg_restore(dump):
    """pg_restore into the configured database in one transaction; return its table checksums."""
    params = pg_params()
    connections.close_all()
    conn = pg_connect(params)
    try:
        pg_restore = _pg_tool("pg_restore", conn)
    finally:
        conn.close()
    _run([pg_restore, "--no-owner", "--no-privileges", "--clean", "--if-exists", "--single-transaction",
          "--exit-on-error", "--dbname", params["dbname"], str(dump)], pg_env(params), "pg_restore 恢复数据库")
    conn = pg_connect(params)
    try:
        with conn.transaction():
            return pg_checksums(conn)
    finally:
        conn.close()
