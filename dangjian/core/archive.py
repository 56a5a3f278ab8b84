"""A whole school as one archive, to move it between installations (`dangjian archive export|import`).

What goes in: the organisation chosen and its subtree, and every record of every dangjian app that belongs to it
— found generically, so a new app's records travel without code here. A model belongs through its shortest chain
of foreign keys to an organisation (a tie goes to the first declared key): a Person through `org`, an Attendance
through `meeting → org`. Installation-wide data stays behind: accounts, roles, API tokens, the audit trail (the
target writes its own), import jobs, holiday calendars. A reference to something that stays behind is cleared when
the key is optional (who recorded a payment, a person's login) and drops the row when it is required (an
attendance row of a teacher who has since left the school); the manifest counts both per model.

Format: a ZIP, encrypted with a passphrase (scrypt → AES-256-GCM in authenticated chunks, the backup stream):
    MAGIC + salt (16 bytes) + the chunked stream of core.backup over
    manifest.json                 format, source, models with their fields, row counts, dropped/cleared counts,
                                  sha256 of every other member
    data/<app.model>.json         {"fields": [...], "rows": [[local id, value, ...], ...]}
    files/<app.model>/<id>/<field><.ext>    uploaded files
Rows carry local ids (1, 2, … in primary-key order; organisations in tree order) and foreign keys as local ids, so
the data does not depend on the installation: export → import into an empty database → export gives the same
data members byte for byte (the manifest differs only in its time stamp). Organisations carry their path relative
to the exported root instead of path/depth/numchild. Encrypted fields (`<x>_cipher`) travel as plaintext inside
the encrypted archive and are encrypted again with the target's key (`set_<x>`); their masks and blind indexes are
derived, not copied. Importing writes everything in one transaction, verifies it by exporting the new subtree
again and comparing digests, and writes one audit row.
"""

import hashlib
import io
import json
import os
import uuid
import zipfile
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import PurePosixPath

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.duration import duration_string

from . import audit, crypto
from .backup import BackupError, DecryptingReader, EncryptingWriter, read_header

FORMAT = "dangjian-archive"
VERSION = 1
MAGIC = b"DJARC01\n"
SALT_SIZE = 16
MIN_PASSPHRASE = 12
MAX_ARCHIVE = 2 * 1024 * 1024 * 1024
STAYS_BEHIND = {"core", "accounts", "api", "imports", "workdays", "auth", "contenttypes", "sessions", "axes", "admin"}
# Roles belong to accounts of this installation; stored findings are derived (the nightly check recomputes them).
STAYS_BEHIND_MODELS = {"orgs.roleassignment", "compliance.findingrun", "compliance.storedfinding"}
ORG = "orgs.organisation"
TREE_FIELDS = {"path", "depth", "numchild"}


class ArchiveError(Exception):
    """A clear Chinese message; nothing in the installation was changed."""


# --- which models travel, and how they reach an organisation ------------------------------------------

def _label(model):
    return model._meta.label_lower


def _relations(model):
    return [f for f in model._meta.concrete_fields if f.is_relation and (f.many_to_one or f.one_to_one)]


def travelling_models():
    """{label: (model, chain of FK names to an organisation)} for every model that belongs to a subtree."""
    candidates = {_label(m): m for m in apps.get_models(include_auto_created=True)
                  if m._meta.app_config.name.startswith("dangjian.") and m._meta.app_label not in STAYS_BEHIND
                  and _label(m) not in STAYS_BEHIND_MODELS and not m._meta.proxy}
    chains = {ORG: ()}
    # Layer by layer from the organisation: a model joins through its first declared key onto a model of an
    # earlier layer, so its chain is a shortest one.
    while True:
        layer = {}
        for label, model in candidates.items():
            if label in chains:
                continue
            for field in _relations(model):
                target = _label(field.related_model)
                if target in chains:
                    layer[label] = (field.name, *chains[target])
                    break
        if not layer:
            return {label: (candidates[label], chain) for label, chain in chains.items()}
        chains.update(layer)


