"""The 发展党员 documents as Word files, generated from the record: the kinds, the placeholders each understands,
the values taken from the file, the templates (a replacement uploaded by the system administrator, else the
default shipped in doc_templates/), one document, and the ZIP of a candidate's whole file.

Reads: the file's steps with their people and votes (1 query), the replacement templates (1), the holiday
calendar for the 公示 lengths (1) — whatever the number of documents.
"""

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from docx import Document

from dangjian.compliance.engine import Rulebook
from dangjian.core import audit
from dangjian.core.uploads import stored_file
from dangjian.workdays.calendar import Calendar

from . import logic, selectors
from . import rules as R
from .docfill import fill, placeholders
from .models import DevelopmentFile, DocumentTemplate, StepAttachment
from .steps import BY_NUMBER

DEFAULTS = Path(__file__).resolve().parent / "doc_templates"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_TEMPLATE = 2 * 1024 * 1024          # upload size
MAX_UNPACKED = 20 * 1024 * 1024         # total size of the zip's members (zip bombs)

COMMON = {
    "name": "姓名", "gender": "性别", "ethnicity": "民族", "birth_month": "出生年月（如1995年3月）", "education": "学历",
    "professional_title": "职称", "unit_name": "所在单位", "org_name": "所在党组织", "applied_on": "递交入党申请书日期",
    "today": "生成日期",
}
PUBLICITY = {"publicity_start": "公示开始日期", "publicity_end": "公示结束日期",
             "publicity_length": "公示时长（如“5个工作日”）"}


@dataclass(frozen=True)
class DocKind:
    key: str
    title: str
    needs: int                      # the step that must be recorded first
    fields: dict = field(default_factory=dict)
    lists: dict = field(default_factory=dict)   # list name -> {field: description}: a repeated table row

    def allowed(self):
        names = set(COMMON) | set(self.fields)
        for name, columns in self.lists.items():
            names |= {f"{name}.{column}" for column in columns}
        return names

    def describe(self):
        """[(placeholder, description)] for the template page."""
        out = [(k, v) for k, v in {**COMMON, **self.fields}.items()]
        for name, columns in self.lists.items():
            out += [(f"{name}.{k}", f"{v}（表格中的一行，每项重复一次）") for k, v in columns.items()]
        return out


KINDS = [
    DocKind("talk", "谈话记录", 2, {"talk_date": "谈话日期", "talker": "谈话人", "talk_note": "谈话情况（步骤说明）"}),
    DocKind("review", "入党积极分子考察登记", 3,
            {"activist_date": "确定为入党积极分子日期", "activist_filing_no": "报上级党委备案文号", "contacts": "培养联系人"},
            {"reviews": {"index": "序号", "date": "考察日期", "content": "考察情况", "org": "考察党组织"}}),
    DocKind("candidate_publicity", "发展对象公示", 7,
            {"activist_date": "确定为入党积极分子日期", "candidate_date": "确定为发展对象日期", "sponsors": "入党介绍人",
             **PUBLICITY}),
    DocKind("resolution", "支部大会决议（入党志愿书）", 15,
            {"assembly_date": "支部大会日期", "voters_due": "应到会有表决权正式党员数", "voters_present": "实到会人数",
             "yes": "赞成票", "no": "反对票", "abstain": "弃权票", "written_yes": "书面意见赞成",
             "written_no": "书面意见反对", "sponsors": "入党介绍人", "probation_start": "预备期开始",
             "probation_end": "预备期满"}),
    DocKind("confirmation_publicity", "预备党员转正公示", 17,
            {"joined_on": "接收为预备党员日期（支部大会）", "probation_end": "预备期满日期",
             "extension": "延长预备期说明（无则为空）", **PUBLICITY}),
    DocKind("cover", "卷内目录", 1, {"file_state": "档案状态", "item_count": "材料项数"},
            {"items": {"index": "序号", "title": "材料名称", "date": "形成日期", "note": "备注（文号等）"}}),
]
BY_KEY = {k.key: k for k in KINDS}


