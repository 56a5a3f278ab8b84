"""Roster import from Excel (.xlsx): all or nothing.

1. `roster_import_submit` checks the upload (size, really an .xlsx) and stores it in an ImportJob.
2. `roster_import_start` runs `roster_import_run` now (tests) or in a background thread (production).
3. `roster_import_run` reads every row once, validates every cell and collects *all* errors
   as [row, column, reason]; progress is committed every PROGRESS_EVERY rows so the browser can poll it.
   Any error: nothing is imported and the job fails with the error list. No error: every person, their
   OrgMembership and StatusEvent rows and one audit row are written in ONE transaction (bulk_create).

Per-row work stays cheap: organisations and 党小组 are loaded once, duplicate ID numbers are looked up
by blind index in chunks, and nothing queries the database per row.
"""

import contextvars
import io
import logging
import os
import re
import threading
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from dangjian.core.registry import refresh_planner_statistics
from dangjian.core import audit, crypto, idnumber, scoping
from dangjian.imports.models import ImportJob
from dangjian.orgs.models import WRITE_ROLES, Organisation, OrgKind

from . import services
from .models import ENDED_STATUSES, Education, Gender, Occupation, OrgMembership, Person, Status, StatusEvent

logger = logging.getLogger(__name__)

MAX_ROWS = 50_000  # one district (≈12 000 members) fits; a province imports district by district
PROGRESS_EVERY = 500
BATCH_SIZE = 1000
INDEX_CHUNK = 500
SHEET_TITLE = "党员名册"
HELP_SHEET_TITLE = "填写说明"


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool = False
    help: str = ""


IMPORTABLE_STATUSES = [s for s in Status if s not in ENDED_STATUSES]
YES_WORDS = {"是", "√", "Y", "YES", "1", "TRUE", "T"}
NO_WORDS = {"否", "×", "N", "NO", "0", "FALSE", "F"}

COLUMNS = [
    Column("姓名", "name", True, "必填，不超过50字。"),
    Column("性别", "gender", True, "必填：男 / 女。"),
    Column("民族", "ethnicity", False, "如“汉族”“回族”；不填默认为汉族。"),
    Column("出生日期", "birth_date", True, "必填，格式 YYYY-MM-DD，如 1985-05-20。"),
    Column("身份证号", "id_number", False, "18位居民身份证号，末位可为X；须与出生日期一致，不得与系统中已有人员或本文件其他行重复。"
                                       "请以文本格式填写，避免 Excel 把号码变成科学计数法。"),
    Column("手机号", "phone", False, "选填，数字，可含“-”“+”。"),
    Column("学历", "education", False, "选填：" + " / ".join(Education.labels) + "。"),
    Column("职业类别", "occupation", False, "选填：" + " / ".join(Occupation.labels) + "；不填默认为专业技术人员。"),
    Column("职称", "professional_title", False, "选填，如“一级教师”，不超过30字。"),
    Column("所在党组织", "org", True, "必填：组织编码或组织的完整名称；须为您有维护权限、未撤销的党支部（或党总支、党委），"
                                  "不能填党小组。同名组织请填组织编码。"),
    Column("党小组", "group", False, "选填：所在党组织下党小组的完整名称。"),
    Column("政治面貌", "status", True, "必填：" + " / ".join(s.label for s in IMPORTABLE_STATUSES) + "。"),
    Column("申请入党日期", "applied_on", False, "选填，格式 YYYY-MM-DD。"),
    Column("入党日期", "joined_on", False, "支部大会通过接收为预备党员的日期，格式 YYYY-MM-DD；正式党员、预备党员必填。"),
    Column("转正日期", "full_member_on", False, "预备期满之日（党龄自此计算），格式 YYYY-MM-DD；不能早于入党日期。"),
    Column("班主任", "is_class_teacher", False, "是 / 否，不填为否。"),
    Column("教研组长", "is_research_lead", False, "是 / 否，不填为否。"),
    Column("骨干教师", "is_backbone", False, "是 / 否，不填为否。"),
    Column("行政", "is_administrative", False, "是 / 否，不填为否。"),
]
# The 16 basic items of the national Party member information system (全国党员管理信息系统), in its order.
# Only 党员 are kept there; 党籍状态 “停止党籍” maps to that status here.
STANDING_NORMAL, STANDING_SUSPENDED = "正常", Status.SUSPENDED.label
NATIONAL_COLUMNS = [
    Column("姓名", "name", True, "必填。"),
    Column("性别", "gender", True, "男 / 女。"),
    Column("公民身份号码", "id_number", True, "18位居民身份证号（文本格式）。"),
    Column("民族", "ethnicity", False, "如“汉族”。"),
    Column("出生日期", "birth_date", True, "YYYY-MM-DD。"),
    Column("学历", "education", False, " / ".join(Education.labels) + "。"),
    Column("人员类别", "status", True, "正式党员 / 预备党员。"),
    Column("所在党支部", "org", True, "组织编码或完整名称。"),
    Column("入党日期", "joined_on", True, "YYYY-MM-DD。"),
    Column("转为正式党员日期", "full_member_on", False, "YYYY-MM-DD；预备党员不填。"),
    Column("工作岗位", "occupation", False, " / ".join(Occupation.labels) + "。"),
    Column("手机号码", "phone", False, "数字。"),
    Column("党籍状态", "standing", False, f"{STANDING_NORMAL} / {STANDING_SUSPENDED}；不填为{STANDING_NORMAL}。"),
    Column("是否失联党员", "lost_contact", False, "是 / 否。"),
    Column("是否流动党员", "is_mobile", False, "是 / 否。"),
    Column("申请入党日期", "applied_on", False, "YYYY-MM-DD。"),
]
NATIONAL_STATUSES = {Status.FULL.label: Status.FULL, Status.PROBATIONARY.label: Status.PROBATIONARY}