def _insert_order(models_by_label):
    """Labels so that every required key points to a model earlier in the list (organisations first)."""
    order, placed = [], set()
    pending = sorted(models_by_label, key=lambda label: (label != ORG, label))
    while pending:
        progress = False
        for label in list(pending):
            model = models_by_label[label]
            needs = {_label(f.related_model) for f in _relations(model) if not f.null} & set(models_by_label)
            if needs - {label} <= placed:
                order.append(label)
                placed.add(label)
                pending.remove(label)
                progress = True
        if not progress:
            raise ArchiveError("数据模型之间存在循环的必填关联，无法确定导入顺序：" + "、".join(pending))
    return order


# --- values ----------------------------------------------------------------------------------------------

def _encode(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, timedelta):
        return duration_string(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)    # UUID and the like


def _plain_fields(model):
    """(stored fields, encrypted bases): every concrete non-key field except derived ones."""
    names = {f.name for f in model._meta.concrete_fields}
    bases = [n[: -len("_cipher")] for n in names if n.endswith("_cipher")]
    derived = {f"{b}_{suffix}" for b in bases for suffix in ("cipher", "index", "masked")}
    if _label(model) == ORG:
        derived |= TREE_FIELDS
    fields = [f for f in model._meta.concrete_fields
              if not f.primary_key and not f.is_relation and f.name not in derived]
    return fields, sorted(bases)


def _dumps(data):
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


# --- export ----------------------------------------------------------------------------------------------

def _collect(root):
    """(insert order, {label: {"fields", "rows", "dropped", "cleared"}}, {archive name: file bytes}) of root's
    subtree. Two passes: first which rows travel (a row whose required key points to a row that stays behind
    stays too; required keys only point to models earlier in the order), then the rows with every key as a local
    id (optional keys may point to any model)."""
    travelling = travelling_models()
    order = _insert_order({label: model for label, (model, _) in travelling.items()})
    kept, local, dropped = {}, {}, {}
    for label in order:
        model, chain = travelling[label]
        if label == ORG:
            queryset = model.objects.filter(path__startswith=root.path).order_by("path")
        else:
            queryset = model._base_manager.filter(**{"__".join((*chain, "path__startswith")): root.path}).order_by("pk")
        required = [f for f in _relations(model) if not f.null]
        objs, skipped = [], 0
        for obj in queryset.iterator(chunk_size=2000):
            if all(getattr(obj, f.attname) in local.get(_label(f.related_model), ()) for f in required):
                objs.append(obj)
            else:
                skipped += 1
        kept[label], dropped[label] = objs, skipped
        local[label] = {obj.pk: index for index, obj in enumerate(objs, start=1)}
    tables, files = {}, {}
    for label in order:
        model = travelling[label][0]
        fields, bases = _plain_fields(model)
        relations = _relations(model)
        header = ([f.name for f in fields] + [f"{b}:plain" for b in bases] + [f.name for f in relations]
                  + (["tree:relative_path"] if label == ORG else []))
        rows, cleared = [], 0
        for local_id, obj in enumerate(kept[label], start=1):
            values = []
            for field in fields:
                value = field.value_from_object(obj)
                if isinstance(field, models.FileField):
                    name = value.name if value else ""
                    if name:
                        stored = f"files/{label}/{local_id}/{field.name}{PurePosixPath(name).suffix.lower()}"
                        with value.open("rb") as handle:
                            files[stored] = handle.read()
                        name = stored
                    value = name
                values.append(_encode(value))
            for base in bases:
                cipher = getattr(obj, f"{base}_cipher")
                values.append(crypto.decrypt(cipher) if cipher else "")
            for field in relations:
                target_pk = getattr(obj, field.attname)
                ref = None if target_pk is None else local.get(_label(field.related_model), {}).get(target_pk)
                cleared += target_pk is not None and ref is None
                values.append(ref)
            if label == ORG:
                values.append(obj.path[len(root.path):])
            rows.append([local_id, *values])
        tables[label] = {"fields": header, "rows": rows, "dropped": dropped[label], "cleared": cleared}
    return order, tables, files


