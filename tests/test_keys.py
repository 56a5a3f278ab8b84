"""Field-encryption keys: ciphertexts name their key, old keys still decrypt, rotation is batched and
resumable, duplicate ID numbers are caught mid-rotation, and no plaintext ever reaches the database."""

import base64
import hashlib
import hmac
import io
import os
import subprocess
import sys
import textwrap
from datetime import date

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dangjian.core import crypto, keys
from dangjian.core.models import AuditLog
from dangjian.imports.models import ImportJob
from dangjian.members import services
from dangjian.members.models import Person, Status
from dangjian.orgs.models import Role
from tests.factories import make_id_number, make_person, make_user
from tests.test_roster_import import row, run

OLD = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # the suite's key (conftest)
NEW = base64.b64encode(bytes(range(100, 132))).decode()
OTHER = base64.b64encode(bytes(range(200, 232))).decode()


def kid(b64):
    return hashlib.sha256(base64.b64decode(b64)).hexdigest()[:8]


def use_keys(settings, current, *old):
    settings.FIELD_ENCRYPTION_KEY = current
    settings.FIELD_ENCRYPTION_OLD_KEYS = list(old)
    settings.FIELD_ENCRYPTION_OLD_KEYS_FILE = None
    crypto.reset_keys()


def people_values():
    return {p.pk: (p.get_id_number(), p.get_phone()) for p in Person.objects.order_by("pk")}


def key_ids(field):
    return {crypto.key_id_of_token(v) for v in Person.objects.exclude(**{field: ""}).values_list(field, flat=True)}


# --- format ------------------------------------------------------------------------------------------

def test_ciphertext_names_its_key_and_round_trips(settings):
    use_keys(settings, NEW)
    token = crypto.encrypt("11010119850520001X")
    assert token.startswith(kid(NEW) + ":")
    assert crypto.decrypt(token) == "11010119850520001X"
    assert crypto.encrypt("11010119850520001X") != token  # random nonce


def test_values_written_in_the_old_v1_format_still_decrypt(settings):
    use_keys(settings, OLD)
    enc = hmac.new(base64.b64decode(OLD), b"dangjian-field-encryption", hashlib.sha256).digest()
    nonce = os.urandom(12)
    legacy = "v1:" + base64.b64encode(nonce + AESGCM(enc).encrypt(nonce, b"13912345678", None)).decode()
    assert crypto.decrypt(legacy) == "13912345678"
    use_keys(settings, NEW, OLD)  # still readable once the key that wrote it became an old key
    assert crypto.decrypt(legacy) == "13912345678"


def test_old_keys_decrypt_and_a_missing_key_is_named(settings):
    use_keys(settings, OLD)
    token = crypto.encrypt("13912345678")
    use_keys(settings, NEW, OLD)
    assert crypto.decrypt(token) == "13912345678"
    use_keys(settings, NEW)
    with pytest.raises(ValueError, match=kid(OLD)):
        crypto.decrypt(token)


def test_old_keys_may_come_from_a_file_with_comments(settings, tmp_path):
    use_keys(settings, OLD)
    token = crypto.encrypt("13912345678")
    path = tmp_path / "old.keys"
    path.write_text(f"# retired 2025-01\n{OLD}\n\n{OTHER}\n")
    use_keys(settings, NEW)
    settings.FIELD_ENCRYPTION_OLD_KEYS_FILE = str(path)
    crypto.reset_keys()
    assert crypto.decrypt(token) == "13912345678"
    assert [k.key_id for k in crypto.keyring().all] == [kid(NEW), kid(OLD), kid(OTHER)]


def test_a_malformed_old_key_fails_loudly(settings):
    use_keys(settings, NEW, "not-base64!")
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


def test_blind_indexes_cover_every_known_key_current_first(settings):
    use_keys(settings, OLD)
    under_old = crypto.blind_index("11010119850520001x")
    use_keys(settings, NEW, OLD)
    indexes = crypto.blind_indexes("11010119850520001X")
    assert indexes == [crypto.blind_index("11010119850520001X"), under_old]
    assert indexes[0] != under_old


# --- rotation ----------------------------------------------------------------------------------------

@pytest.fixture
def people(tree, settings):
    use_keys(settings, OLD)
    made = [make_person(tree["branch_a1"] if i % 2 else tree["school_b"], birth=date(1980, 1, 1 + i))
            for i in range(5)]
    made.append(make_person(tree["branch_a2"]))
    Person.objects.filter(pk=made[-1].pk).update(phone_cipher="", phone_masked="")
    return made