@dataclass(frozen=True)
class Layout:
    key: str
    label: str
    sheet_title: str
    columns: list

    @property
    def headers(self):
        return {c.key: c.header for c in self.columns}


PLATFORM = Layout("platform", "平台名册模板", SHEET_TITLE, COLUMNS)
NATIONAL = Layout("national", "全国党员管理信息系统格式（16项）", "党员基本信息", NATIONAL_COLUMNS)


def detect_layout(header_cells):
    """The national layout when its distinctive headers are present, else the platform's."""
    headers = {clean_header(value) for value in header_cells}
    return NATIONAL if {"公民身份号码", "人员类别", "所在党支部"} <= headers else PLATFORM


BOOL_KEYS = ("is_class_teacher", "is_research_lead", "is_backbone", "is_administrative", "lost_contact", "is_mobile")
DATE_KEYS = ("applied_on", "joined_on", "full_member_on")

GENDER_BY_LABEL = {label: value for value, label in Gender.choices}
STATUS_BY_LABEL = {s.label: s.value for s in IMPORTABLE_STATUSES}
ENDED_LABELS = {s.label for s in ENDED_STATUSES}
EDUCATION_BY_LABEL = {label: value for value, label in Education.choices}
# Common short forms people type for the official labels.
EDUCATION_BY_LABEL.update({"本科": Education.BACHELOR, "大学": Education.BACHELOR, "专科": Education.COLLEGE,
                           "大专": Education.COLLEGE, "硕士": Education.POSTGRADUATE, "博士": Education.POSTGRADUATE,
                           "硕士研究生": Education.POSTGRADUATE, "博士研究生": Education.POSTGRADUATE,
                           "高中": Education.HIGH_SCHOOL, "中技": Education.HIGH_SCHOOL, "初中": Education.JUNIOR})
OCCUPATION_BY_LABEL = {label: value for value, label in Occupation.choices}

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MAX_LENGTH = {key: Person._meta.get_field(key).max_length for key in ("name", "ethnicity", "professional_title")}
_MAX_LENGTH["phone"] = Person._meta.get_field("phone_masked").max_length

