"""Backups: encrypted, checksummed, restorable into an empty installation with every table identical;
tampering, truncation and a wrong key are refused without changing anything; retention keeps N.

The round trips run the real commands in subprocesses, each installation with its own DATABASE_URL,
DANGJIAN_VAR_DIR and FIELD_ENCRYPTION_KEY."""

import base64
import hashlib
import hmac
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings

from dangjian.core import backup

ROOT = Path(__file__).resolve().parent.parent
KEY = base64.b64encode(bytes(range(50, 82))).decode()
OTHER_KEY = base64.b64encode(bytes(range(150, 182))).decode()
UPLOAD = "uploads/2024/会议纪要.pdf"
UPLOAD_BYTES = b"%PDF-1.4\n" + bytes(range(256)) * 40


# --- helpers -----------------------------------------------------------------------------------------

class Installation:
    def __init__(self, var_dir, database_url, key=KEY):
        self.var_dir = Path(var_dir)
        self.database_url = database_url
        self.key = key
        self.var_dir.mkdir(parents=True, exist_ok=True)

    @property
    def db_path(self):
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def media(self):
        return self.var_dir / "media"

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("FIELD_ENCRYPTION", "DATABASE_", "DANGJIAN_", "PG"))}
        env.update(DJANGO_SETTINGS_MODULE="dangjian.settings", DANGJIAN_TESTING="1", DATABASE_URL=self.database_url,
                   DANGJIAN_VAR_DIR=str(self.var_dir), FIELD_ENCRYPTION_KEY=self.key)
        return env

    def run(self, *args, check=True):
        proc = subprocess.run([sys.executable, "-m", "django", *args], env=self.env(), cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
        if check and proc.returncode != 0:
            raise AssertionError(f"dangjian {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc


def sqlite_installation(path, key=KEY):
    return Installation(path, f"sqlite:///{path / 'dangjian.sqlite3'}", key)


def copy_sqlite(src, dest):
    source, target = sqlite3.connect(src), sqlite3.connect(dest)
    source.backup(target)
    source.close()
    target.close()


def sqlite_tables(path):
    """Every table's rows, read directly (independent of dangjian.core.backup)."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {name: sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}
    finally:
        conn.close()


def without_restore_audit(tables, rows_key="core_auditlog"):
    """The restore appends one audit row ("从备份恢复") to the restored installation; set it aside."""
    tables = dict(tables)
    audit_rows = tables[rows_key]
    kept = [r for r in audit_rows if "从备份恢复" not in r]
    assert len(kept) == len(audit_rows) - 1
    tables[rows_key] = kept
    return tables


def read_bundle(path, key_b64):
    """Decrypt a backup with a key derived here (HMAC of the master key) and return its tar members."""
    master = base64.b64decode(key_b64)
    key = hmac.new(master, b"dangjian-backup-encryption", hashlib.sha256).digest()
    with open(path, "rb") as fh:
        header, key_id, chunk_size = backup.read_header(fh)
        assert key_id == hashlib.sha256(master).hexdigest()[:8]
        reader = backup.DecryptingReader(fh, key, header, chunk_size)
        data = reader.read()
        reader.finish()
    members = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            members[member.name] = tar.extractfile(member).read()
    return members


def only_backup(directory):
    found = sorted(Path(directory).glob("dangjian-*.djbak"))
    assert len(found) == 1, found
    return found[0]


# --- SQLite round trip -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """An installation with the demo district and one upload, its database copied aside, and one backup."""
    base = tmp_path_factory.mktemp("backup-source")
    inst = sqlite_installation(base / "src")
    inst.run("migrate", "-v", "0")
    inst.run("demo", "--force")
    (inst.media / UPLOAD).parent.mkdir(parents=True)
    (inst.media / UPLOAD).write_bytes(UPLOAD_BYTES)
    copy_sqlite(inst.db_path, base / "before-backup.sqlite3")
    out = inst.run("backup").stdout
    assert "备份完成" in out
    inst.before_backup = base / "before-backup.sqlite3"
    inst.backup_file = only_backup(inst.var_dir / "backups")
    return inst


def test_backup_is_encrypted_and_its_manifest_describes_the_snapshot(source):
    raw = source.backup_file.read_bytes()
    assert raw.startswith(b"DJBAK01\n")
    assert b"SQLite format 3" not in raw and "青山区".encode() not in raw and b"manifest" not in raw
    sidecar = source.backup_file.with_name(source.backup_file.name + ".sha256").read_text()
    assert sidecar == f"{hashlib.sha256(raw).hexdigest()}  {source.backup_file.name}\n"
    assert oct(source.backup_file.stat().st_mode & 0o777) == "0o600"

    members = read_bundle(source.backup_file, KEY)
    manifest = json.loads(members["manifest.json"])
    assert manifest["format"] == 1 and manifest["vendor"] == "sqlite"
    assert manifest["created_at"].endswith("+08:00")
    assert manifest["migrations"]["members"].startswith("00")
    assert {"manifest.json", "database.sqlite3", "media/" + UPLOAD} <= set(members)
    assert all(name.startswith("media/") for name in set(members) - {"manifest.json", "database.sqlite3"})
    for name, content in members.items():
        if name != "manifest.json":
            assert manifest["files"][name] == hashlib.sha256(content).hexdigest()
    assert members["media/" + UPLOAD] == UPLOAD_BYTES
    before = sqlite_tables(source.before_backup)
    assert {t: v["rows"] for t, v in manifest["tables"].items()} == {t: len(rows) for t, rows in before.items()}
    assert manifest["tables"]["members_person"]["rows"] > 1000


def test_restore_into_a_fresh_installation_reproduces_every_table_and_upload(source, tmp_path):
    target = sqlite_installation(tmp_path / "dst")

    proc = target.run("restore", str(source.backup_file))

    assert "校验通过" in proc.stdout
    restored = sqlite_tables(target.db_path)
    before = sqlite_tables(source.before_backup)
    assert set(restored) == set(before)
    restored = without_restore_audit(restored)
    for table in before:
        assert restored[table] == before[table], f"table {table} differs after restore"
    assert (target.media / UPLOAD).read_bytes() == UPLOAD_BYTES
    assert "审计链完整" in target.run("audit", "verify").stdout
    assert "全部密文均在当前密钥下" in target.run("keys", "status").stdout
    # The restore's own checksums agree with the ones the backup computed from its snapshot.
    manifest = json.loads(read_bundle(source.backup_file, KEY)["manifest.json"])
    recomputed = backup.sqlite_checksums(source.before_backup)
    assert recomputed == manifest["tables"]


def _tamper(path, dest, position):
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    dest.write_bytes(bytes(data))
    return dest


def _state(inst):
    files = sorted(str(p.relative_to(inst.var_dir)) for p in inst.var_dir.rglob("*"))
    db = inst.db_path.read_bytes() if inst.db_path.exists() else None
    return files, db


@pytest.mark.parametrize("where", ["header", "middle", "end"])
def test_a_backup_with_one_changed_byte_is_refused_and_nothing_changes(source, tmp_path, where):
    size = source.backup_file.stat().st_size
    position = {"header": 3, "middle": size // 2, "end": size - 1}[where]
    bad = _tamper(source.backup_file, tmp_path / source.backup_file.name, position)
    shutil.copy(source.backup_file.with_name(source.backup_file.name + ".sha256"), tmp_path)
    # An installation with data, even with --force: nothing may change.
    target = sqlite_installation(tmp_path / "dst")
    target.db_path.parent.mkdir(parents=True, exist_ok=True)
    copy_sqlite(source.before_backup, target.db_path)
    before = _state(target)

    proc = target.run("restore", str(bad), "--force", check=False)
    assert proc.returncode != 0
    assert "恢复失败，未做任何更改" in proc.stderr and "校验文件" in proc.stderr

    # Even with a matching .sha256 the encryption's authentication catches it.
    sidecar = bad.with_name(bad.name + ".sha256")
    sidecar.write_text(f"{hashlib.sha256(bad.read_bytes()).hexdigest()}  {bad.name}\n")
    proc = target.run("restore", str(bad), "--force", check=False)
    assert proc.returncode != 0
    assert "恢复失败，未做任何更改" in proc.stderr
    assert ("篡改" in proc.stderr) or ("损坏" in proc.stderr)
    assert _state(target) == before


def test_a_truncated_backup_is_refused(source, tmp_path):
    bad = tmp_path / source.backup_file.name
    bad.write_bytes(source.backup_file.read_bytes()[:-100])
    target = sqlite_installation(tmp_path / "dst")
    proc = target.run("restore", str(bad), check=False)  # no .sha256 next to it
    assert proc.returncode != 0
    assert "不完整" in proc.stderr
    assert not (target.media / UPLOAD).exists()


def test_the_wrong_key_cannot_read_a_backup(source, tmp_path):
    target = sqlite_installation(tmp_path / "dst", key=OTHER_KEY)
    before = _state(target)
    proc = target.run("restore", str(source.backup_file), check=False)
    assert proc.returncode != 0
    assert "字段加密密钥" in proc.stderr and "当前配置中没有这把密钥" in proc.stderr
    assert _state(target) == before


def test_an_old_key_still_restores_a_backup_made_before_rotation(source, tmp_path):
    target = sqlite_installation(tmp_path / "dst", key=OTHER_KEY)
    env = {**target.env(), "FIELD_ENCRYPTION_OLD_KEYS": KEY}
    proc = subprocess.run([sys.executable, "-m", "django", "restore", str(source.backup_file)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "校验通过" in proc.stdout


def test_a_non_empty_installation_is_refused_and_force_keeps_a_safety_copy(source, tmp_path):
    target = sqlite_installation(tmp_path / "dst")
    target.db_path.parent.mkdir(parents=True, exist_ok=True)
    copy_sqlite(source.before_backup, target.db_path)

    proc = target.run("restore", str(source.backup_file), check=False)
    assert proc.returncode != 0
    assert "目标系统不是空的" in proc.stderr and "--force" in proc.stderr

    proc = target.run("restore", str(source.backup_file), "--force")
    assert "校验通过" in proc.stdout
    copies = list(target.db_path.parent.glob("dangjian.sqlite3.before-restore-*"))
    assert len(copies) == 1
    assert sqlite_tables(copies[0]) == sqlite_tables(source.before_backup)


def test_retention_keeps_the_newest_n_backups(tmp_path):
    inst = sqlite_installation(tmp_path / "small")
    inst.run("migrate", "-v", "0")
    out_dir = tmp_path / "offsite-staging"
    for _ in range(3):
        inst.run("backup", "--dir", str(out_dir), "--keep", "2")
    names = sorted(p.name for p in out_dir.iterdir())
    backups = [n for n in names if n.endswith(".djbak")]
    assert len(backups) == 2
    assert sorted(names) == sorted(backups + [n + ".sha256" for n in backups])
    assert not [n for n in names if n.startswith(".")]  # no temporary files left behind
    proc = inst.run("backup", "--dir", str(out_dir), "--keep", "0", check=False)
    assert proc.returncode != 0 and "--keep" in proc.stderr


def test_prune_orders_backups_by_time_including_same_second_suffixes(tmp_path):
    names = ["dangjian-20250101-120000.djbak", "dangjian-20250101-120000-2.djbak", "dangjian-20250101-120000-10.djbak",
             "dangjian-20241231-235959.djbak", "dangjian-20250102-000000.djbak", "notes.txt"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
        if name.endswith(".djbak"):
            (tmp_path / (name + ".sha256")).write_text("x")
    deleted = backup.prune(tmp_path, 2)
    assert [p.name for p in deleted] == ["dangjian-20241231-235959.djbak", "dangjian-20250101-120000.djbak",
                                         "dangjian-20250101-120000-2.djbak"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([
        "dangjian-20250101-120000-10.djbak", "dangjian-20250101-120000-10.djbak.sha256",
        "dangjian-20250102-000000.djbak", "dangjian-20250102-000000.djbak.sha256", "notes.txt"])


# --- the chunked stream ------------------------------------------------------------------------------

def _encrypt(payload, chunk_size=64):
    out = io.BytesIO()
    writer = backup.EncryptingWriter(out, b"k" * 32, "0123abcd", chunk_size=chunk_size)
    writer.write(payload)
    writer.close()
    return out.getvalue()


def _decrypt(blob):
    fh = io.BytesIO(blob)
    header, _, chunk_size = backup.read_header(fh)
    reader = backup.DecryptingReader(fh, b"k" * 32, header, chunk_size)
    data = reader.read()
    reader.finish()
    return data


def _chunks(blob, chunk_size=64):
    body, chunks = blob[backup.HEADER_SIZE:], []
    while body:
        length = int.from_bytes(body[13:17], "big")
        chunks.append(body[:17 + length])
        body = body[17 + length:]
    return blob[:backup.HEADER_SIZE], chunks


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 640])
def test_the_stream_round_trips_any_length(size):
    payload = os.urandom(size)
    assert _decrypt(_encrypt(payload)) == payload


def test_reordered_dropped_or_extra_chunks_are_detected():
    header, chunks = _chunks(_encrypt(os.urandom(300)))
    assert len(chunks) == 5
    with pytest.raises(backup.BackupError, match="篡改"):
        _decrypt(header + chunks[1] + chunks[0] + b"".join(chunks[2:]))
    with pytest.raises(backup.BackupError, match="不完整"):
        _decrypt(header + b"".join(chunks[:-1]))  # the final chunk is missing
    with pytest.raises(backup.BackupError, match="篡改"):
        _decrypt(header + b"".join(chunks[:2]) + chunks[-1])  # a middle chunk is missing
    with pytest.raises(backup.BackupError, match="多余数据"):
        _decrypt(header + b"".join(chunks) + chunks[-1])
    with pytest.raises(backup.BackupError, match="篡改"):
        _decrypt(header[:-1] + b"\x41" + b"".join(chunks))  # the header is authenticated too


# --- PostgreSQL round trip ---------------------------------------------------------------------------

def _pg_conf():
    conf = django_settings.DATABASES["default"]
    if conf["ENGINE"] != "django.db.backends.postgresql":
        return None
    return conf


def _pg_url(conf, name):
    auth = quote(conf.get("USER") or "postgres")
    if conf.get("PASSWORD"):
        auth += ":" + quote(conf["PASSWORD"])
    return f"postgres://{auth}@{conf.get('HOST') or '127.0.0.1'}:{conf.get('PORT') or 5432}/{name}"


def _pg_table_rows(url):
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = {}
        for (name,) in cur.fetchall():
            cur.execute(f'SELECT t::text FROM "{name}" t')
            tables[name] = sorted(r[0] for r in cur.fetchall())
        return tables


def test_postgresql_backup_restores_into_an_empty_database_with_every_table_identical(tmp_path):
    conf = _pg_conf()
    if conf is None:
        pytest.skip("PostgreSQL only: runs when the suite runs with a postgres:// DATABASE_URL (CI runs both)")
    import psycopg

    pid = os.getpid()
    src_name, dst_name = f"dj_backup_src_{pid}", f"dj_backup_dst_{pid}"
    admin_url = _pg_url(conf, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for name in (src_name, dst_name):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        src = Installation(tmp_path / "src", _pg_url(conf, src_name))
        src.run("migrate", "-v", "0")
        src.run("demo", "--force")
        (src.media / UPLOAD).parent.mkdir(parents=True)
        (src.media / UPLOAD).write_bytes(UPLOAD_BYTES)
        before = _pg_table_rows(src.database_url)
        assert "备份完成" in src.run("backup").stdout
        backup_file = only_backup(src.var_dir / "backups")
        manifest = json.loads(read_bundle(backup_file, KEY)["manifest.json"])
        assert manifest["vendor"] == "postgresql" and {"database.dump", "media/" + UPLOAD} <= set(manifest["files"])
        assert all(name.startswith("media/") for name in set(manifest["files"]) - {"database.dump"})
        assert {t: v["rows"] for t, v in manifest["tables"].items()} == {t: len(r) for t, r in before.items()}

        dst = Installation(tmp_path / "dst", _pg_url(conf, dst_name))
        dst.run("migrate", "-v", "0")  # an installed, empty system: tables but no organisations or people
        proc = dst.run("restore", str(backup_file))
        assert "校验通过" in proc.stdout

        restored = _pg_table_rows(dst.database_url)
        assert set(restored) == set(before)
        restored = without_restore_audit(restored)
        for table in before:
            assert restored[table] == before[table], f"table {table} differs after restore"
        assert (dst.media / UPLOAD).read_bytes() == UPLOAD_BYTES
        assert "审计链完整" in dst.run("audit", "verify").stdout

        proc = dst.run("restore", str(backup_file), check=False)
        assert proc.returncode != 0 and "目标系统不是空的" in proc.stderr
        proc = dst.run("restore", str(backup_file), "--force", check=False)  # --force never overwrites PostgreSQL
        assert proc.returncode != 0 and "新建一个空数据库" in proc.stderr
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for name in (src_name, dst_name):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