def test_rotation_re_encrypts_every_value_and_recomputes_the_index(people, settings):
    before = people_values()
    use_keys(settings, NEW, OLD)

    done = keys.rotate(batch_size=2)

    assert done == 6 + 5  # six ID numbers, five phones
    assert key_ids("id_number_cipher") == key_ids("phone_cipher") == {kid(NEW)}
    assert people_values() == before
    for person in Person.objects.all():
        assert person.id_number_index == crypto.blind_index(person.get_id_number())
    assert Person.objects.get(pk=people[-1].pk).phone_cipher == ""
    use_keys(settings, NEW)  # the old key is no longer needed
    assert people_values() == before
    assert keys.rotate() == 0


def test_an_interrupted_rotation_resumes_where_it_stopped(people, settings):
    before = people_values()
    use_keys(settings, NEW, OLD)

    assert keys.rotate(batch_size=2, max_batches=1) == 2
    counts = keys.status()
    id_spec, phone_spec = keys.PROTECTED_FIELDS
    assert counts[id_spec] == {kid(NEW): 2, kid(OLD): 4}
    assert counts[phone_spec] == {kid(OLD): 5}
    assert keys.remaining() == 9
    assert people_values() == before  # the application reads both keys meanwhile

    assert keys.rotate(batch_size=2) == 9
    assert keys.remaining() == 0
    assert key_ids("id_number_cipher") == key_ids("phone_cipher") == {kid(NEW)}
    assert people_values() == before


def test_rotation_without_the_old_key_stops_with_a_clear_message_and_changes_nothing(people, settings):
    raw = list(Person.objects.order_by("pk").values_list("id_number_cipher", "id_number_index", "phone_cipher"))
    use_keys(settings, NEW)
    with pytest.raises(keys.RotationError, match=kid(OLD)):
        keys.rotate(batch_size=2)
    assert list(Person.objects.order_by("pk").values_list(
        "id_number_cipher", "id_number_index", "phone_cipher")) == raw


def test_rotate_command_reports_progress_and_writes_one_audit_row_without_keys(people, settings):
    use_keys(settings, NEW, OLD)
    out = io.StringIO()
    call_command("keys", "rotate", "--batch-size", "4", stdout=out)
    text = out.getvalue()
    assert "人员·身份证号：已重新加密 4 条，剩余 2 条" in text
    assert "完成：本次重新加密 11 条" in text
    entry = AuditLog.objects.get(object_repr="字段加密密钥")
    assert entry.event == "update" and entry.username == "(命令行)"
    assert entry.changes["after"]["本次重新加密"] == 11
    stored = str(entry.changes) + entry.object_id
    for secret in (OLD, NEW):
        assert secret not in stored and base64.b64decode(secret).hex() not in stored

    out = io.StringIO()
    call_command("keys", "status", stdout=out)
    assert f"人员·身份证号：{kid(NEW)}（当前）6 条" in out.getvalue()
    assert "全部密文均在当前密钥下" in out.getvalue()


def test_status_command_flags_values_under_a_key_that_is_not_configured(people, settings):
    use_keys(settings, NEW)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("keys", "status", stdout=out, stderr=err)
    assert exc.value.code == 1
    assert f"{kid(OLD)}（密钥缺失）6 条" in out.getvalue()
    assert "无法解密" in err.getvalue()
    with pytest.raises(CommandError, match="无法解密"):
        call_command("keys", "rotate", stdout=io.StringIO())


def test_generate_prints_a_fresh_32_byte_key():
    out = io.StringIO()
    call_command("keys", "generate", stdout=out)
    first = out.getvalue().strip()
    call_command("keys", "generate", stdout=out)
    assert len(base64.b64decode(first, validate=True)) == 32
    assert out.getvalue().split()[1] != first


# --- duplicate ID numbers mid-rotation -------------------------------------------------------------

def test_the_same_id_number_is_refused_while_the_first_is_still_under_the_old_key(tree, settings):
    use_keys(settings, OLD)
    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    number = make_id_number(date(1988, 3, 8), 7, female=True)
    services.person_create(actor=secretary, org=tree["branch_a1"], name="张红", gender="F",
                           birth_date=date(1988, 3, 8), status=Status.FULL, id_number=number,
                           joined_on=date(2012, 6, 20), full_member_on=date(2013, 6, 20))
    use_keys(settings, NEW, OLD)  # rotation has not reached her yet
    with pytest.raises(ValidationError, match="已登记在其他人员名下"):
        services.person_create(actor=secretary, org=tree["branch_a2"], name="张红", gender="F",
                               birth_date=date(1988, 3, 8), status=Status.FULL, id_number=number.lower(),
                               joined_on=date(2012, 6, 20), full_member_on=date(2013, 6, 20))
    assert Person.objects.count() == 1


