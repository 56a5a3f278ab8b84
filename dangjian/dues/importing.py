"""Dues bases from the school's payroll workbook (.xlsx): all or nothing.

1. `payroll_submit` checks the upload (size, really an .xlsx; the roster import's checks) and stores it in an
   ImportJob private to the uploader.
2. The user maps each column once per organisation (`PayrollMapping`, remembered for the next month):
   which column identifies the member (身份证号, or 姓名 when unique), which pay items count, and which are
   deductions (个人所得税 always; 五险一金 and 年金 only where the jurisdiction's rule `dues.base_deductions` says so).
3. `payroll_import` validates every row and collects every error as [row, column, reason]. Any error: nothing is
   written. Otherwise every base is written (one month of effect), the members' open bills are recomputed, and one
   audit row is recorded — in one transaction.
"""

import io
import re
from decimal import Decimal, InvalidOperation

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from dangjian.core import audit, crypto, idnumber, scoping
from dangjian.imports.models import ImportJob
from dangjian.members.importing import check_xlsx, clean_header
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person

from . import billing, rates, services
from .models import Category, DuesBase, PayrollMapping

IGNORE, ID_NUMBER, NAME, PAY, TAX, SOCIAL, ANNUITY = "ignore", "id_number", "name", "pay", "tax", "social", "annuity"
ROLES = [
    (IGNORE, "不使用"),
    (ID_NUMBER, "身份证号（识别党员）"),
    (NAME, "姓名（识别党员）"),
    (PAY, "计入基数的工资项目"),
    (TAX, "扣除：个人所得税"),
    (SOCIAL, "扣除：五险一金（按本地口径）"),
    (ANNUITY, "扣除：职业年金/企业年金（按本地口径）"),
]
ROLE_LABELS = dict(ROLES)
MAX_ROWS = 20_000
BASE_CATEGORIES = {Category.EMPLOYED, Category.ANNUAL, Category.IRREGULAR, Category.RETIRED}

# First guesses for a new organisation: the teachers' fixed pay items (DOMAIN §4) and the usual deductions.
GUESSES = [
    (ID_NUMBER, ("身份证",)),
    (NAME, ("姓名",)),
    (TAX, ("个人所得税", "个税", "所得税")),
    (ANNUITY, ("年金",)),
    (SOCIAL, ("养老", "医疗", "失业", "公积金", "保险", "社保", "五险一金")),
    (PAY, ("岗位工资", "薪级工资", "绩效工资", "津贴", "补贴", "基本工资")),
]


def guess_role(header):
    for role, words in GUESSES:
        if any(word in header for word in words):
            return role
    return IGNORE


def payroll_submit(*, actor, upload):
    if not scoping.scope_paths(actor, {"org_admin", "secretary"}):
        raise ValidationError("您没有导入工资表的权限。")
    limit = settings.IMPORT_MAX_BYTES
    if upload is None:
        raise ValidationError({"file": "请选择要上传的文件。"})
    name = (upload.name or "").strip()[:255] or "工资表.xlsx"
    if not name.lower().endswith(".xlsx"):
        raise ValidationError({"file": "只支持 .xlsx 文件，请用 Excel“另存为”.xlsx 格式后上传。"})
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": f"文件过大：不能超过 {filesizeformat(limit)}。"})
    if not data:
        raise ValidationError({"file": "上传的文件是空的。"})
    check_xlsx(data, max_rows=MAX_ROWS)
    with transaction.atomic():
        return ImportJob.objects.create(created_by=actor, file_name=name.rsplit("/", 1)[-1], content=data,
                                        status=ImportJob.State.PENDING)


