"""The summary report (工作总结 / 特点亮点总结汇报): periods, the secretary's draft, and the document.

- `parse_period(start, end)` / `check_period`: the period of a report, with clear Chinese errors.
- `presets(today)`: the periods a secretary usually reports on (学年, 学期, 半年, 年度).
- `draft_save(*, actor, org, start, end, title, sections)`: the secretary's text, per organisation and period.
- `render(org, start, end, *, progress=None)`: (file name, bytes) of the Word document.
- `build_job(job, progress)`: the builder the report jobs run for kind "summary" (params {"start", "end"}).
"""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dangjian.core import audit, scoping

from .models import ReportDraft

KIND = "summary"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_YEARS = 5
TEXT_MAX = 5000
TITLE_MAX = 200

# The sections of the document in order: (key, heading, hint shown above the text box). Every section has a text
# the secretary may edit; the figures sections also print the counted figures after it.
SECTIONS = [
    ("basic", "基本情况", "组织概况、班子、工作思路等；系统统计的党员和组织数量会接在文字后面。"),
    ("meetings", "严格落实“三会一课”制度", ""),
    ("study", "学习教育常态化", ""),
    ("activities", "主题党日与志愿服务", ""),
    ("development", "规范发展党员工作", ""),
    ("vanguard", "发挥党员先锋模范作用", ""),
    ("honours", "荣誉表彰", ""),
    ("publicity", "宣传与意识形态阵地", ""),
    ("care", "关爱服务与家校共育", ""),
    ("dues", "党费收缴", ""),
    ("evaluation", "评议考核与任务落实", ""),
    ("highlights", "特色亮点", "写本组织的品牌、创新做法；下方列出的是可作亮点的数据。"),
    ("problems", "存在的问题", "系统检查出的逾期事项列在文字后面；可补充其他问题和困难。"),
    ("plans", "下一步打算", "改进工作的思路和措施。"),
]
SECTION_KEYS = [key for key, _, _ in SECTIONS]
DEFAULT_TEXT = {
    "plans": "1.严格落实“三会一课”、主题党日、组织生活会等制度，按时召开各类会议，确保组织生活规范有序。\n"
             "2.加强党员教育管理，规范发展党员工作，按期完成各项党建任务。\n"
             "3.推动党建与教育教学深度融合，充分发挥党组织战斗堡垒作用和党员先锋模范作用。",
}


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    start: date
    end: date


def presets(today):
    """The usual report periods around `today`: this and last school year, semesters, half-years, years."""
    sy = today.year if today.month >= 9 else today.year - 1
    out = [Preset("school_year", f"{sy}—{sy + 1}学年", date(sy, 9, 1), date(sy + 1, 8, 31)),
           Preset("last_school_year", f"{sy - 1}—{sy}学年", date(sy - 1, 9, 1), date(sy, 8, 31))]
    if today.month >= 9 or today.month == 1:
        out.append(Preset("semester", f"{sy}—{sy + 1}学年第一学期", date(sy, 9, 1), date(sy + 1, 1, 31)))
    else:
        out.append(Preset("semester", f"{sy}—{sy + 1}学年第二学期", date(sy + 1, 2, 1), date(sy + 1, 8, 31)))
    y = today.year
    half = (date(y, 1, 1), date(y, 6, 30), f"{y}年上半年") if today.month <= 6 else (date(y, 7, 1), date(y, 12, 31),
                                                                                   f"{y}年下半年")
    out += [Preset("half_year", half[2], half[0], half[1]),
            Preset("year", f"{y}年度", date(y, 1, 1), date(y, 12, 31)),
            Preset("last_year", f"{y - 1}年度", date(y - 1, 1, 1), date(y - 1, 12, 31))]
    return out


def check_period(start, end):
    """ValidationError (field-keyed, Chinese) unless start..end is a usable report period."""
    errors = {}
    if start is None:
        errors["start"] = "请填写起始日期。"
    if end is None:
        errors["end"] = "请填写截止日期。"
    if not errors:
        if end < start:
            errors["end"] = "截止日期不能早于起始日期。"
        elif end > start + relativedelta(years=MAX_YEARS):
            errors["end"] = f"统计期间不能超过{MAX_YEARS}年。"
        elif start.year < 1949:
            errors["start"] = "起始日期不能早于1949年。"
    if errors:
        raise ValidationError(errors)