MSG_UNKNOWN_ORG = "未找到该党组织，或您无权在该组织中维护人员（请填写组织编码或完整名称）"
MSG_UNREADABLE = "文件内容无法读取，请用 Excel 打开后另存为 .xlsx 再上传。"
MSG_SYSTEM_ERROR = "导入过程中发生系统错误，未导入任何数据。请稍后重试或联系管理员。"


class CellError(Exception):
    pass


# --- who may import --------------------------------------------------------------------------

def can_import(user):
    """Users holding a write role (组织管理员/书记) on at least one organisation."""
    return bool(scoping.scope_paths(user, WRITE_ROLES))


# --- cell parsing -----------------------------------------------------------------------------

def clean_header(value):
    if value is None:
        return ""
    return re.sub(r"[\s*＊]", "", str(value))


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def parse_date(value):
    """A date cell, or text YYYY-MM-DD (also YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日); None when empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError("不是有效的日期，请按 YYYY-MM-DD 格式填写")
    text = cell_text(value)
    if not text:
        return None
    match = _DATE_RE.match(text)
    if not match:
        raise CellError(f"“{text[:20]}”不是有效的日期，请按 YYYY-MM-DD 格式填写")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise CellError(f"日期“{text}”不存在") from None


def parse_bool(value):
    text = cell_text(value).upper()
    if text == "" or text in NO_WORDS:
        return False
    if text in YES_WORDS:
        return True
    raise CellError("应填写“是”或“否”")


# --- organisations, loaded once ------------------------------------------------------------------

class OrgDirectory:
    """The organisations the actor may write to, indexed by code and by exact name."""

    def __init__(self, actor):
        orgs = list(Organisation.objects.filter(scoping.scope_q(actor, "path", WRITE_ROLES)))
        self.by_code, self.by_name, self.groups = {}, {}, {}
        for org in orgs:
            if org.code:
                self.by_code.setdefault(org.code, []).append(org)
            self.by_name.setdefault(org.name, []).append(org)
            if org.kind == OrgKind.GROUP and org.dissolved_on is None:
                self.groups[(org.path[: -Organisation.steplen], org.name)] = org
        self._cache = {}

    def resolve(self, text):
        """(organisation, None) or (None, Chinese reason)."""
        if text not in self._cache:
            self._cache[text] = self._resolve(text)
        return self._cache[text]

    def _resolve(self, text):
        candidates = self.by_code.get(text) or self.by_name.get(text) or []
        if not candidates:
            return None, MSG_UNKNOWN_ORG
        usable = [o for o in candidates if o.dissolved_on is None and o.kind != OrgKind.GROUP]
        if len(usable) == 1:
            return usable[0], None
        if len(usable) > 1:
            return None, "有多个同名党组织，请改填组织编码"
        try:
            services._check_org(candidates[0])
        except ValidationError as exc:
            return None, exc.message_dict["org"][0].rstrip("。")
        return None, MSG_UNKNOWN_ORG

    def group(self, org, name):
        return self.groups.get((org.path, name))


# --- the row validator --------------------------------------------------------------------------

class RosterValidator:
    """Validates rows one by one, collecting every error; builds the Person objects while the file is clean."""

    def __init__(self, actor, *, today=None, layout=PLATFORM):
        self.actor = actor
        self.layout = layout
        self.headers = layout.headers
        self.today = today or date.today()
        self.orgs = OrgDirectory(actor)
        self.errors = []  # [row, column, reason]
        self.people = []  # Person objects (only while no error was found)
        self.seen_index = {}  # blind index -> first row number
        self.bad_cells = set()  # (row, key)
        self.row_count = 0

    def error(self, row, key, reason):
        self.errors.append([row, self.headers.get(key, key), reason])
        self.bad_cells.add((row, key))

    def validate_row(self, rownum, cells):
        """`cells`: {key: raw cell value}."""
        self.row_count += 1
        bad = {}

        def fail(key, reason):
            if key not in bad:
                bad[key] = reason

        def text(key, required=False):
            value = cell_text(cells.get(key))
            if required and not value:
                fail(key, "必填项未填写")
            limit = _MAX_LENGTH.get(key)
            if limit and len(value) > limit:
                fail(key, f"不能超过{limit}个字符")
            return value

        def choice(key, mapping, required=False, default="", unknown=""):
            value = text(key, required)
            if not value:
                return default
            if value not in mapping:
                fail(key, unknown or f"“{value[:20]}”不是有效的{self.headers[key]}")
                return default
            return mapping[value]

        def a_date(key, required=False):
            try:
                value = parse_date(cells.get(key))
            except CellError as exc:
                fail(key, str(exc))
                return None
            if required and value is None:
                fail(key, "必填项未填写")
            return value

        name = text("name", required=True)
        gender = choice("gender", GENDER_BY_LABEL, required=True, unknown="应填写“男”或“女”")
        ethnicity = text("ethnicity") or "汉族"
        birth_date = a_date("birth_date", required=True)

        # ID number: format and check digit, birth date, duplicates in the file (the database comes later).
        raw_id = cells.get("id_number")
        id_number = ""
        if isinstance(raw_id, float) or (isinstance(raw_id, int) and not isinstance(raw_id, bool)):
            fail("id_number", "身份证号须以文本格式填写（数字格式会丢失末尾几位），请将该列设为“文本”后重新输入")
        else:
            id_number = idnumber.normalise(cell_text(raw_id))
            if id_number:
                problem = services.id_number_error(id_number, birth_date)
                if problem:
                    fail("id_number", problem)
                else:
                    current, *older = crypto.blind_indexes(id_number)
                    first = self.seen_index.setdefault(current, rownum)
                    if first != rownum:
                        fail("id_number", f"与第{first}行的身份证号重复")
                    for index in older:  # mid key rotation, registered numbers may carry an old key's index
                        self.seen_index.setdefault(index, rownum)

        phone = text("phone")
        if services.phone_error(phone):
            fail("phone", services.phone_error(phone).rstrip("。"))
        education = choice("education", EDUCATION_BY_LABEL)
        occupation = choice("occupation", OCCUPATION_BY_LABEL, default=Occupation.PROFESSIONAL)
        professional_title = text("professional_title")

        org = None
        org_text = text("org", required=True)
        if org_text:
            org, reason = self.orgs.resolve(org_text)
            if reason:
                fail("org", reason)
        group = None
        group_text = text("group")
        if group_text and org is not None:
            group = self.orgs.group(org, group_text)
            if group is None:
                fail("group", f"“{org.name}”下没有名为“{group_text[:20]}”的党小组")

        status_text = text("status", required=True)
        status = ""
        if status_text:
            status = (NATIONAL_STATUSES if self.layout is NATIONAL else STATUS_BY_LABEL).get(status_text, "")
            if not status and self.layout is NATIONAL:
                fail("status", "人员类别应填写“正式党员”或“预备党员”")
            elif not status:
                if status_text in ENDED_LABELS:
                    fail("status", f"导入只登记在册人员，政治面貌不能为“{status_text}”")
                else:
                    fail("status", f"“{status_text[:20]}”不是有效的政治面貌")

        standing = text("standing")
        if standing == STANDING_SUSPENDED and status:
            status = Status.SUSPENDED
        elif standing not in ("", STANDING_NORMAL, STANDING_SUSPENDED):
            fail("standing", f"党籍状态应填写“{STANDING_NORMAL}”或“{STANDING_SUSPENDED}”")
        dates = {key: a_date(key, required=self.layout is NATIONAL and key == "joined_on") for key in DATE_KEYS}
        flags = {}
        for key in BOOL_KEYS:
            try:
                flags[key] = parse_bool(cells.get(key))
            except CellError as exc:
                fail(key, str(exc))

        # The date rules of the person form, on the values that parsed.
        probe = SimpleNamespace(birth_date=birth_date, status=status, **dates)
        for field, reason in services.date_errors(probe, self.today).items():
            fail(field, reason.rstrip("。"))

        if bad:
            for key, reason in bad.items():
                self.error(rownum, key, reason)
            self.people = []
            return False
        if self.errors:
            return True  # the file will be rejected anyway: skip building objects
        person = Person(
            name=name, gender=gender, ethnicity=ethnicity, birth_date=birth_date, education=education,
            occupation=occupation, professional_title=professional_title, org=org, group=group, status=status,
            status_since=services.default_status_since(status, dates["applied_on"], dates["joined_on"],
                                                       dates["full_member_on"], self.today),
            **dates, **flags,
        )
        person.set_id_number(id_number)
        person.set_phone(phone)
        self.people.append(person)
        return True

    def check_existing_ids(self):
        """One query per INDEX_CHUNK ID numbers: numbers already registered to someone (anywhere)."""
        indexes = list(self.seen_index)
        for start in range(0, len(indexes), INDEX_CHUNK):
            chunk = indexes[start:start + INDEX_CHUNK]
            taken = Person.objects.filter(id_number_index__in=chunk).values_list("id_number_index", flat=True)
            for index in taken:
                rownum = self.seen_index[index]
                if (rownum, "id_number") not in self.bad_cells:
                    self.error(rownum, "id_number", "该身份证号已登记在系统中，不能重复建档")
                    self.people = []
        order = {c.header: i for i, c in enumerate(self.layout.columns)}
        self.errors.sort(key=lambda e: (e[0] or 0, order.get(e[1], -1)))


# --- submit, start, run -------------------------------------------------------------------------

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
_ROW_SCAN_CHUNK = 1024 * 1024


def _count_sheet_rows(archive, name, limit):
    """Count `<row` tags in a worksheet by streaming it, stopping past `limit` (cheap even for huge sheets)."""
    count, tail, read = 0, b"", 0
    with archive.open(name) as stream:
        while read < MAX_UNZIPPED_BYTES and (chunk := stream.read(_ROW_SCAN_CHUNK)):
            read += len(chunk)
            data = tail + chunk
            count += data.count(b"<row ") + data.count(b"<row>")
            tail = data[-5:]
            count -= tail.count(b"<row ") + tail.count(b"<row>")  # counted again with the next chunk
            if count > limit:
                return count
    return count + tail.count(b"<row ") + tail.count(b"<row>")


def check_xlsx(data, max_rows=MAX_ROWS):
    """Raise ValidationError unless `data` opens as an .xlsx workbook with at least one worksheet, is not a
    zip bomb, and has at most `max_rows` data rows in each sheet (checked before openpyxl parses anything)."""
    message = "文件不是有效的 Excel 工作簿（.xlsx），无法打开。如文件设置了打开密码，请先取消密码。"
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValidationError({"file": message})
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            for item in members:  # rows first: the count stops as soon as the limit is passed
                if item.filename.startswith("xl/worksheets/") and item.filename.endswith(".xml"):
                    if _count_sheet_rows(archive, item.filename, max_rows + 1) > max_rows + 1:
                        raise ValidationError({"file": f"一次最多导入{max_rows}行，请分成多个文件导入。"})
            if sum(item.file_size for item in members) > MAX_UNZIPPED_BYTES:
                raise ValidationError({"file": "文件解压后过大，请检查文件内容。"})
    except zipfile.BadZipFile:
        raise ValidationError({"file": message}) from None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on damaged or foreign files
        raise ValidationError({"file": message}) from None
    try:
        if not workbook.worksheets:
            raise ValidationError({"file": "文件中没有工作表。"})
    finally:
        workbook.close()


def roster_import_submit(*, actor, upload):
    """Check the uploaded file and store it in a new pending ImportJob (the import itself runs later).
    The checks run before the transaction: opening a large workbook must not hold the database's write lock."""
    if not can_import(actor):
        raise ValidationError("您没有导入人员的权限。")
    limit = settings.IMPORT_MAX_BYTES
    too_large = ValidationError({"file": f"文件过大：不能超过 {filesizeformat(limit)}。"})
    if upload is None:
        raise ValidationError({"file": "请选择要上传的文件。"})
    if upload.size is not None and upload.size > limit:
        raise too_large
    file_name = os.path.basename(upload.name or "").strip()[:255] or "未命名.xlsx"
    if not file_name.lower().endswith(".xlsx"):
        raise ValidationError({"file": "只支持 Excel 2007 及以上版本的 .xlsx 文件，请用 Excel“另存为”.xlsx 格式后上传。"})
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise ValidationError({"file": "上传的文件是空的。"})
    check_xlsx(data)
    with transaction.atomic():
        return ImportJob.objects.create(created_by=actor, file_name=file_name, content=data,
                                        status=ImportJob.State.PENDING)


