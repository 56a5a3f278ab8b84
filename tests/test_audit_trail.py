"""The audit trail: hash chain, append-only at model and database level, no full ID numbers,
`dangjian audit verify`, and the audit administrator's browser."""

import csv
import io
import json
from datetime import date, datetime, timezone as dt_timezone

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from dangjian.core import audit
from dangjian.core.audit import GENESIS, Event, hashed_fields, row_hash, verify_chain
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from tests.factories import make_id_number, make_person, make_user

pytestmark = pytest.mark.django_db

AUDIT = reverse("core:audit")


def add_rows(n, **kwargs):
    return [audit.record(event=Event.UPDATE, object_type="test.thing", object_id=str(i), object_repr=f"东西{i}",
                         changes={"before": {"n": i}, "after": {"n": i + 1}}, **kwargs) for i in range(n)]


def forge(**overrides):
    """Append a row behind the application's back (bulk_create skips save()), with a bad hash by default."""
    last = AuditLog.objects.order_by("-id").first()
    fields = dict(at=datetime(2026, 1, 1, tzinfo=dt_timezone.utc), username="mallory", role="", ip=None,
                  event=Event.LOGIN, object_type="", object_id="", object_repr="", outcome="success", changes={},
                  prev_hash=last.hash if last else GENESIS, hash="f" * 64)
    fields.update(overrides)
    AuditLog.objects.bulk_create([AuditLog(**fields)])
    return AuditLog.objects.order_by("-id").first()


@pytest.fixture
def auditor_client(db):
    client = Client()
    client.force_login(make_user("auditor", admin_role="audit"))
    return client


# --- the chain -----------------------------------------------------------------------------

def test_rows_are_chained_and_the_chain_verifies():
    rows = add_rows(5)
    assert rows[0].prev_hash == GENESIS
    for prev, row in zip(rows, rows[1:]):
        assert row.prev_hash == prev.hash
    for row in AuditLog.objects.all():
        assert row.hash == row_hash(row.prev_hash, hashed_fields(row))  # re-computes after the round trip
    assert verify_chain() == (True, 5, None)
    assert verify_chain(batch_size=2) == (True, 5, None)


def test_an_empty_trail_verifies():
    assert verify_chain() == (True, 0, None)


def test_raw_sql_cannot_update_an_audit_row():
    row = add_rows(3)[1]
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditlog SET object_repr = %s WHERE id = %s", ["篡改", row.id])
    row.refresh_from_db()
    assert row.object_repr == "东西1"
    assert verify_chain() == (True, 3, None)


def test_raw_sql_delete_is_refused_or_detected():
    rows = add_rows(3)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditlog WHERE id = %s", [rows[1].id])
    except DatabaseError:
        assert connection.vendor == "postgresql"  # the trigger refuses
        assert verify_chain() == (True, 3, None)
    else:
        # SQLite has no delete trigger: the gap breaks the chain at the next row.
        assert verify_chain() == (False, 1, rows[2].id)


def test_verify_reports_a_forged_row_with_a_wrong_hash():
    add_rows(3)
    forged = forge()
    add_rows(1)
    assert verify_chain() == (False, 3, forged.id)


def test_verify_reports_a_forged_row_whose_hash_fits_its_content_but_not_the_chain():
    add_rows(2)
    forged = AuditLog(at=datetime(2026, 1, 1, tzinfo=dt_timezone.utc), username="mallory", role="", ip=None,
                      event=Event.LOGIN, object_type="", object_id="", object_repr="", outcome="success",
                      changes={}, prev_hash=GENESIS)
    forged.hash = row_hash(GENESIS, hashed_fields(forged))
    AuditLog.objects.bulk_create([forged])
    forged = AuditLog.objects.order_by("-id").first()
    assert verify_chain() == (False, 2, forged.id)


def test_audit_verify_command_exit_codes(capsys):
    add_rows(4)
    call_command("audit", "verify")  # returns normally: exit status 0
    assert "审计链完整：共 4 条" in capsys.readouterr().out
    forged = forge()
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify")
    assert exc.value.code == 1
    assert f"审计链在第 {forged.id} 条断裂" in capsys.readouterr().err


# --- append-only at model level --------------------------------------------------------------

def test_model_level_update_and_delete_raise():
    row = add_rows(2)[0]
    row.object_repr = "篡改"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.filter(pk=row.pk).update(object_repr="篡改")
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.count() == 2 and verify_chain() == (True, 2, None)


# --- personal data ---------------------------------------------------------------------------

def test_no_full_id_number_is_ever_stored_in_the_audit_trail():
    id_number = make_id_number(date(1990, 3, 7))
    x_number = "11010519491231002X"
    masked = id_number[:6] + "********" + id_number[14:]
    row = audit.record(event=Event.UPDATE, object_type="members.person", object_id="1",
                       object_repr=f"张三 {id_number}",
                       changes={"before": {"id_number": id_number, "note": f"证件号{id_number}。"},
                                "after": {"list": [id_number, {"deep": x_number}], id_number: "key"}})
    with connection.cursor() as cursor:
        cursor.execute("SELECT changes, object_repr FROM core_auditlog WHERE id = %s", [row.id])
        stored_changes, stored_repr = cursor.fetchone()
    stored = stored_changes if isinstance(stored_changes, str) else json.dumps(stored_changes, ensure_ascii=False)
    assert id_number not in stored and id_number not in stored_repr and x_number not in stored
    assert masked in stored and "110105********002X" in stored and stored_repr == f"张三 {masked}"
    assert verify_chain() == (True, 1, None)


