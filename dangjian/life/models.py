"""Organisational life: meetings of every type (三会一课 and the rest), attendance, votes, study."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from dangjian.core.scoping import OrgScopedQuerySet


class MeetingType(models.TextChoices):
    ASSEMBLY = "assembly", "支部党员大会"
    COMMITTEE = "committee", "支委会"
    GROUP = "group", "党小组会"
    LECTURE = "lecture", "党课"
    THEME_DAY = "theme_day", "主题党日"
    LIFE_MEETING = "life_meeting", "组织生活会"
    EVALUATION = "evaluation", "民主评议党员"
    TALK = "talk", "谈心谈话"
    UPPER_COMMITTEE = "upper_committee", "党总支/党委会议"
    CENTRAL_GROUP = "central_group", "理论学习中心组学习"
    DISCUSSION = "discussion", "集体研讨"
    SCHOOL_PARTY = "school_party", "学校党组织会议"
    PRINCIPAL_OFFICE = "principal_office", "校长办公会议"
    OTHER = "other", "其他"


class MeetingQuerySet(OrgScopedQuerySet):
    def held(self):
        return self.filter(status=Meeting.Status.HELD)


class Meeting(models.Model):
    """One meeting record (四落实: 时间、地点、人员、内容)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "计划"
        HELD = "held", "已召开"
        CANCELLED = "cancelled", "已取消"

    org = models.ForeignKey("orgs.Organisation", verbose_name="召开组织", on_delete=models.PROTECT,
                            related_name="meetings")
    type = models.CharField("会议类型", max_length=20, choices=MeetingType.choices, db_index=True)
    other_type = models.CharField("其他类型名称", max_length=40, blank=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PLANNED)
    theme = models.CharField("主题", max_length=200)
    date = models.DateField("日期", db_index=True)
    start_time = models.TimeField("开始时间", null=True, blank=True)
    end_time = models.TimeField("结束时间", null=True, blank=True)
    place = models.CharField("地点", max_length=100, blank=True)
    host = models.ForeignKey("members.Person", verbose_name="主持人", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    recorder = models.ForeignKey("members.Person", verbose_name="记录人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    lecturer = models.ForeignKey("members.Person", verbose_name="授课人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+", help_text="党课")
    lecturer_name = models.CharField("授课人（外请）", max_length=50, blank=True)
    by_secretary = models.BooleanField("书记讲党课", default=False)
    observers = models.CharField("列席人员", max_length=300, blank=True)
    agenda = models.TextField("议程", blank=True)
    minutes = models.TextField("会议记录", blank=True)
    decisions = models.TextField("决定事项", blank=True)
    # 三重一大 decision categories (school 党组织会议 / 校长办公会议)
    major_decision = models.BooleanField("重大决策", default=False)
    cadre_appointment = models.BooleanField("重要干部任免", default=False)
    major_project = models.BooleanField("重大项目", default=False)
    large_funds = models.BooleanField("大额资金", default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = "会议"
        verbose_name_plural = "会议"
        ordering = ["-date", "-start_time", "-id"]
        indexes = [models.Index(fields=["org", "type", "date"]), models.Index(fields=["status", "date", "org", "type"], name="meeting_status_date_org_type")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__isnull=True) | Q(start_time__isnull=True) | Q(end_time__gt=F("start_time")),
                name="meeting_end_after_start", violation_error_message="结束时间须晚于开始时间"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_type_display()}：{self.theme}"

    @property
    def type_label(self):
        return self.other_type if self.type == MeetingType.OTHER and self.other_type else self.get_type_display()


class Attendance(models.Model):
    """An expected attendee of a meeting and what became of them."""

    class Status(models.TextChoices):
        PRESENT = "present", "出席"
        LEAVE = "leave", "请假"
        ABSENT = "absent", "缺席"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField("出席情况", max_length=10, choices=Status.choices, default=Status.ABSENT)
    leave_reason = models.CharField("请假事由", max_length=200, blank=True)
    leave_approved = models.BooleanField("请假已批准", default=False)
    briefed_on = models.DateField("补课日期", null=True, blank=True)
    signed_in_at = models.DateTimeField("扫码签到时间", null=True, blank=True)

    class Meta:
        verbose_name = "出席记录"
        indexes = [models.Index(fields=["person", "status"])]
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="unique_attendance",
                                               violation_error_message="同一人在同一会议中只能有一条出席记录")]


