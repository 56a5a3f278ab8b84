"""The audit administrator's audit-trail browser (三员分立: nobody else reads it).

One view, one template: GET lists and filters; GET ?export=csv|xlsx exports the
filtered rows (the export is itself audited); POST with `verify` checks the hash
chain and shows the result.
"""

import csv
import io
import json
from datetime import datetime, time, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import audit
from .forms import DateInput, StyledFormMixin
from .models import AuditLog

SHANGHAI = ZoneInfo("Asia/Shanghai")
XLSX_MAX_ROWS = 200_000

OUTCOME_LABELS = dict(AuditLog._meta.get_field("outcome").choices)
FIELD_LABELS = {
    "username": "用户名", "display_name": "姓名", "admin_role": "管理员角色", "is_active": "启用",
    "must_change_password": "须修改密码", "person": "人员档案", "org": "组织", "org_id": "组织编号", "role": "角色",
    "action": "操作", "cleared_attempts": "清除的失败记录", "path": "访问路径", "name": "名称", "kind": "类型",
    "unit_name": "所在单位", "founded_on": "成立日期", "dissolved_on": "撤销日期", "code": "组织编码",
    "parent": "上级组织", "gender": "性别", "ethnicity": "民族", "birth_date": "出生日期", "education": "学历",
    "occupation": "职业类别", "professional_title": "职称", "posts": "岗位", "id_number": "身份证号",
    "phone": "手机号", "group": "党小组", "status": "政治面貌", "post": "职务", "started_on": "任职日期",
    "ended_on": "离任日期", "filters": "筛选条件", "format": "格式", "rows": "行数", "via": "途径",
    "reason": "原因", "note": "说明", "effective_on": "生效日期",
}
EXPORT_HEADER = ["编号", "时间", "用户", "角色", "IP", "事件", "对象类型", "对象编号", "对象", "结果", "变更", "前序哈希",
                 "哈希"]


class AuditFilterForm(StyledFormMixin, forms.Form):
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput)
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput)
    username = forms.CharField(label="用户名", required=False, max_length=150)
    event = forms.ChoiceField(label="事件", required=False, choices=[("", "全部事件")] + audit.Event.CHOICES)
    outcome = forms.ChoiceField(label="结果", required=False, choices=[("", "全部结果")] + list(OUTCOME_LABELS.items()))
    object_type = forms.CharField(label="对象类型", required=False, max_length=100,
                                  widget=forms.TextInput(attrs={"placeholder": "如 accounts.user"}))
    object_id = forms.CharField(label="对象编号", required=False, max_length=64)
    q = forms.CharField(label="对象包含", required=False, max_length=100)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        return data


def audit_admin_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_audit_admin:
            audit.record(actor=request.user, event=audit.Event.DENIED, object_type="core.auditlog",
                         outcome="denied", changes={"path": request.path})
            raise PermissionDenied("只有审计管理员可以查阅审计日志")
        return view(request, *args, **kwargs)

    return wrapper


# --- reads and formatting --------------------------------------------------------------

