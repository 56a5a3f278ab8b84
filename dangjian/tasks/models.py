"""任务清单 (tasks an organisation issues to its subtree, one receipt per receiver), 党建目标责任书, 党建指导员."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q

from dangjian.core import scoping
from dangjian.core.scoping import OrgScopedQuerySet


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Tasks issued in the user's scope, and tasks received by an organisation in it."""
        received = Receipt.objects.filter(task=OuterRef("pk")).filter(scoping.scope_q(user, "org__path"))
        return self.filter(scoping.scope_q(user, "org__path") | Q(Exists(received)))


class Task(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "进行中"
        WITHDRAWN = "withdrawn", "已撤回"

    class Receivers(models.TextChoices):
        BRANCHES = "branches", "下级全部党支部"
        CHILDREN = "children", "直接下级组织"
        SCHOOLS = "schools", "下级全部学校党组织"
        EXPLICIT = "explicit", "指定组织"

    org = models.ForeignKey("orgs.Organisation", verbose_name="下达组织", on_delete=models.PROTECT,
                            related_name="issued_tasks")
    title = models.CharField("任务名称", max_length=200)
    body = models.TextField("任务要求", blank=True)
    issued_on = models.DateField("下达日期")
    due_on = models.DateField("完成期限")
    receivers = models.CharField("接收范围", max_length=12, choices=Receivers.choices)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    attachment = models.FileField("附件", upload_to="tasks/%Y/%m/", blank=True)
    attachment_name = models.CharField("附件名", max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    withdrawn_on = models.DateField("撤回日期", null=True, blank=True)
    withdraw_reason = models.CharField("撤回原因", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = "任务"
        verbose_name_plural = "任务"
        ordering = ["-issued_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(due_on__gte=F("issued_on")), name="task_due_after_issue",
                                              violation_error_message="完成期限不能早于下达日期")]

    def __str__(self):
        return self.title


class ReceiptQuerySet(OrgScopedQuerySet):
    def open(self):
        return self.filter(done_on__isnull=True, task__status=Task.Status.OPEN)

    def annotate_files(self):
        return self.annotate(file_count=models.Count("files"))


class Receipt(models.Model):
    """One receiving organisation's copy of a task: its answer, and when it was done."""

    class State(models.TextChoices):
        OPEN = "open", "未完成"
        DONE = "done", "已完成"
        OVERDUE = "overdue", "逾期"
        DONE_LATE = "done_late", "逾期完成"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="receipts")
    org = models.ForeignKey("orgs.Organisation", verbose_name="接收组织", on_delete=models.PROTECT,
                            related_name="task_receipts")
    answer = models.TextField("完成情况", blank=True)
    done_on = models.DateField("完成日期", null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField("反馈时间", null=True, blank=True)

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = "任务接收"
        verbose_name_plural = "任务接收"
        ordering = ["task", "org__path"]
        constraints = [models.UniqueConstraint(fields=["task", "org"], name="task_one_receipt_per_org",
                                               violation_error_message="该组织已接收此任务")]
        indexes = [models.Index(fields=["org", "done_on"])]

    def __str__(self):
        return f"{self.task.title} · {self.org.name}"

    def state(self, on):
        """未完成 / 已完成 / 逾期 / 逾期完成, judged against the task's (current) due date."""
        due = self.task.due_on
        if self.done_on is None:
            return self.State.OVERDUE if on > due else self.State.OPEN
        return self.State.DONE_LATE if self.done_on > due else self.State.DONE


class ReceiptFile(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="files")
    file = models.FileField("文件", upload_to="tasks/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "任务反馈附件"
        ordering = ["uploaded_at", "id"]


class Pledge(models.Model):
    """党建目标责任书 of an organisation for a year."""

    org = models.ForeignKey("orgs.Organisation", verbose_name="签订组织", on_delete=models.PROTECT,
                            related_name="pledges")
    year = models.PositiveSmallIntegerField("年度")
    signed_on = models.DateField("签订日期")
    signers = models.CharField("签订人", max_length=200, help_text="如：区委教育工委书记 王某；学校党组织书记 李某")
    file = models.FileField("责任书文件", upload_to="tasks/%Y/%m/")
    file_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "党建目标责任书"
        verbose_name_plural = "党建目标责任书"
        ordering = ["-year", "org__path"]
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="pledge_one_per_org_year",
                                               violation_error_message="该组织该年度已有目标责任书")]

    def __str__(self):
        return f"{self.year}年党建目标责任书：{self.org.name}"


class Instructor(models.Model):
    """党建指导员 assigned to a school's party organisation."""

    org = models.ForeignKey("orgs.Organisation", verbose_name="指导学校党组织", on_delete=models.PROTECT,
                            related_name="instructors")
    person = models.ForeignKey("members.Person", verbose_name="党员档案（可选）", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    name = models.CharField("姓名", max_length=50)
    unit = models.CharField("工作单位", max_length=100)
    started_on = models.DateField("起始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    phone_cipher = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField("联系电话", max_length=20, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "党建指导员"
        verbose_name_plural = "党建指导员"
        ordering = ["org__path", "-started_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                                              name="instructor_end_after_start",
                                              violation_error_message="结束日期不能早于起始日期")]

    def __str__(self):
        return f"{self.name}（{self.org.name}）"

    def set_phone(self, value):
        from dangjian.core import crypto, idnumber

        value = (value or "").strip()
        self.phone_cipher = crypto.encrypt(value) if value else ""
        self.phone_masked = idnumber.mask_phone(value) if value else ""

    def get_phone(self):
        from dangjian.core import crypto

        return crypto.decrypt(self.phone_cipher) if self.phone_cipher else ""