def build(root):
    """(members {name: bytes}, manifest dict) of root's subtree, without encryption."""
    order, tables, files = _collect(root)
    members = {f"data/{label}.json": _dumps({"fields": t["fields"], "rows": t["rows"]}) for label, t in tables.items()}
    members.update(files)
    manifest = {
        "format": FORMAT, "version": VERSION, "root": {"name": root.name, "kind": root.kind, "code": root.code},
        "order": order,
        "models": {label: {"fields": t["fields"], "rows": len(t["rows"]), "dropped": t["dropped"],
                           "cleared": t["cleared"]} for label, t in tables.items()},
        "sha256": {name: _sha256(data) for name, data in sorted(members.items())},
    }
    return members, manifest


def _key(passphrase, salt):
    if len(passphrase or "") < MIN_PASSPHRASE:
        raise ArchiveError(f"口令至少 {MIN_PASSPHRASE} 个字符。")
    return Scrypt(salt=salt, length=32, n=2 ** 15, r=8, p=1).derive(passphrase.encode("utf-8"))


def export_archive(root, passphrase, out, *, actor=None):
    """Write root's subtree to the file object `out` as an encrypted archive; returns the manifest."""
    key_salt = os.urandom(SALT_SIZE)
    key = _key(passphrase, key_salt)
    members, manifest = build(root)
    manifest["exported_at"] = timezone.now().isoformat()
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("manifest.json", _dumps(manifest))
        for name in sorted(members):
            bundle.writestr(name, members[name])
    out.write(MAGIC + key_salt)
    writer = EncryptingWriter(out, key, _sha256(key_salt)[:8])
    writer.write(plain.getvalue())
    writer.close()
    with transaction.atomic():
        audit.record(actor=actor, event=audit.Event.EXPORT, obj=root, object_repr=f"学校档案：{root.name}",
                     changes={"models": {k: v["rows"] for k, v in manifest["models"].items() if v["rows"]}})
    return manifest


# --- import ----------------------------------------------------------------------------------------------

