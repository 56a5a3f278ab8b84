"""Background import jobs (roster uploads): progress the browser can poll, and the per-row error list."""

from django.conf import settings
from django.db import models

from dangjian.core.jobs import BackgroundJob, OwnJobQuerySet


class ImportJob(BackgroundJob):
    class State(models.TextChoices):
        PENDING = "pending", "等待处理"
        VALIDATING = "validating", "正在校验"
        IMPORTING = "importing", "正在写入"
        DONE = "done", "导入成功"
        FAILED = "failed", "导入失败"

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs",
                                   verbose_name="上传人")
    file_name = models.CharField("文件名", max_length=255)
    # The uploaded bytes live in the row (not on local disk) so any app server can run the job;
    # they are cleared as soon as the job finishes.
    content = models.BinaryField(null=True, blank=True, editable=False)
    status = models.CharField("状态", max_length=16, choices=State.choices, default=State.PENDING)
    total_rows = models.PositiveIntegerField("总行数", default=0)
    processed_rows = models.PositiveIntegerField("已校验行数", default=0)
    created_count = models.PositiveIntegerField("导入人数", default=0)
    errors = models.JSONField("错误", default=list, blank=True, help_text="[行号, 列, 原因] 的列表")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = OwnJobQuerySet.as_manager()

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self):
        return self.file_name

    @property
    def percent(self):
        return 100 if self.status == self.State.DONE else self.share(self.processed_rows, self.total_rows, 100)

    @property
    def error_count(self):
        return len(self.errors or [])