def test_person_snapshots_in_the_trail_carry_only_the_masked_id_number(tree):
    person = make_person(tree["branch_a1"])
    full = person.get_id_number()
    audit.record(event=Event.UPDATE, obj=person, changes={"after": person.snapshot()})
    assert full not in json.dumps(list(AuditLog.objects.values_list("changes", flat=True)), ensure_ascii=False)


# --- the browser ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["security", "system", "org_admin", "discipline", "plain"])
def test_everyone_but_the_audit_admin_gets_403(tree, kind):
    if kind in ("security", "system"):
        user = make_user(admin_role=kind)
    elif kind == "plain":
        user = make_user()
    else:
        user = make_user(role=kind, org=tree["district"])
    client = Client()
    client.force_login(user)
    for response in (client.get(AUDIT), client.get(AUDIT, {"export": "csv"}), client.post(AUDIT, {"verify": "1"})):
        assert response.status_code == 403
    assert not AuditLog.objects.filter(event=Event.EXPORT).exists()
    denied = AuditLog.objects.filter(event=Event.DENIED, username=user.username)
    assert denied.count() == 3 and denied.first().changes == {"path": AUDIT}


def test_anonymous_users_are_sent_to_log_in():
    response = Client().get(AUDIT)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_the_audit_admin_holds_no_party_data(tree, auditor_client):
    assert auditor_client.get(reverse("orgs:tree")).status_code == 403
    assert auditor_client.get(reverse("members:roster")).status_code == 403
    assert auditor_client.get(reverse("accounts:users")).status_code == 403


def _at(monkeypatch, when):
    monkeypatch.setattr(audit, "_now_ms", lambda: when)


def test_the_page_shows_shanghai_time_with_its_offset_and_readable_changes(monkeypatch, auditor_client):
    _at(monkeypatch, datetime(2026, 11, 23, 11, 21, 5, tzinfo=dt_timezone.utc))
    audit.record(event=Event.ROLE_GRANT, object_type="accounts.user", object_id="7", object_repr="teacher1",
                 username="sec", changes={"before": {}, "after": {"org": "实验中学党总支", "role": "书记"}})
    audit.record(event=Event.UPDATE, object_type="accounts.user", object_id="7", object_repr="teacher1",
                 username="sec", changes={"action": "停用账户", "before": {"is_active": True},
                                          "after": {"is_active": False}})
    html = auditor_client.get(AUDIT).content.decode()
    assert "2026-11-23 19:21:05 +08:00" in html
    assert "授予角色" in html and "修改" in html
    assert "<td>组织</td><td>—</td><td>实验中学党总支</td>" in html
    assert "<td>启用</td><td>是</td><td>否</td>" in html
    assert "停用账户" in html


def test_the_filters_narrow_the_list(monkeypatch, auditor_client):
    _at(monkeypatch, datetime(2025, 3, 21, 3, 0, tzinfo=dt_timezone.utc))
    audit.record(event=Event.LOGIN, username="alice")
    # 2025-03-22 16:30 UTC is already 2025-03-23 00:30 in Shanghai.
    _at(monkeypatch, datetime(2025, 3, 22, 16, 30, tzinfo=dt_timezone.utc))
    audit.record(event=Event.LOGIN_FAILED, username="bob", outcome="failure")
    _at(monkeypatch, datetime(2025, 3, 24, 2, 0, tzinfo=dt_timezone.utc))
    audit.record(event=Event.UPDATE, username="alice", object_type="orgs.organisation", object_id="12",
                 object_repr="实验中学第一党支部")
    audit.record(event=Event.UPDATE, username="carol", object_type="members.person", object_id="12",
                 object_repr="王小明")
    monkeypatch.undo()

    def shown(**params):
        response = auditor_client.get(AUDIT, params)
        assert response.status_code == 200
        return [(row["entry"].username, row["entry"].event) for row in response.context["entries"]]

    # Four rows plus the audit admin's own login; reading the page writes nothing.
    assert len(shown()) == 5 and len(shown()) == 5
    assert shown(date_from="2025-03-23", date_to="2025-03-23") == [("bob", Event.LOGIN_FAILED)]
    assert shown(date_to="2025-03-22") == [("alice", Event.LOGIN)]
    assert shown(date_from="2025-03-24", date_to="2025-03-31") == [("carol", Event.UPDATE), ("alice", Event.UPDATE)]
    assert shown(username="alice") == [("alice", Event.UPDATE), ("alice", Event.LOGIN)]
    assert shown(event=Event.LOGIN_FAILED) == [("bob", Event.LOGIN_FAILED)]
    assert shown(outcome="failure") == [("bob", Event.LOGIN_FAILED)]
    assert shown(object_type="orgs.organisation", object_id="12") == [("alice", Event.UPDATE)]
    assert shown(object_id="12") == [("carol", Event.UPDATE), ("alice", Event.UPDATE)]
    assert shown(q="党支部") == [("alice", Event.UPDATE)]
    assert shown(username="alice", event=Event.LOGIN) == [("alice", Event.LOGIN)]