def read_sheet(job):
    """(headers, rows): the first sheet's header row (cleaned) and [(row number, values)] of non-blank rows."""
    if job.content is None:
        raise ValidationError("文件已处理完毕，请重新上传。")
    workbook = openpyxl.load_workbook(io.BytesIO(bytes(job.content)), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        iterator = sheet.iter_rows(values_only=True)
        headers = [clean_header(v) for v in (next(iterator, None) or ())]
        rows = []
        for rownum, values in enumerate(iterator, start=2):
            if values and any(v is not None and str(v).strip() for v in values):
                rows.append((rownum, values))
            if len(rows) > MAX_ROWS:
                raise ValidationError(f"一次最多导入{MAX_ROWS}行。")
    except ValidationError:
        raise
    except Exception:
        raise ValidationError("文件内容无法读取，请用 Excel 打开后另存为 .xlsx 再上传。") from None
    finally:
        workbook.close()
    return headers, rows


def remembered(org, headers):
    """{header: role} for this organisation: the saved mapping (nearest ancestor's) where it names the header,
    else a guess from the header text."""
    step = type(org).steplen
    paths = [org.path[:end] for end in range(len(org.path), 0, -step)]
    saved = {}
    for mapping in PayrollMapping.objects.filter(org__path__in=paths).select_related("org").order_by("-org__depth"):
        saved = mapping.columns
        break
    return {h: saved.get(h, guess_role(h)) for h in headers if h}


@transaction.atomic
def mapping_save(*, actor, org, columns):
    """Remember the column roles for an organisation (used again for the next import)."""
    if not scoping.can_write(actor, org):
        raise ValidationError("您无权为该组织设置工资表列对应关系。")
    clean = {str(h)[:100]: role for h, role in columns.items() if role in ROLE_LABELS}
    roles = set(clean.values())
    if not roles & {ID_NUMBER, NAME}:
        raise ValidationError("请指定用于识别党员的列（身份证号或姓名）。")
    if PAY not in roles:
        raise ValidationError("请至少指定一列计入基数的工资项目。")
    mapping, created = PayrollMapping.objects.get_or_create(org=org, defaults={"columns": clean, "updated_by": actor})
    if not created and mapping.columns != clean:
        mapping.columns, mapping.updated_by = clean, actor
        mapping.save(update_fields=["columns", "updated_by", "updated_at"])
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=mapping, object_repr=f"{org.name} 工资表列对应",
                 changes={"columns": clean})
    return mapping


def _require_pending(job):
    if job.status == ImportJob.State.DONE or job.content is None:
        raise ValidationError("该文件已导入完毕。如需再次导入，请重新上传。", code="conflict")


def payroll_columns(job, org, chosen=None):
    """{header: role} for every column of the job's file: the mapping screen's initial values (the organisation's
    remembered mapping, else a guess from the header text) with the `chosen` roles over them. A chosen header
    that is not in the file is refused."""
    _require_pending(job)
    headers, _ = read_sheet(job)
    columns = remembered(org, headers)
    unknown = [str(h) for h in (chosen or {}) if h not in columns]
    if unknown:
        raise ValidationError({"columns": f"文件中没有这些列：{'、'.join(unknown[:10])}。"})
    columns.update(chosen or {})
    return columns


def payroll_confirm(*, actor, job, org, month, columns):
    """The mapping screen's confirm: remember the column roles for the organisation, then import
    (`payroll_import`). A file already imported is not imported again (its bytes are gone)."""
    _require_pending(job)
    mapping_save(actor=actor, org=org, columns=columns)
    return payroll_import(actor=actor, job=job, org=org, month=month, columns=columns)