class Vote(models.Model):
    """A vote taken in a meeting, with the tally and the computed quorum and outcome."""

    class Kind(models.TextChoices):
        ADMISSION = "admission", "接收预备党员"
        CONFIRMATION = "confirmation", "预备党员转正"
        ELECTION = "election", "选举"
        DECISION = "decision", "一般决议"
        CADRE = "cadre", "干部任免"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="votes")
    kind = models.CharField("表决事项类型", max_length=16, choices=Kind.choices)
    subject = models.CharField("表决事项", max_length=200)
    subject_person = models.ForeignKey("members.Person", verbose_name="涉及人员", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="votes_about")
    voters_due = models.PositiveIntegerField("应到有表决权人数")
    voters_present = models.PositiveIntegerField("实到有表决权人数")
    yes = models.PositiveIntegerField("赞成")
    no = models.PositiveIntegerField("反对")
    abstain = models.PositiveIntegerField("弃权")
    written_yes = models.PositiveIntegerField("书面意见赞成", default=0)
    written_no = models.PositiveIntegerField("书面意见反对", default=0)
    quorum_met = models.BooleanField("达到法定人数")
    passed = models.BooleanField("通过")
    rule_note = models.CharField("计算依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "表决"
        constraints = [
            models.CheckConstraint(condition=Q(voters_present__lte=F("voters_due")), name="vote_present_le_due",
                                   violation_error_message="实到人数不能超过应到人数"),
            models.CheckConstraint(
                condition=Q(yes__lte=F("voters_present") - F("no") - F("abstain")),
                name="vote_tally_le_present", violation_error_message="赞成、反对、弃权之和不能超过实到人数"),
        ]


def attachment_path(instance, filename):
    return f"meetings/{instance.meeting_id}/{filename}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        SIGNIN_SHEET = "signin", "签到表"
        PHOTO = "photo", "照片"
        OTHER = "other", "其他"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    file = models.FileField("文件", upload_to=attachment_path)
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class StudyTaskQuerySet(OrgScopedQuerySet):
    pass


class StudyTask(models.Model):
    """A study task an organisation issues to its whole subtree, with a due date."""

    org = models.ForeignKey("orgs.Organisation", verbose_name="下达组织", on_delete=models.PROTECT,
                            related_name="study_tasks")
    title = models.CharField("学习任务", max_length=200)
    description = models.TextField("要求", blank=True)
    starts_on = models.DateField("开始日期")
    due_on = models.DateField("完成期限")
    expected_hours = models.DecimalField("要求学时", max_digits=5, decimal_places=1, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StudyTaskQuerySet.as_manager()

    class Meta:
        verbose_name = "学习任务"
        ordering = ["-due_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(due_on__gte=F("starts_on")), name="study_due_after_start",
                                              violation_error_message="完成期限不能早于开始日期")]


class StudyLog(models.Model):
    """A member's study: a completed task, or self-directed study (task empty)."""

    person = models.ForeignKey("members.Person", on_delete=models.CASCADE, related_name="study_logs")
    task = models.ForeignKey(StudyTask, null=True, blank=True, on_delete=models.CASCADE, related_name="logs")
    date = models.DateField("学习日期")
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    notes = models.TextField("学习内容/心得", blank=True)
    attachment = models.FileField("附件", upload_to="study/", blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "学习记录"
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "person"], condition=Q(task__isnull=False),
                                    name="one_completion_per_task", violation_error_message="该学习任务已登记完成"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="study_hours_positive",
                                   violation_error_message="学时须大于0"),
        ]


class MeetingChange(models.Model):
    """Field-level history of a meeting record (edits after it was recorded as held)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "会议记录修改"
        ordering = ["-at", "-id"]
