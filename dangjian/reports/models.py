"""Report jobs: long work (a district's summary report, statistics over many schools) runs in the background with
progress the browser polls; the finished file is kept in the row so any app server can hand it out."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.jobs import BackgroundJob, OwnJobQuerySet


class ReportJob(BackgroundJob):
    class State(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "正在生成"
        DONE = "done", "已完成"
        FAILED = "failed", "生成失败"

    ACTIVE = (State.PENDING, State.RUNNING)

    kind = models.CharField("类型", max_length=32)
    org = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="report_jobs",
                            verbose_name="范围")
    params = models.JSONField("参数", default=dict, blank=True)
    # kind + org + params, canonical: at most one active job per key (a database constraint, so two app servers
    # cannot both start the same report).
    key = models.CharField(max_length=255, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_jobs",
                                   verbose_name="申请人")
    status = models.CharField("状态", max_length=16, choices=State.choices, default=State.PENDING)
    done = models.PositiveIntegerField("已完成", default=0)
    total = models.PositiveIntegerField("总量", default=0)
    message = models.CharField("进度说明", max_length=200, blank=True)
    error = models.TextField("错误", blank=True)
    file_name = models.CharField("文件名", max_length=255, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = OwnJobQuerySet.as_manager()

    class Meta:
        verbose_name = "报告任务"
        verbose_name_plural = "报告任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]
        constraints = [models.UniqueConstraint(fields=["key"], condition=Q(status__in=["pending", "running"]),
                                               name="reports_one_active_job_per_key")]

    def __str__(self):
        return f"{self.kind} {self.org_id}"

    @property
    def percent(self):
        return 100 if self.status == self.State.DONE else self.share(self.done, self.total, 99)


class ReportDraftQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Drafts of organisations in the user's scope (a draft is shared by the organisation's writers)."""
        from dangjian.core.scoping import scope_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(scope_q(user, "org__path"))


class ReportDraft(models.Model):
    """The secretary's text of a summary report (工作总结) for one organisation and period: one text per section
    (`sections` = {section key: text}). The figures are never stored here: they are counted from the records
    each time the report is shown or generated."""

    org = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="report_drafts",
                            verbose_name="组织")
    start = models.DateField("起始日期")
    end = models.DateField("截止日期")
    title = models.CharField("标题", max_length=200, blank=True)
    sections = models.JSONField("各部分文字", default=dict, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name="修改人")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = ReportDraftQuerySet.as_manager()

    class Meta:
        verbose_name = "工作总结草稿"
        verbose_name_plural = "工作总结草稿"
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "start", "end"], name="reports_one_draft_per_period",
                                    violation_error_message="该组织此期间的工作总结草稿已存在"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="reports_draft_end_after_start",
                                   violation_error_message="截止日期不能早于起始日期"),
        ]

    def __str__(self):
        return f"{self.org} {self.start}—{self.end} 工作总结"