def roster_import_start(job, *, in_thread=None):
    """Run the job now, or (settings.IMPORT_IN_THREAD) in a background thread once the job row is committed.
    Returns the thread, or None when the job already ran."""
    if in_thread is None:
        in_thread = settings.IMPORT_IN_THREAD
    if not in_thread:
        roster_import_run(job_id=job.pk)
        return None
    context = contextvars.copy_context()  # keeps the request for the audit trail (IP address)
    thread = threading.Thread(target=context.run, args=(_run_in_thread, job.pk), name=f"roster-import-{job.pk}",
                              daemon=True)
    transaction.on_commit(thread.start)
    return thread


def _run_in_thread(job_id):
    try:
        roster_import_run(job_id=job_id)
    finally:
        connection.close()


def _progress(job_id, **fields):
    ImportJob.objects.filter(pk=job_id).update(**fields)


def _fail(job, errors, actor):
    with transaction.atomic():
        _progress(job.pk, status=ImportJob.State.FAILED, errors=errors, content=None, finished_at=timezone.now())
        audit.record(actor=actor, event=audit.Event.IMPORT, obj=job, outcome="failure",
                     changes={"file": job.file_name, "errors": len(errors)})


def roster_import_run(*, job_id):
    """Validate the job's file and, when every row is good, import it (see the module docstring)."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportJob.State.PENDING:
        return job
    actor = job.created_by
    try:
        _run(job, actor)
    except Exception:
        logger.exception("roster import %s failed", job_id)
        _fail(job, [[None, "", MSG_SYSTEM_ERROR]], actor)
    job.refresh_from_db()
    return job


def _count_rows(workbook, sheet):
    """Rows stored in the sheet, for the progress bar: counted on the decompressed XML stream without parsing
    it (the stored dimension is often missing or wrong, e.g. "A1" in files from openpyxl's write-only mode)."""
    try:
        source = workbook._archive.open(sheet._worksheet_path)
    except Exception:  # openpyxl internals changed: fall back to the stored dimension
        return sheet.max_row or 0
    count, tail = 0, b""
    with source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            count += data.count(b"<row ") + data.count(b"<row>")
            tail = data[-4:]  # shorter than the pattern: a match is never counted twice
    return count or sheet.max_row or 0


def _read_rows(job):
    """Yield (row number, {key: value}) for each non-blank data row; raise CellError on a bad header."""
    workbook = openpyxl.load_workbook(io.BytesIO(bytes(job.content)), read_only=True, data_only=True)
    try:
        titles = [t for t in (PLATFORM.sheet_title, NATIONAL.sheet_title) if t in workbook.sheetnames]
        sheet = workbook[titles[0]] if titles else workbook.worksheets[0]
        estimate = max(_count_rows(workbook, sheet) - 1, 0)
        sheet.reset_dimensions()  # never trust the stored dimension to cut the rows short
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        layout = detect_layout(header)
        positions = {}
        by_header = {c.header: c.key for c in layout.columns}
        for position, value in enumerate(header):
            key = by_header.get(clean_header(value))
            if key is not None and key not in positions:
                positions[key] = position
        missing = [c for c in layout.columns if c.required and c.key not in positions]
        if missing:
            raise CellError([[1, c.header, "缺少必填列，请使用导入模板的表头"] for c in missing])
        yield layout, estimate
        numbered = enumerate(rows, start=2)
        while True:
            try:
                rownum, values = next(numbered)
            except StopIteration:
                return
            except Exception:  # a damaged sheet part: report it, do not crash the job
                raise CellError([[None, "", MSG_UNREADABLE]]) from None
            if not values or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            width = len(values)
            yield rownum, {key: values[pos] if pos < width else None for key, pos in positions.items()}
    finally:
        workbook.close()


def _run(job, actor):
    rows = _read_rows(job)
    try:
        _validate_and_insert(job, actor, rows)
    finally:
        rows.close()
    refresh_planner_statistics()


def _validate_and_insert(job, actor, rows):
    _progress(job.pk, status=ImportJob.State.VALIDATING)
    try:
        layout, estimate = next(rows)
    except CellError as exc:
        _fail(job, exc.args[0], actor)
        return
    except Exception:
        _fail(job, [[None, "", MSG_UNREADABLE]], actor)
        return
    if estimate > MAX_ROWS:
        _fail(job, [[None, "", f"一次最多导入{MAX_ROWS}行，请分成多个文件导入。"]], actor)
        return
    _progress(job.pk, total_rows=estimate)
    validator = RosterValidator(actor, layout=layout)
    last_reported = 0
    try:
        for rownum, cells in rows:
            validator.validate_row(rownum, cells)
            if validator.row_count > MAX_ROWS:
                _fail(job, [[None, "", f"一次最多导入{MAX_ROWS}行，请分成多个文件导入。"]], actor)
                return
            if validator.row_count - last_reported >= PROGRESS_EVERY:
                # Committed at once (no transaction is open), so the polling page sees it.
                last_reported = validator.row_count
                _progress(job.pk, processed_rows=last_reported, total_rows=max(estimate, last_reported))
    except CellError as exc:
        _fail(job, exc.args[0], actor)
        return
    total = validator.row_count
    if total == 0:
        _fail(job, [[None, "", "文件中没有数据行：请从第2行开始填写人员信息。"]], actor)
        return
    validator.check_existing_ids()
    _progress(job.pk, processed_rows=total, total_rows=total)
    if validator.errors:
        _fail(job, validator.errors, actor)
        return
    _progress(job.pk, status=ImportJob.State.IMPORTING)
    _insert(job, actor, validator.people)


@transaction.atomic
def _insert(job, actor, people):
    Person.objects.bulk_create(people, batch_size=BATCH_SIZE)
    actor_id = actor.pk if actor is not None else None
    OrgMembership.objects.bulk_create(
        (OrgMembership(person_id=p.pk, org_id=p.org_id, started_on=p.status_since) for p in people),
        batch_size=BATCH_SIZE)
    StatusEvent.objects.bulk_create(
        (StatusEvent(person_id=p.pk, status=p.status, effective_on=p.status_since, note="批量导入建档",
                     actor_id=actor_id) for p in people),
        batch_size=BATCH_SIZE)
    audit.record(actor=actor, event=audit.Event.IMPORT, obj=job,
                 changes={"file": job.file_name, "count": len(people), "orgs": len({p.org_id for p in people})})
    _progress(job.pk, status=ImportJob.State.DONE, created_count=len(people), processed_rows=len(people),
              total_rows=len(people), content=None, finished_at=timezone.now())


# --- the template workbook ---------------------------------------------------------------------------

def template_workbook(layout=PLATFORM):
    """The import template of a layout (.xlsx bytes): header row, one example row, and a 填写说明 sheet."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = layout.sheet_title
    columns = layout.columns
    keys = [c.key for c in columns]
    sheet.append([c.header + ("*" if c.required else "") for c in columns])
    example = {
        "name": "张三", "gender": "男", "ethnicity": "汉族", "birth_date": "1985-05-20", "id_number": "",
        "phone": "13800000000", "education": Education.BACHELOR.label, "occupation": Occupation.PROFESSIONAL.label,
        "professional_title": "一级教师", "org": "示例中学第一党支部", "group": "", "status": Status.FULL.label,
        "applied_on": "2008-03-01", "joined_on": "2009-07-01", "full_member_on": "2010-07-01",
        "is_class_teacher": "是", "is_research_lead": "否", "is_backbone": "是", "is_administrative": "否",
        "standing": STANDING_NORMAL, "lost_contact": "否", "is_mobile": "否",
    }
    sheet.append([example[c.key] for c in columns])
    bold, red = Font(bold=True), Font(bold=True, color="B71C1C")
    fill = PatternFill("solid", fgColor="F2F2F2")
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = red if column.required else bold
        cell.fill = fill
        sheet.column_dimensions[letter].width = 22 if column.key in ("id_number", "org") else 13
        if column.key in ("id_number", "phone") or column.key.endswith("_on") or column.key == "birth_date":
            # Text format: ID numbers keep every digit; dates stay as typed (YYYY-MM-DD).
            sheet.column_dimensions[letter].number_format = "@"
            sheet.cell(row=2, column=index).number_format = "@"
    sheet.freeze_panes = "A2"

    def dropdown(key, labels):
        if key not in keys:
            return
        letter = get_column_letter(keys.index(key) + 1)
        rule = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True,
                              showErrorMessage=True, errorTitle="输入有误", error=f"请从列表中选择{layout.headers[key]}")
        rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(rule)

    dropdown("gender", list(GENDER_BY_LABEL))
    dropdown("status", list(NATIONAL_STATUSES) if layout is NATIONAL else [s.label for s in IMPORTABLE_STATUSES])
    dropdown("standing", [STANDING_NORMAL, STANDING_SUSPENDED])
    dropdown("education", list(Education.labels))
    dropdown("occupation", list(Occupation.labels))
    for key in BOOL_KEYS:
        dropdown(key, ["是", "否"])

    notes = workbook.create_sheet(HELP_SHEET_TITLE)
    notes.append(["列名", "是否必填", "填写说明"])
    for cell in notes[1]:
        cell.font = bold
        cell.fill = fill
    for column in columns:
        notes.append([column.header, "必填" if column.required else "选填", column.help])
    notes.append([])
    for line in (
        "1. 第1行为表头，请勿修改；第2行为示例，导入前请删除或改为真实数据。",
        "2. 日期一律按 YYYY-MM-DD 填写，如 2010-07-01；不能晚于今天，不能早于出生日期；转正日期不能早于入党日期。",
        "3. 所在党组织填写组织编码或组织完整名称，须为您有维护权限的组织。",
        "4. 文件中只要有一行有错误，就不会导入任何数据；系统会列出全部错误（行号、列、原因），可下载修改后重新上传。",
        f"5. 一次最多导入 {MAX_ROWS} 行，文件不超过 {filesizeformat(settings.IMPORT_MAX_BYTES)}。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 90
    for row in notes.iter_rows(min_row=2):
        row[-1].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet, value):
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def errors_workbook(job):
    """The job's error list as .xlsx bytes: 行号, 列, 原因."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("错误列表")
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 80
    sheet.append(["行号", "列", "原因"])
    for row, column, reason in job.errors or []:
        # Column names can come from the uploaded file (payroll headers): never let "=…" become a formula.
        sheet.append([row, *(_text_cell(sheet, value) for value in (column, reason))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