def _number(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0")
    if isinstance(value, bool):
        raise ValueError
    text = re.sub(r"[,，\s元]", "", str(value))
    amount = Decimal(text)
    if not amount.is_finite() or abs(amount) > rates.MAX_BASE * 100:
        raise ValueError  # the row gets the usual "not a valid amount" error
    return amount


def payroll_import(*, actor, job, org, month, columns):
    """Validate every row and, when all are good, write every base (see the module docstring).
    Returns the job (DONE, or FAILED with its error list)."""
    if not scoping.can_write(actor, org):
        raise ValidationError("您无权为该组织导入党费基数。")
    month = billing.month_start(month)
    headers, rows = read_sheet(job)
    position = {h: i for i, h in enumerate(headers) if h}
    roles = {role: [h for h, r in columns.items() if r == role and h in position] for role, _ in ROLES}
    policy = billing.policy_for([org]).at(org)
    deducted = roles[TAX] + (roles[SOCIAL] if policy["deduct_social_insurance"] else []) + (
        roles[ANNUITY] if policy["deduct_annuity"] else [])
    key_header = (roles[ID_NUMBER] or roles[NAME] or [None])[0]
    by_role = ID_NUMBER if roles[ID_NUMBER] else NAME

    people = list(Person.objects.filter(org__path__startswith=org.path, status__in=PARTY_MEMBER_STATUSES)
                  .select_related("org").only("id", "name", "id_number_index", "org__path", "org__name", "org_id"))
    by_index = {p.id_number_index: p for p in people if p.id_number_index}
    by_name = {}
    for p in people:
        by_name.setdefault(p.name, []).append(p)
    current = {}
    for row in DuesBase.objects.filter(person__in=[p.pk for p in people], effective_month__lte=month).order_by(
            "person_id", "effective_month"):
        current[row.person_id] = row.category

    errors, found, seen = [], [], {}
    if key_header is None or not roles[PAY]:
        errors.append([1, "", "列对应关系不完整：须有识别党员的列和至少一个工资项目列。"])
    for rownum, values in rows if not errors else ():
        def cell(header):
            pos = position[header]
            return values[pos] if pos < len(values) else None

        key = str(cell(key_header) or "").strip()
        person = None
        if not key:
            errors.append([rownum, key_header, "未填写，无法识别党员"])
        elif by_role == ID_NUMBER:
            indexes = crypto.blind_indexes(idnumber.normalise(key))  # any key, mid-rotation too
            person = next((by_index[i] for i in indexes if i in by_index), None)
            if person is None:
                errors.append([rownum, key_header, "本组织（含下级）党员中没有此身份证号"])
        else:
            matches = by_name.get(key, [])
            if len(matches) == 1:
                person = matches[0]
            else:
                errors.append([rownum, key_header, "本组织（含下级）党员中没有此姓名" if not matches
                               else "有同名党员，请改用身份证号列识别"])
        if person is not None:
            first = seen.setdefault(person.pk, rownum)
            if first != rownum:
                errors.append([rownum, key_header, f"与第{first}行是同一名党员"])
        total, bad = Decimal("0"), False
        for header, sign in [(h, 1) for h in roles[PAY]] + [(h, -1) for h in deducted]:
            try:
                total += sign * _number(cell(header))
            except (InvalidOperation, ValueError):
                errors.append([rownum, header, "不是有效的金额"])
                bad = True
        if bad or person is None:
            continue
        base = rates.round_money(total)
        if base < 0:
            errors.append([rownum, "计算基数", f"工资项目合计减去扣除项目后为{base}元，不能为负数"])
        elif base > rates.MAX_BASE:
            errors.append([rownum, "计算基数", f"{base}元超过每月100万元，请核对"])
        else:
            category = current.get(person.pk)
            found.append((person, category if category in BASE_CATEGORIES else Category.EMPLOYED, base))
    if not errors and not found:
        errors.append([None, "", "文件中没有数据行。"])
    if errors:
        with transaction.atomic():
            ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.State.FAILED, errors=errors,
                                                       finished_at=timezone.now())
            audit.record(actor=actor, event=audit.Event.IMPORT, obj=job, outcome="failure",
                         object_repr=f"{org.name} 工资表导入党费基数", changes={"errors": len(errors)})
        job.refresh_from_db()
        return job
    with transaction.atomic():
        existing = {b.person_id: b for b in DuesBase.objects.select_for_update().filter(
            person__in=[p.pk for p, _, _ in found], effective_month=month)}
        new, changed = [], []
        for person, category, base in found:
            row = existing.get(person.pk)
            if row is None:
                new.append(DuesBase(person=person, category=category, base=base, effective_month=month,
                                    source=DuesBase.Source.PAYROLL, created_by=actor, note=job.file_name[:200]))
            else:
                row.category, row.base, row.source = category, base, DuesBase.Source.PAYROLL
                changed.append(row)
        DuesBase.objects.bulk_create(new, batch_size=1000)
        DuesBase.objects.bulk_update(changed, ["category", "base", "source"], batch_size=1000)
        recomputed = services.recompute_bills_bulk(people=[p for p, _, _ in found], from_month=month)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.State.DONE, errors=[], content=None,
                                                   created_count=len(found), total_rows=len(rows),
                                                   processed_rows=len(rows), finished_at=timezone.now())
        audit.record(actor=actor, event=audit.Event.IMPORT, obj=job, object_repr=f"{org.name} 工资表导入党费基数",
                     changes={"file": job.file_name, "month": month.isoformat(), "count": len(found),
                              "bills_recomputed": recomputed, "deducted": deducted})
    job.refresh_from_db()
    return job