def test_bad_filters_are_explained_and_change_nothing(auditor_client):
    add_rows(2)
    response = auditor_client.get(AUDIT, {"date_from": "2026-11-25", "date_to": "2026-11-01"})
    assert "起始日期不能晚于截止日期" in response.content.decode()
    response = auditor_client.get(AUDIT, {"date_from": "not-a-date", "event": "nonsense"})
    assert response.status_code == 200 and "有效的日期" in response.content.decode()
    assert len(response.context["entries"]) == AuditLog.objects.count() == 3  # two rows and the login


def test_the_page_paginates(auditor_client, settings):
    settings.PAGE_SIZE = 2
    add_rows(5)
    response = auditor_client.get(AUDIT, {"page": "3", "event": Event.UPDATE})
    assert [r["entry"].object_repr for r in response.context["entries"]] == ["东西0"]
    assert response.context["page"].paginator.num_pages == 3


def test_the_page_issues_a_fixed_number_of_queries(auditor_client, django_assert_num_queries):
    add_rows(3)
    auditor_client.get(AUDIT)
    with django_assert_num_queries(9):
        assert auditor_client.get(AUDIT).status_code == 200
    add_rows(80)
    with django_assert_num_queries(9):
        assert auditor_client.get(AUDIT, {"event": Event.UPDATE, "q": "东西", "page": "2"}).status_code == 200


def test_the_verify_button_reports_an_intact_chain_and_then_the_first_broken_row(auditor_client):
    add_rows(3)
    response = auditor_client.post(AUDIT, {"verify": "1"})
    count = AuditLog.objects.count()
    assert f"审计链完整：共 {count} 条" in response.content.decode()
    forged = forge()
    response = auditor_client.post(AUDIT + "?event=update", {"verify": "1"})
    assert f"审计链在第 {forged.id} 条断裂" in response.content.decode()
    assert response.context["verify"] == {"ok": False, "count": count, "broken": forged.id}


def test_csv_export_holds_the_filtered_rows_and_is_itself_audited(auditor_client):
    add_rows(3)
    audit.record(event=Event.LOGIN, username="alice")
    audit.record(event=Event.UPDATE, username="x", object_repr="=HYPERLINK(\"http://evil\")")
    response = auditor_client.get(AUDIT, {"event": Event.UPDATE, "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:6] == ["编号", "时间", "用户", "角色", "IP", "事件"]
    assert len(rows) == 1 + 4 and {r[5] for r in rows[1:]} == {"修改"}
    assert "'=HYPERLINK(\"http://evil\")" in [r[8] for r in rows[1:]]  # no formula injection
    assert rows[1][1].endswith("+08:00")
    export = AuditLog.objects.get(event=Event.EXPORT)
    assert export.username == "auditor" and export.changes["format"] == "csv"
    assert export.changes["filters"] == {"event": Event.UPDATE} and export.changes["rows"] == 4
    assert verify_chain()[0]


def test_xlsx_export_is_a_workbook_and_is_audited(auditor_client):
    from openpyxl import load_workbook

    add_rows(2)
    response = auditor_client.get(AUDIT, {"export": "xlsx", "username": ""})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "编号" and len(values) == 1 + 3  # two rows and the login
    assert [v[8] for v in values[1:]] == ["东西1", "东西0", None]
    assert AuditLog.objects.filter(event=Event.EXPORT, changes__format="xlsx").count() == 1


def test_the_audit_trail_records_who_did_what_through_the_user_pages(tree, auditor_client):
    security = make_user("sec", admin_role="security")
    client = Client(REMOTE_ADDR="172.16.0.8")
    client.force_login(security)
    target = make_user("target")
    client.post(reverse("accounts:user_role_grant", args=[target.pk]),
                {"org": tree["school_a"].pk, "role": Role.VIEWER})
    response = auditor_client.get(AUDIT, {"object_type": "accounts.user", "object_id": str(target.pk)})
    [row] = response.context["entries"]
    entry = row["entry"]
    assert (entry.username, entry.role, entry.ip, entry.event) == ("sec", "安全管理员", "172.16.0.8",
                                                                    Event.ROLE_GRANT)
    assert "实验中学党总支" in response.content.decode()


def test_a_hostile_object_id_and_path_with_nul_characters_are_recorded_without_them():
    """A denied request for /…/a\\x00b is still audited (PostgreSQL cannot store NUL in text or jsonb)."""
    entry = audit.record(event=Event.DENIED, object_type="pipeline.documenttemplate", object_id="ta\x00lk",
                         outcome="denied", changes={"path": "/api/pipeline/templates/ta\x00lk"})
    stored = AuditLog.objects.get(pk=entry.pk)
    assert stored.object_id == "talk"
    assert stored.changes == {"path": "/api/pipeline/templates/talk"}
    assert verify_chain()[0]
