"""API of the background import jobs: the roster Excel import (the 人员导入 page's twin) and any import job's state.

`POST /api/imports/people` runs the page's services (dangjian.members.importing): `roster_import_submit` (the same
size and type checks; the file is kept in a new ImportJob) and `roster_import_start` (a background thread in
production, at once when IMPORT_IN_THREAD is off). It answers 202 with the job; the client polls
`GET /api/imports/{id}` until the status is done or failed. All or nothing: one bad row imports nothing, and every
bad row is listed as {row, column, reason}. A job is private to the user who uploaded it (ImportJob.objects.
visible_to): anyone else gets 404, audited, as on the job page. The payroll import (dues) uses the same jobs.
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from dangjian.api.common import get_object
from dangjian.api.schemas import Choice, ErrorOut
from dangjian.members import importing

from .models import ImportJob

router = Router(tags=["导入任务"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ImportErrorOut(Schema):
    row: int | None = Field(..., description="Excel 行号（整体性错误为空）")
    column: str = Field(..., description="列名（整体性错误为空）")
    reason: str


class ImportJobOut(Schema):
    id: int
    file_name: str
    status: Choice(ImportJob.State) = Field(..., description="pending 等待处理 / validating 正在校验 / importing 正在写入 / "
                                                            "done 导入成功 / failed 导入失败")
    status_label: str
    finished: bool = Field(..., description="已结束（done 或 failed），无须再查询")
    stale: bool = Field(..., description="超过一小时仍未结束（服务器中途重启）：视为中断，未写入任何数据，请重新上传")
    percent: int = Field(..., description="进度百分比（0–100）")
    total_rows: int
    processed_rows: int = Field(..., description="已校验的行数")
    created_count: int = Field(..., description="导入的人数（失败时为 0）")
    error_count: int
    errors: list[ImportErrorOut] = Field(..., description="每个错误的行号、列和原因；任何一处错误则整个文件未导入")
    created_at: datetime
    finished_at: datetime | None


def job_dict(job):
    return {
        "id": job.pk, "file_name": job.file_name, "status": job.status, "status_label": job.get_status_display(),
        "finished": job.is_finished, "stale": job.is_stale, "percent": job.percent, "total_rows": job.total_rows,
        "processed_rows": job.processed_rows, "created_count": job.created_count, "error_count": job.error_count,
        "errors": [{"row": row, "column": column or "", "reason": reason} for row, column, reason in job.errors or []],
        "created_at": job.created_at, "finished_at": job.finished_at,
    }


def own_job(request, job_id):
    """The job, only for the user who uploaded it (404 and an audit row otherwise)."""
    return get_object(request, ImportJob.objects.defer("content"), job_id)


@router.post("/imports/people", response={202: ImportJobOut, **ERRORS}, summary="Excel 导入人员名册")
def people_import(request, file: File[UploadedFile]):
    """multipart/form-data，字段 file：.xlsx 工作簿（平台名册模板或全国党员管理信息系统16项格式，模板在“人员导入”页面下载），
    与页面相同的检查（大小、确为 .xlsx、行数），否则 422（errors 的键为 file）。仅在某一组织担任组织管理员或书记的账户
    （否则 403）。受理后返回 202 和导入任务，导入在后台进行：用 `GET /api/imports/{id}` 查询进度和结果。
    全部或全不：任何一行有误则不导入任何数据，并列出每一处错误（行号、列、原因）。记入审计。"""
    if not importing.can_import(request.user):
        raise PermissionDenied("您没有导入人员的权限。")
    job = importing.roster_import_submit(actor=request.user, upload=file)
    importing.roster_import_start(job)
    return Status(202, job_dict(ImportJob.objects.defer("content").get(pk=job.pk)))


@router.get("/imports/{job_id}", response={200: ImportJobOut, **ERRORS}, summary="导入任务的状态和结果")
def imports_detail(request, job_id: int):
    """人员名册导入和工资表导入党费基数的任务。只有上传人本人可以查看，其他账户 404。"""
    return job_dict(own_job(request, job_id))