def cn_date(d):
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def _names(*people):
    return "、".join(p.name for p in people if p is not None)


class Record:
    """A file with its steps, loaded once, and the values of every document kind."""

    def __init__(self, file):
        self.file, self.person = file, file.person
        self.steps = selectors.file_steps(file)
        self.done = {s.number for s in self.steps}
        self.settings = logic.Settings(Rulebook([file.org]), file.org)
        periods = [(s.publicity_start, s.publicity_end) for s in self.steps if s.publicity_start and s.publicity_end]
        self.calendar = (Calendar.load(min(a for a, _ in periods), max(b for _, b in periods)) if periods else None)

    def first(self, number):
        return logic.first(self.steps, number)

    def available(self):
        return [k for k in KINDS if k.needs in self.done]

    def _date(self, number):
        step = self.first(number)
        return cn_date(step.date) if step else ""

    def _publicity(self, number):
        step = self.first(number)
        if step is None or not step.publicity_start:
            return {}
        params = self.settings.get(R.PUBLICITY) or dict(R.PUBLICITY.params)
        length, unit = logic.publicity_length(step.publicity_start, step.publicity_end, params, self.calendar)
        return {"publicity_start": cn_date(step.publicity_start), "publicity_end": cn_date(step.publicity_end),
                "publicity_length": f"{length}{unit}"}

    def common(self):
        p, f = self.person, self.file
        return {
            "name": p.name, "gender": p.get_gender_display(), "ethnicity": p.ethnicity,
            "birth_month": f"{p.birth_date.year}年{p.birth_date.month}月" if p.birth_date else "",
            "education": p.get_education_display() if p.education else "", "professional_title": p.professional_title,
            "unit_name": f.org.unit_name or f.org.name, "org_name": f.org.name, "applied_on": cn_date(f.applied_on),
            "today": cn_date(timezone.localdate()),
        }

    def values(self, kind):
        """(scalars, lists) for one document kind."""
        values, lists = self.common(), {}
        key = kind.key
        if key == "talk":
            step = self.first(2)
            values.update(talk_date=cn_date(step.date), talker=step.talker.name if step.talker else step.talker_name,
                          talk_note=step.note)
        elif key == "review":
            filing, contacts = self.first(4), self.first(5)
            values.update(activist_date=self._date(3), activist_filing_no=filing.approval_no if filing else "",
                          contacts=_names(contacts.contact_1, contacts.contact_2) if contacts else "")
            reviews = [s for s in self.steps if s.number == 6]
            lists["reviews"] = [{"index": i, "date": cn_date(s.date), "content": s.note or "按期考察",
                                 "org": self.file.org.name} for i, s in enumerate(reviews, start=1)]
        elif key == "candidate_publicity":
            sponsors = self.first(9)
            values.update(activist_date=self._date(3), candidate_date=self._date(7),
                          sponsors=_names(sponsors.sponsor_1, sponsors.sponsor_2) if sponsors else "",
                          **self._publicity(13))
        elif key == "resolution":
            assembly, sponsors = self.first(15), self.first(9)
            vote = assembly.vote
            values.update(assembly_date=cn_date(assembly.date),
                          sponsors=_names(sponsors.sponsor_1, sponsors.sponsor_2) if sponsors else "",
                          probation_start=cn_date(assembly.date),
                          probation_end=cn_date(logic.probation_end_of(self.file, self.steps)))
            if vote is not None:
                values.update({k: getattr(vote, k) for k in ("voters_due", "voters_present", "yes", "no", "abstain",
                                                             "written_yes", "written_no")})
        elif key == "confirmation_publicity":
            f = self.file
            values.update(joined_on=self._date(15), probation_end=cn_date(logic.probation_end_of(f, self.steps)),
                          extension=(f"（经批准延长预备期{f.extension_months}个月，批复文号{f.extension_approval_no}）"
                                     if f.extension_months else ""), **self._publicity(23))
        elif key == "cover":
            lists["items"] = self.cover_items()
            values.update(file_state=self.file.get_state_display(), item_count=len(lists["items"]))
        return values, lists

    def cover_items(self):
        items = []
        for s in self.steps:
            note = s.approval_no or ("违反规则仍保存" if s.overridden else "")
            items.append({"title": f"第{s.number}步 {BY_NUMBER[s.number].name}", "date": cn_date(s.date), "note": note})
        f = self.file
        if f.state == DevelopmentFile.State.WITHDRAWN:
            items.append({"title": f"{f.get_withdraw_kind_display()}：{f.withdraw_reason}",
                          "date": cn_date(f.withdrawn_on), "note": ""})
        elif f.state == DevelopmentFile.State.CANCELLED:
            items.append({"title": f"取消预备党员资格：{f.cancel_reason}", "date": cn_date(f.cancelled_on), "note": ""})
        for i, item in enumerate(items, start=1):
            item["index"] = i
        return items