def read_archive(source, passphrase):
    """(manifest, {name: bytes}) of an archive file object, authenticated and checked against its digests."""
    prefix = source.read(len(MAGIC) + SALT_SIZE)
    if len(prefix) < len(MAGIC) + SALT_SIZE or not prefix.startswith(MAGIC):
        raise ArchiveError("这不是本系统的学校档案文件（文件头不符）。")
    key = _key(passphrase, prefix[len(MAGIC):])
    try:
        header, _, chunk_size = read_header(source)
        reader = DecryptingReader(source, key, header, chunk_size)
        plain = reader.read(MAX_ARCHIVE + 1)
        reader.finish()
    except BackupError as exc:
        raise ArchiveError("口令不正确，或档案文件已损坏：" + str(exc)) from None
    if len(plain) > MAX_ARCHIVE:
        raise ArchiveError("档案过大。")
    try:
        with zipfile.ZipFile(io.BytesIO(plain)) as bundle:
            members = {name: bundle.read(name) for name in bundle.namelist()}
        manifest = json.loads(members.pop("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise ArchiveError("档案内容已损坏。") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ArchiveError("档案格式或版本不受支持。")
    if {name: _sha256(data) for name, data in members.items()} != manifest["sha256"]:
        raise ArchiveError("档案内容与清单的校验值不符，不能导入。")
    return manifest, members


def _check_compatible(manifest):
    travelling = travelling_models()
    problems = []
    for label, spec in manifest["models"].items():
        if label not in travelling:
            if spec["rows"]:
                problems.append(f"本系统没有“{label}”这类记录")
            continue
        model = travelling[label][0]
        fields, bases = _plain_fields(model)
        expected = ([f.name for f in fields] + [f"{b}:plain" for b in bases] + [f.name for f in _relations(model)]
                    + (["tree:relative_path"] if label == ORG else []))
        if spec["fields"] != expected:
            problems.append(f"“{label}”的字段与本系统版本不一致")
    if problems:
        raise ArchiveError("档案与本系统的版本不兼容：" + "；".join(problems) + "。请先把两边升级到同一版本。")
    return travelling


@contextmanager
def _keep_timestamps(model_list):
    """Stored creation/update times are the records' own: switch auto_now/auto_now_add off while inserting."""
    saved = []
    for model in model_list:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                saved.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _new_root(model, values, parent):
    if parent is None:
        return model.add_root(**values)
    parent.refresh_from_db()
    return parent.add_child(**values)


def import_archive(source, passphrase, *, parent=None, actor=None):
    """Import an archive under `parent` (None: as a new top-level organisation). All or nothing."""
    manifest, members = read_archive(source, passphrase)
    travelling = _check_compatible(manifest)
    order = [label for label in manifest["order"] if label in travelling]
    saved_files = []
    try:
        with transaction.atomic():
            try:
                root = _insert(order, travelling, members, parent, saved_files)
            except IntegrityError:
                raise ArchiveError("档案中的记录与本系统已有数据冲突（如同一身份证号已登记，或该校已导入过），"
                                   "未导入任何数据。") from None
            again, _ = build(root)
            for name, digest in manifest["sha256"].items():
                if _sha256(again.get(name, b"")) != digest:
                    raise ArchiveError(f"导入后的核对不一致（{name}），已撤销导入。")
            audit.record(actor=actor, event=audit.Event.IMPORT, obj=root, object_repr=f"学校档案：{root.name}",
                         changes={"models": {k: v["rows"] for k, v in manifest["models"].items() if v["rows"]},
                                  "source": manifest["root"]})
    except BaseException:
        for storage, name in saved_files:   # nothing stays behind from a refused import
            storage.delete(name)
        raise
    return root, manifest


def _insert(order, travelling, members, parent, saved_files):
    created = {}           # label -> {local id: new pk}
    deferred = {}          # (model, field attname) -> [(object, target label, local id)]
    root = None
    with _keep_timestamps([travelling[label][0] for label in order]):
        for label in order:
            model = travelling[label][0]
            table = json.loads(members[f"data/{label}.json"])
            fields, bases = _plain_fields(model)
            relations = _relations(model)
            by_name = {f.name: f for f in fields}
            objs, local_ids, pending = [], [], []
            for row in table["rows"]:
                local_id, values = row[0], dict(zip(table["fields"], row[1:]))
                obj = model()
                for name, field in by_name.items():
                    value = values[name]
                    if isinstance(field, models.FileField):
                        if value:
                            field_file = getattr(obj, name)
                            field_file.save(uuid.uuid4().hex + PurePosixPath(value).suffix, ContentFile(members[value]),
                                            save=False)
                            saved_files.append((field_file.storage, field_file.name))
                        continue
                    setattr(obj, field.attname, field.to_python(value) if value is not None else None)
                for base in bases:
                    plain = values[f"{base}:plain"]
                    if plain:
                        getattr(obj, f"set_{base}")(plain)
                later = []
                for field in relations:
                    ref = values[field.name]
                    target = _label(field.related_model)
                    if ref is None:
                        setattr(obj, field.attname, None)
                    elif ref in created.get(target, {}):
                        setattr(obj, field.attname, created[target][ref])
                    else:                     # an optional key to a row inserted later (or to its own model)
                        setattr(obj, field.attname, None)
                        later.append((field.attname, target, ref))
                if label == ORG:
                    relative = values["tree:relative_path"]
                    if relative == "":
                        root = _new_root(model, {f.attname: getattr(obj, f.attname) for f in fields}, parent)
                        created.setdefault(label, {})[local_id] = root.pk
                        continue
                    obj.path = root.path + relative
                    obj.depth = root.depth + len(relative) // model.steplen
                objs.append(obj)
                local_ids.append(local_id)
                pending.append(later)
            if label == ORG:
                paths = [o.path for o in objs] + [root.path]
                for obj in objs + [root]:
                    obj.numchild = sum(1 for p in paths if len(p) == len(obj.path) + model.steplen
                                       and p.startswith(obj.path))
                model.objects.filter(pk=root.pk).update(numchild=root.numchild)
            model._base_manager.bulk_create(objs, batch_size=1000)
            ids = created.setdefault(label, {})
            for local_id, obj, later in zip(local_ids, objs, pending):
                ids[local_id] = obj.pk
                for attname, target, ref in later:
                    deferred.setdefault((model, attname), []).append((obj, target, ref))
    for (model, attname), items in deferred.items():   # optional keys to rows inserted later: one batch per key
        for obj, target, ref in items:
            setattr(obj, attname, created[target][ref])
        model._base_manager.bulk_update([obj for obj, _, _ in items], [attname], batch_size=1000)
    return root