def parse_date(value, field, errors):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = "日期格式应为 YYYY-MM-DD，如 2026-08-31。"
        return None


def parse_period(start, end):
    """(start, end) as dates from text or dates; ValidationError in Chinese when missing, malformed or reversed."""
    errors = {}
    start, end = parse_date(start, "start", errors), parse_date(end, "end", errors)
    if errors:
        raise ValidationError(errors)
    check_period(start, end)
    return start, end


def job_params(start, end):
    return {"start": start.isoformat(), "end": end.isoformat()}


# --- drafts --------------------------------------------------------------------------------------------------


def draft_for(org, start, end):
    return ReportDraft.objects.select_related("updated_by").filter(org=org, start=start, end=end).first()


def default_title(org, start, end):
    """The title the document gets unless the secretary writes another (the period is printed under it)."""
    return f"{org.name}党建工作总结"


def section_texts(draft):
    """{section key: text} — the draft's text, or the default."""
    saved = draft.sections if draft is not None else {}
    return {key: saved.get(key, DEFAULT_TEXT.get(key, "")) for key in SECTION_KEYS}


def _clean_text(value):
    return str(value or "").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()


@transaction.atomic
def draft_save(*, actor, org, start, end, title="", sections):
    """Save the secretary's text of the report for `org` and start..end (one draft per organisation and period).
    Writers of the organisation only; unknown sections are refused; each text at most TEXT_MAX characters."""
    if not scoping.can_write(actor, org):
        raise PermissionDenied("您没有编辑该组织工作总结的权限")
    check_period(start, end)
    unknown = set(sections) - set(SECTION_KEYS)
    if unknown:
        raise ValidationError({"sections": "未知的部分：" + "、".join(sorted(unknown))})
    cleaned = {key: _clean_text(sections.get(key, "")) for key in SECTION_KEYS if key in sections}
    errors = {f"text_{key}": f"该部分文字不能超过{TEXT_MAX}字（现有{len(text)}字）。"
              for key, text in cleaned.items() if len(text) > TEXT_MAX}
    title = _clean_text(title)
    if len(title) > TITLE_MAX:
        errors["title"] = f"标题不能超过{TITLE_MAX}字。"
    if errors:
        raise ValidationError(errors)
    draft = ReportDraft.objects.select_for_update().filter(org=org, start=start, end=end).first()
    created = draft is None
    if created:
        draft = ReportDraft(org=org, start=start, end=end)
    before = {"title": draft.title, **draft.sections}
    draft.sections = {**draft.sections, **cleaned}
    draft.title = title
    draft.updated_by = actor
    draft.full_clean()
    draft.save()
    after = {"title": draft.title, **draft.sections}
    changed = sorted(k for k in after if after.get(k) != before.get(k))
    audit.record(actor=actor, event=audit.Event.CREATE if created else audit.Event.UPDATE, obj=draft,
                 changes={"org": org.pk, "start": start.isoformat(), "end": end.isoformat(), "changed": changed})
    return draft


# --- the document --------------------------------------------------------------------------------------------


def file_name(org, start, end):
    safe = "".join(c for c in org.name if c not in '\\/:*?"<>|').strip() or "组织"
    return f"{safe}工作总结_{start:%Y%m%d}-{end:%Y%m%d}.docx"


def render(org, start, end, *, progress=None):
    """(file name, docx bytes): the figures counted now, the saved draft's text."""
    from . import docx_summary, figures

    say = progress or (lambda done, total, message="": None)
    report = figures.collect(org, start, end, progress=lambda d, t, m="": say(d, t + 1, m))
    draft = draft_for(org, start, end)
    say(figures.STEPS, figures.STEPS + 1, "生成 Word 文档")
    title = (draft.title if draft and draft.title else default_title(org, start, end))
    data = docx_summary.build(report, title=title, texts=section_texts(draft))
    return file_name(org, start, end), data


def build_job(job, progress):
    """The report-jobs builder for kind "summary": job.org, job.params {"start", "end"}, job.created_by."""
    params = job.params or {}
    start, end = parse_period(params.get("start"), params.get("end"))
    if job.created_by is not None and not scoping.can_read(job.created_by, job.org):
        raise ValidationError("您无权查看该组织的工作总结。")
    name, data = render(job.org, start, end, progress=progress)
    return name, DOCX, data
