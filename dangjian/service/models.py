"""Service work (服务工作): activities with participants and photos, 结对共建 partnerships, 家访 and 帮教对子,
慰问 / 温暖工程 visits and the restricted 困难职工档案.

Figures the year-end reports count are never stored twice: an activity's person-times and total hours are
computed from its participant rows plus the extras typed in for people who are not on the platform
(`Activity.extra_participants`, `Activity.extra_hours`); see selectors.summary.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from dangjian.core.scoping import OrgScopedQuerySet

MONEY_MAX = Decimal("1000000")


class ActivityKind(models.TextChoices):
    THEME_DAY = "theme_day", "主题党日外出活动"
    VOLUNTEER = "volunteer", "志愿服务"
    COMMUNITY = "community", "社区双报到"
    PAIRING = "pairing", "结对共建活动"
    ASSISTANCE = "assistance", "“1+1”帮扶"
    TEACHING = "teaching", "送教支教"
    RED = "red", "红色实践"
    OTHER = "other", "其他"


class Record(models.Model):
    """Common columns of every service record owned by an organisation."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Activity(Record):
    org = models.ForeignKey("orgs.Organisation", verbose_name="组织", on_delete=models.PROTECT,
                            related_name="service_activities")
    kind = models.CharField("活动类型", max_length=16, choices=ActivityKind.choices, db_index=True)
    title = models.CharField("活动名称", max_length=200)
    date = models.DateField("日期", db_index=True)
    place = models.CharField("地点", max_length=100, blank=True, help_text="如红色教育基地、社区服务站")
    partner = models.CharField("结对/服务对象", max_length=100, blank=True, help_text="村、社区、学校名称（可选）")
    extra_participants = models.PositiveIntegerField("平台外参加人数", default=0,
                                                     help_text="未在平台登记的参加人员人数（如群众教师、学生）")
    extra_hours = models.DecimalField("平台外人员服务时长（小时）", max_digits=8, decimal_places=1,
                                      default=Decimal("0"))
    account = models.TextField("活动简述", blank=True)

    class Meta:
        verbose_name = "服务活动"
        verbose_name_plural = "服务活动"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["org", "date"]), models.Index(fields=["kind", "date"])]
        constraints = [
            models.CheckConstraint(condition=Q(extra_hours__gte=0), name="service_activity_extra_hours_nonneg",
                                   violation_error_message="平台外人员服务时长不能为负数"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}：{self.title}"


class Participant(models.Model):
    """A party member of the organisation's subtree who took part, with the hours he or she served."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey("members.Person", verbose_name="党员", on_delete=models.PROTECT,
                               related_name="service_participations")
    hours = models.DecimalField("服务时长（小时）", max_digits=5, decimal_places=1, default=Decimal("0"))

    class Meta:
        verbose_name = "活动参加人员"
        indexes = [models.Index(fields=["person", "activity"])]
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="service_unique_participant",
                                    violation_error_message="同一人在同一活动中只能登记一次"),
            models.CheckConstraint(condition=Q(hours__gte=0), name="service_participant_hours_nonneg",
                                   violation_error_message="服务时长不能为负数"),
        ]


class ActivityPhoto(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField("照片", upload_to="service/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "活动照片"
        ordering = ["id"]

    def __str__(self):
        return self.original_name


class PartnerKind(models.TextChoices):
    VILLAGE = "village", "村"
    COMMUNITY = "community", "社区"
    SCHOOL = "school", "学校"
    UNIT = "unit", "单位"


class Partnership(Record):
    """结对共建: an organisation paired with a village, community, school or unit from `since` (to `until`)."""

    org = models.ForeignKey("orgs.Organisation", verbose_name="组织", on_delete=models.PROTECT,
                            related_name="service_partnerships")
    partner_name = models.CharField("结对对象", max_length=100)
    partner_kind = models.CharField("对象类型", max_length=12, choices=PartnerKind.choices)
    since = models.DateField("结对日期")
    until = models.DateField("结束日期", null=True, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "结对共建"
        verbose_name_plural = "结对共建"
        ordering = ["-since", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(until__isnull=True) | Q(until__gte=F("since")),
                                   name="service_partnership_until_after_since",
                                   violation_error_message="结束日期不能早于结对日期"),
            models.UniqueConstraint(fields=["org", "partner_kind", "partner_name", "since"],
                                    name="service_unique_partnership",
                                    violation_error_message="该组织与该对象在同一日期已有结对记录"),
        ]

    def __str__(self):
        return f"{self.org} ↔ {self.partner_name}（{self.get_partner_kind_display()}）"


class VisitCategory(models.TextChoices):
    STRUGGLING = "struggling", "学困生"
    HARDSHIP = "hardship", "家庭困难"
    ILLNESS = "illness", "因病休学"
    BEHAVIOUR = "behaviour", "行为偏差"
    OTHER = "other", "其他"


class MentorPair(Record):
    """帮教对子: a party member paired with a student (named only by an alias or initials) for a school year."""

    org = models.ForeignKey("orgs.Organisation", verbose_name="组织", on_delete=models.PROTECT,
                            related_name="service_pairs")
    member = models.ForeignKey("members.Person", verbose_name="党员教师", on_delete=models.PROTECT,
                               related_name="service_pairs")
    student_alias = models.CharField("学生（化名或姓名首字母）", max_length=10)
    school_year = models.CharField("学年", max_length=9, help_text="如 2025-2026")
    category = models.CharField("类别", max_length=12, choices=VisitCategory.choices)
    note = models.CharField("帮教目标", max_length=300, blank=True)

    class Meta:
        verbose_name = "帮教对子"
        verbose_name_plural = "帮教对子"
        ordering = ["-school_year", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "student_alias", "school_year"], name="service_unique_pair",
                                    violation_error_message="该党员本学年已与该学生结成帮教对子"),
        ]

    def __str__(self):
        return f"{self.member} · {self.student_alias}（{self.school_year}）"


class HomeVisit(Record):
    org = models.ForeignKey("orgs.Organisation", verbose_name="组织", on_delete=models.PROTECT,
                            related_name="service_home_visits")
    teacher = models.ForeignKey("members.Person", verbose_name="家访教师", on_delete=models.PROTECT,
                                related_name="service_home_visits")
    date = models.DateField("家访日期", db_index=True)
    category = models.CharField("类别", max_length=12, choices=VisitCategory.choices)
    student_alias = models.CharField("学生（化名或姓名首字母）", max_length=10)
    pair = models.ForeignKey(MentorPair, verbose_name="帮教对子", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="visits")
    outcome = models.TextField("家访情况及效果", blank=True)

    class Meta:
        verbose_name = "家访"
        verbose_name_plural = "家访"
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["org", "date"])]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} 家访 {self.student_alias}（{self.get_category_display()}）"


class RecipientKind(models.TextChoices):
    HARDSHIP_STAFF = "hardship_staff", "困难职工"
    VETERAN = "veteran", "老党员"
    SICK_TEACHER = "sick_teacher", "生病教师"
    POOR_STUDENT = "poor_student", "困难学生"
    OTHER = "other", "其他"


class CareVisit(Record):
    """慰问 / 温暖工程: one visit (or round of visits) to people of one kind, with what it brought."""

    org = models.ForeignKey("orgs.Organisation", verbose_name="组织", on_delete=models.PROTECT,
                            related_name="service_care_visits")
    date = models.DateField("慰问日期", db_index=True)
    recipient_kind = models.CharField("慰问对象", max_length=16, choices=RecipientKind.choices)
    recipients = models.PositiveIntegerField("慰问人数")
    matters_solved = models.PositiveIntegerField("解决实际问题（件）", default=0)
    money = models.DecimalField("慰问金（元）", max_digits=10, decimal_places=2, default=Decimal("0"))
    goods = models.CharField("慰问物品", max_length=200, blank=True)
    goods_value = models.DecimalField("物品折合金额（元）", max_digits=10, decimal_places=2, default=Decimal("0"))
    visitors = models.ManyToManyField("members.Person", verbose_name="走访人员", blank=True,
                                      related_name="service_care_visits")
    note = models.TextField("情况说明", blank=True)

    class Meta:
        verbose_name = "慰问"
        verbose_name_plural = "慰问"
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(money__gte=0) & Q(money__lte=MONEY_MAX), name="service_care_money_range",
                                   violation_error_message="慰问金须在 0 至 1000000 元之间"),
            models.CheckConstraint(condition=Q(goods_value__gte=0) & Q(goods_value__lte=MONEY_MAX),
                                   name="service_care_goods_range",
                                   violation_error_message="物品折合金额须在 0 至 1000000 元之间"),
            models.CheckConstraint(condition=Q(recipients__gte=1), name="service_care_recipients_positive",
                                   violation_error_message="慰问人数至少为 1"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} 慰问{self.get_recipient_kind_display()} {self.recipients} 人"


class HardshipFile(Record):
    """困难职工档案. Staff need not be party members: a free name, optionally linked to a Person.
    Restricted: see selectors.hardship_files_for; every read is audited."""

    org = models.ForeignKey("orgs.Organisation", verbose_name="组织", on_delete=models.PROTECT,
                            related_name="service_hardship_files")
    name = models.CharField("姓名", max_length=50)
    person = models.ForeignKey("members.Person", verbose_name="关联人员", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    opened_on = models.DateField("建档日期")
    difficulty = models.CharField("困难类型", max_length=200)
    family = models.TextField("家庭情况", blank=True)
    assistance = models.TextField("帮扶记录", blank=True)
    closed_on = models.DateField("销档日期", null=True, blank=True)

    class Meta:
        verbose_name = "困难职工档案"
        verbose_name_plural = "困难职工档案"
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                                   name="service_hardship_closed_after_opened",
                                   violation_error_message="销档日期不能早于建档日期"),
        ]

    def __str__(self):
        return f"困难职工档案：{self.name}"