def _day_start(day):
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def filtered_entries(data):
    rows = AuditLog.objects.order_by("-id")
    if data.get("date_from"):
        rows = rows.filter(at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        rows = rows.filter(at__lt=_day_start(data["date_to"] + timedelta(days=1)))
    if data.get("username"):
        # Stored usernames are scrubbed of ID numbers; scrub the query the same way.
        rows = rows.filter(username=audit.scrub(data["username"].strip()))
    if data.get("event"):
        rows = rows.filter(event=data["event"])
    if data.get("outcome"):
        rows = rows.filter(outcome=data["outcome"])
    if data.get("object_type"):
        rows = rows.filter(object_type=data["object_type"].strip())
    if data.get("object_id"):
        rows = rows.filter(object_id=data["object_id"].strip())
    if data.get("q"):
        rows = rows.filter(object_repr__icontains=data["q"].strip())
    return rows


def format_at(value):
    """2026-11-23 19:21:05 +08:00 (always Asia/Shanghai, with the offset spelled out)."""
    local = value.astimezone(SHANGHAI)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def _label(key):
    return FIELD_LABELS.get(key, key)


def format_value(value):
    if value is None or value == "":
        return "—"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(format_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return "；".join(f"{_label(k)}：{format_value(v)}" for k, v in value.items()) or "—"
    return str(value)


def readable_changes(changes):
    """{"before": {...}, "after": {...}, other...} → rows of (field, before, after) and (field, value)."""
    if not isinstance(changes, dict):
        return {"diff": [], "extra": [("", format_value(changes))]}
    before = changes.get("before") if isinstance(changes.get("before"), dict) else None
    after = changes.get("after") if isinstance(changes.get("after"), dict) else None
    diff = []
    if before is not None or after is not None:
        before, after = before or {}, after or {}
        keys = list(after) + [k for k in before if k not in after]
        diff = [(_label(k), format_value(before.get(k)), format_value(after.get(k))) for k in keys]
    extra = [(_label(k), format_value(v)) for k, v in changes.items()
             if not (k in ("before", "after") and (before is not None or after is not None))]
    return {"diff": diff, "extra": extra}


def _export_cells(entry):
    cells = [entry.id, format_at(entry.at), entry.username, entry.role, entry.ip or "", entry.get_event_display(),
             entry.object_type, entry.object_id, entry.object_repr, OUTCOME_LABELS.get(entry.outcome, entry.outcome),
             json.dumps(entry.changes, ensure_ascii=False, sort_keys=True), entry.prev_hash, entry.hash]
    # Spreadsheet formula injection: a cell must never start with = + - @ (or tab/CR).
    return [f"'{c}" if isinstance(c, str) and c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in cells]


class _Echo:
    def write(self, value):
        return value


def _export(request, rows, data, fmt):
    filters = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items() if v}
    total = rows.count()
    if fmt == "xlsx" and total > XLSX_MAX_ROWS:
        return None, f"共 {total} 条记录，超过 Excel 导出上限 {XLSX_MAX_ROWS} 条，请缩小范围或导出 CSV。"
    marker = audit.record(actor=request.user, event=audit.Event.EXPORT, object_type="core.auditlog",
                          object_repr="审计日志", changes={"format": fmt, "filters": filters, "rows": total})
    rows = rows.filter(id__lt=marker.id)
    stamp = format_at(marker.at)[:10].replace("-", "")
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def stream():
            yield "\ufeff"  # BOM: Excel opens UTF-8 Chinese correctly
            yield writer.writerow(EXPORT_HEADER)
            for entry in rows.iterator(chunk_size=2000):
                yield writer.writerow(_export_cells(entry))

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response, None
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("审计日志")
    sheet.append(EXPORT_HEADER)
    for entry in rows.iterator(chunk_size=2000):
        sheet.append(_export_cells(entry))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.xlsx"'
    return response, None


# --- the page ------------------------------------------------------------------------

@audit_admin_required
@require_http_methods(["GET", "POST"])
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    rows = filtered_entries(data)
    context = {"form": form}

    if request.method == "POST" and "verify" in request.POST:
        ok, checked, broken = audit.verify_chain()
        context["verify"] = {"ok": ok, "count": checked, "broken": broken}

    export = request.GET.get("export")
    if request.method == "GET" and export in ("csv", "xlsx") and valid:
        response, error = _export(request, rows, data, export)
        if response is not None:
            return response
        context["export_error"] = error

    page = Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    entries = []
    for entry in page.object_list:
        entries.append({
            "entry": entry,
            "at": format_at(entry.at),
            "event_label": entry.get_event_display(),
            "outcome_label": OUTCOME_LABELS.get(entry.outcome, entry.outcome),
            "changes": readable_changes(entry.changes),
        })
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    context.update(page=page, entries=entries, querystring=params.urlencode())
    return render(request, "core/audit.html", context)