def _template_bytes(kind, custom):
    row = custom.get(kind.key)
    if row is not None:
        with row.file.open("rb") as handle:
            return handle.read()
    return (DEFAULTS / f"{kind.key}.docx").read_bytes()


def custom_templates():
    return {t.kind: t for t in DocumentTemplate.objects.filter(kind__in=list(BY_KEY))}


def render(record, kind, custom=None):
    """The .docx bytes of one document."""
    custom = custom_templates() if custom is None else custom
    doc = Document(io.BytesIO(_template_bytes(kind, custom)))
    values, lists = record.values(kind)
    fill(doc, values, lists)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def filename(record, kind):
    return f"{record.person.name}_{kind.title}.docx"


def document(*, actor, file, key):
    """(bytes, file name) of one document; audited as an export."""
    kind = BY_KEY.get(key)
    record = Record(file)
    if kind is None or kind not in record.available():
        raise ValidationError("该文书暂不能生成：相应步骤尚未登记。")
    data = render(record, kind)
    audit.record(actor=actor, event=audit.Event.EXPORT, obj=file, changes={"document": kind.title})
    return data, filename(record, kind)


def file_zip(*, actor, file):
    """(bytes, file name): every document available so far and a list of what is in the ZIP."""
    record = Record(file)
    custom = custom_templates()
    out = io.BytesIO()
    names = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, kind in enumerate(record.available(), start=1):
            name = f"{i:02d}_{filename(record, kind)}"
            archive.writestr(name, render(record, kind, custom))
            names.append(name)
        for name, data in step_attachments(file):
            archive.writestr(name, data)
            names.append(name)
    audit.record(actor=actor, event=audit.Event.EXPORT, obj=file, changes={"zip": names})
    return out.getvalue(), f"{record.person.name}_发展党员档案.zip"


def step_attachments(file):
    """(name in the ZIP, bytes) of every attachment of the file: one folder per recorded step
    ("附件/05_确定培养联系人/…"; a step recorded more than once, ⑥, gets the date in its folder name), names made
    unique within a folder. A file missing from the storage is left out."""
    rows = list(StepAttachment.objects.filter(step__file=file).select_related("step")
                .order_by("step__number", "step__date", "step_id", "uploaded_at", "id"))
    repeated = {n for n in {a.step.number for a in rows}
                if len({a.step_id for a in rows if a.step.number == n}) > 1}
    used = set()
    for attachment in rows:
        step = attachment.step
        folder = f"附件/{step.number:02d}_{BY_NUMBER[step.number].name}"
        if step.number in repeated:
            folder += f"_{step.date:%Y-%m-%d}"
        stem, dot, ext = attachment.original_name.rpartition(".")
        name, n = f"{folder}/{attachment.original_name}", 1
        while name in used:
            n += 1
            name = f"{folder}/{stem or attachment.original_name}（{n}）{dot}{ext if stem else ''}"
        try:
            with attachment.file.open("rb") as handle:
                data = handle.read()
        except (FileNotFoundError, ValueError):
            continue
        used.add(name)
        yield name, data


