from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.scoping import OrgScopedQuerySet

from .steps import STEPS


class FileQuerySet(OrgScopedQuerySet):
    def open(self):
        return self.filter(state=DevelopmentFile.State.OPEN)


class DevelopmentFile(models.Model):
    """A candidate's 发展党员 file: the 25 steps from 入党申请 to 转正 and archiving."""

    class State(models.TextChoices):
        OPEN = "open", "进行中"
        DONE = "done", "已完成"
        CANCELLED = "cancelled", "已取消预备党员资格"
        WITHDRAWN = "withdrawn", "已终止（入党前撤回或终止培养）"

    class Withdrawal(models.TextChoices):
        APPLICANT = "applicant", "申请人撤回"
        ORG = "org", "组织终止培养"

    person = models.ForeignKey("members.Person", verbose_name="发展对象人员", on_delete=models.PROTECT,
                               related_name="development_files")
    org = models.ForeignKey("orgs.Organisation", verbose_name="负责党组织", on_delete=models.PROTECT,
                            related_name="development_files")
    state = models.CharField("状态", max_length=12, choices=State.choices, default=State.OPEN)
    applied_on = models.DateField("递交入党申请书日期")
    extension_months = models.PositiveSmallIntegerField("延长预备期（月）", null=True, blank=True)
    extension_decided_on = models.DateField("延长预备期决定日期", null=True, blank=True)
    extension_approval_no = models.CharField("延长预备期批复文号", max_length=60, blank=True)
    cancelled_on = models.DateField("取消预备党员资格日期", null=True, blank=True)
    cancel_reason = models.CharField("取消原因", max_length=300, blank=True)
    withdraw_kind = models.CharField("终止方式", max_length=10, choices=Withdrawal.choices, blank=True)
    withdrawn_on = models.DateField("终止日期", null=True, blank=True)
    withdraw_reason = models.CharField("终止原因", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FileQuerySet.as_manager()

    class Meta:
        verbose_name = "发展党员档案"
        verbose_name_plural = "发展党员档案"
        ordering = ["org_id", "applied_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(state="open"), name="pipeline_one_open_file",
                                    violation_error_message="该人员已有进行中的发展党员档案。"),
        ]
        indexes = [models.Index(fields=["org", "state"])]

    def __str__(self):
        return f"{self.person.name}的发展党员档案"


class DevelopmentStep(models.Model):
    """One recorded step with its evidence: date, people, deciding meeting and vote, 备案/审批 number."""

    file = models.ForeignKey(DevelopmentFile, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField("步骤", choices=[(s.number, s.label) for s in STEPS])
    date = models.DateField("日期")
    talker = models.ForeignKey("members.Person", verbose_name="谈话人", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    talker_name = models.CharField("谈话人（系统外）", max_length=50, blank=True)
    contact_1 = models.ForeignKey("members.Person", verbose_name="培养联系人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    contact_2 = models.ForeignKey("members.Person", verbose_name="培养联系人（第二名）", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    sponsor_1 = models.ForeignKey("members.Person", verbose_name="入党介绍人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    sponsor_2 = models.ForeignKey("members.Person", verbose_name="入党介绍人（第二名）", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey("life.Meeting", verbose_name="决定会议", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    vote = models.ForeignKey("life.Vote", verbose_name="表决", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    conclusion = models.TextField("政治审查结论", blank=True)
    training_days = models.PositiveSmallIntegerField("培训天数", null=True, blank=True)
    training_hours = models.PositiveSmallIntegerField("培训学时", null=True, blank=True)
    publicity_start = models.DateField("公示开始日期", null=True, blank=True)
    publicity_end = models.DateField("公示结束日期", null=True, blank=True)
    approval_no = models.CharField("备案/批复文号", max_length=60, blank=True)
    approval_date = models.DateField("备案/批复日期", null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    overridden = models.BooleanField("违反规则仍保存", default=False)
    override_reason = models.CharField("原因", max_length=300, blank=True)
    override_rules = models.JSONField("所违反的规则", default=list, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "发展党员步骤"
        ordering = ["number", "date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["file", "number"], condition=~Q(number=6), name="pipeline_step_once",
                                    violation_error_message="该步骤已登记。"),
            models.CheckConstraint(condition=Q(number__gte=1) & Q(number__lte=25), name="pipeline_step_number",
                                   violation_error_message="步骤编号须在1至25之间。"),
        ]

    def __str__(self):
        return f"{self.file.person.name}：第{self.number}步"


def step_attachment_path(instance, filename):
    return f"pipeline/files/{instance.step.file_id}/{filename}"


class StepAttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Attachments of the files the user may read (their file's organisation is in the user's scope)."""
        from dangjian.core.scoping import scope_q

        return self.filter(scope_q(user, "step__file__org__path"))


class StepAttachment(models.Model):
    """A scanned paper (申请书, 思想汇报, 政审材料, 志愿书 …) kept with one recorded step of a file."""

    step = models.ForeignKey(DevelopmentStep, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("文件", upload_to=step_attachment_path)
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = StepAttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = "发展党员步骤附件"
        verbose_name_plural = "发展党员步骤附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"附件：{self.original_name}"


class DocumentTemplate(models.Model):
    """A replacement .docx template for one kind of document (paperwork.KINDS); without one, the default
    template shipped in dangjian/pipeline/doc_templates/ is used."""

    kind = models.CharField("文书类型", max_length=30, unique=True)
    file = models.FileField("模板文件", upload_to="pipeline/templates/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=150)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "文书模板"
        verbose_name_plural = "文书模板"

    def __str__(self):
        return f"文书模板：{self.kind}"