def test_roster_import_finds_registered_numbers_under_either_key(client, tree, settings):
    use_keys(settings, OLD)
    old_person = make_person(tree["school_b"], birth=date(1975, 1, 1))
    use_keys(settings, NEW, OLD)
    new_person = make_person(tree["school_b"], birth=date(1976, 2, 2))
    client.force_login(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    twice = make_id_number(date(1988, 8, 8))
    job = run(client, [
        row(name="甲", birth_date="1975-01-01", id_number=old_person.get_id_number()),
        row(name="乙", birth_date="1976-02-02", id_number=new_person.get_id_number()),
        row(name="丙", birth_date="1988-08-08", id_number=twice),
        row(name="丁", birth_date="1988-08-08", id_number=twice),
    ])
    assert job.status == ImportJob.State.FAILED
    assert job.errors == [
        [2, "身份证号", "该身份证号已登记在系统中，不能重复建档"],
        [3, "身份证号", "该身份证号已登记在系统中，不能重复建档"],
        [5, "身份证号", "与第4行的身份证号重复"],
    ]
    assert Person.objects.count() == 2


# --- no plaintext in the database ------------------------------------------------------------------

SAMPLE_PEOPLE = [
    (make_id_number(date(1981, 2, 3), 11), "13912340001", date(1981, 2, 3)),
    (make_id_number(date(1990, 12, 30), 12, female=True), "13987650002", date(1990, 12, 30)),
    (make_id_number(date(1979, 7, 7), 13), "057188776655", date(1979, 7, 7)),
]


def _encodings(text):
    forms = {text, text.lower()}
    found = []
    for form in forms:
        for encoding in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le"):
            found.append(form.encode(encoding))
    return found


def test_the_sqlite_database_file_never_holds_a_plaintext_id_number_or_phone(tmp_path):
    db = tmp_path / "plain.sqlite3"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dangjian.settings", "DANGJIAN_TESTING": "1",
           "DATABASE_URL": f"sqlite:///{db}", "DANGJIAN_VAR_DIR": str(tmp_path), "FIELD_ENCRYPTION_KEY": NEW}
    env.pop("FIELD_ENCRYPTION_OLD_KEYS", None)
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"], env=env, check=True, cwd=_root())
    script = textwrap.dedent(f"""
        import datetime
        from datetime import date
        from django.db import connection
        from dangjian.members import services
        from dangjian.members.models import Status
        from dangjian.orgs.models import Role
        from tests.factories import make_tree, make_user
        tree = make_tree()
        actor = make_user(role=Role.SECRETARY, org=tree["school_a"])
        for i, (number, phone, birth) in enumerate({SAMPLE_PEOPLE!r}):
            person = services.person_create(actor=actor, org=tree["branch_a1"], name=f"测试{{i}}", gender="M",
                                            birth_date=birth, status=Status.FULL, id_number=number, phone=phone,
                                            joined_on=date(2010, 7, 1), full_member_on=date(2011, 7, 1))
            services.person_update(actor=actor, person=person, phone=phone + "9")
            services.person_update(actor=actor, person=person, phone=phone)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
    """)
    subprocess.run([sys.executable, "-m", "django", "shell", "-c", script], env=env, check=True, cwd=_root())
    files = [p for p in tmp_path.iterdir() if p.name.startswith("plain.sqlite3")]
    data = b"".join(p.read_bytes() for p in files)
    assert b"\xe6\xb5\x8b\xe8\xaf\x95" in data  # "测试": the names are there, so the scan reads real rows
    for number, phone, _ in SAMPLE_PEOPLE:
        for value in (number, phone, phone + "9"):
            for encoded in _encodings(value):
                assert encoded not in data, f"plaintext {value!r} found in the database file"


@pytest.mark.django_db
def test_postgresql_rows_never_hold_a_plaintext_id_number_or_phone(tree):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (DATABASE_URL=postgres://…); on SQLite the database-file test covers this")
    actor = make_user(role=Role.SECRETARY, org=tree["school_a"])
    for i, (number, phone, birth) in enumerate(SAMPLE_PEOPLE):
        services.person_create(actor=actor, org=tree["branch_a1"], name=f"测试{i}", gender="M", birth_date=birth,
                               status=Status.FULL, id_number=number, phone=phone, joined_on=date(2010, 7, 1),
                               full_member_on=date(2011, 7, 1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM members_person t")
        person_rows = "\n".join(r[0] for r in cursor.fetchall())
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        everything = []
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT t::text FROM "{table}" t')
            everything.extend(r[0] for r in cursor.fetchall())
    assert "测试0" in person_rows
    text = "\n".join(everything)
    for number, phone, _ in SAMPLE_PEOPLE:
        for value in (number, number.lower(), phone):
            assert value not in person_rows
            assert value not in text


def _root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