# --- templates (system administrator) ---------------------------------------------------------------

def _require_admin(actor):
    if actor is None or not getattr(actor, "is_system_admin", False):
        raise PermissionDenied("只有系统管理员可以更换文书模板。")


def _kind(key):
    kind = BY_KEY.get(key)
    if kind is None:
        raise ValidationError({"kind": "未知的文书类型。"})
    return kind


def check_template(upload, kind):
    """Refuse anything but a real, reasonably sized .docx whose placeholders this kind understands.
    Returns the placeholders it uses."""
    if upload is None:
        raise ValidationError({"file": "请选择文件。"})
    if upload.size == 0:
        raise ValidationError({"file": "文件为空。"})
    if upload.size > MAX_TEMPLATE:
        raise ValidationError({"file": f"模板文件不能超过 {MAX_TEMPLATE // (1024 * 1024)} MB。"})
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    not_docx = ValidationError({"file": "不是有效的 Word 文件（.docx）。请在 Word 或 WPS 中另存为“Word 文档（*.docx）”后上传。"})
    if not data.startswith(b"PK\x03\x04"):
        raise not_docx
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if "word/document.xml" not in {i.filename for i in infos}:
                raise not_docx
            if sum(i.file_size for i in infos) > MAX_UNPACKED:
                raise ValidationError({"file": "文件解压后过大，不能作为模板。"})
        doc = Document(io.BytesIO(data))
    except ValidationError:
        raise
    except Exception:  # python-docx and zipfile raise many kinds: all mean "not a usable .docx"
        raise not_docx from None
    used = placeholders(doc)
    unknown = sorted(used - kind.allowed())
    if unknown:
        raise ValidationError({"file": "模板中有无法识别的字段：" + "、".join(f"{{{{{u}}}}}" for u in unknown)
                                       + f"。“{kind.title}”可用的字段见下方说明。"})
    return used


@transaction.atomic
def template_upload(*, actor, key, upload):
    """Replace the template of one kind (the previous replacement, if any, is overwritten). Returns the
    placeholders of the kind that the new template does not use (for information)."""
    _require_admin(actor)
    kind = _kind(key)
    used = check_template(upload, kind)
    name = (getattr(upload, "name", "") or "模板.docx").replace("\\", "/").rsplit("/", 1)[-1][:150]
    row = DocumentTemplate.objects.select_for_update().filter(kind=kind.key).first()
    before = row.original_name if row else "默认模板"
    old_file = row.file if row else None
    if row is None:
        row = DocumentTemplate(kind=kind.key)
    row.file, row.original_name, row.uploaded_by = stored_file(upload, "docx"), name, actor
    row.save()
    if old_file:
        transaction.on_commit(lambda: old_file.storage.delete(old_file.name))
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=row, object_repr=f"文书模板：{kind.title}",
                 changes={"template": {"before": before, "after": name}, "placeholders": sorted(used)})
    return sorted(set(kind.fields) - used)


@transaction.atomic
def template_revert(*, actor, key):
    """Back to the default template; False when there was no replacement."""
    _require_admin(actor)
    kind = _kind(key)
    row = DocumentTemplate.objects.select_for_update().filter(kind=kind.key).first()
    if row is None:
        return False
    stored = row.file
    audit.record(actor=actor, event=audit.Event.DELETE, obj=row, object_repr=f"文书模板：{kind.title}",
                 changes={"template": {"before": row.original_name, "after": "默认模板"}})
    row.delete()
    transaction.on_commit(lambda: stored.storage.delete(stored.name))
    return True


def template_file(key):
    """(bytes, file name) of the template in use for a kind (to edit it and upload it again)."""
    kind = _kind(key)
    custom = custom_templates()
    return _template_bytes(kind, custom), f"模板_{kind.title}.docx"
