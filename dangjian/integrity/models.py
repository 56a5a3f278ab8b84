"""廉政建设: 廉政档案, 约谈, 警示教育, 纪律处分 — restricted records (纪检 and the district only; every read audited)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class IntegrityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The one visibility rule of this app (see selectors.visible_q)."""
        from .selectors import visible_q

        return self.filter(visible_q(user))


class Record(models.Model):
    org = models.ForeignKey("orgs.Organisation", verbose_name="所属组织", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = IntegrityQuerySet.as_manager()

    class Meta:
        abstract = True


class IntegrityFile(Record):
    """廉政档案 of a cadre (one per person)."""

    person = models.ForeignKey("members.Person", verbose_name="干部", on_delete=models.PROTECT,
                               related_name="integrity_files")
    post = models.CharField("职务", max_length=100)
    relatives_count = models.PositiveIntegerField("纳入档案的亲属人数", default=0)
    declarations = models.TextField("个人有关事项申报", blank=True)
    notes = models.TextField("备注", blank=True)
    updated_on = models.DateField("档案更新日期")

    class Meta:
        verbose_name = "廉政档案"
        verbose_name_plural = "廉政档案"
        ordering = ["-updated_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["person"], name="integrity_one_file_per_person",
                                               violation_error_message="该干部已有廉政档案")]

    def __str__(self):
        return f"廉政档案：{self.person.name}"


class Talk(Record):
    """约谈 (提醒谈话, 诫勉谈话, 函询)."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "提醒谈话"
        ADMONITION = "admonition", "诫勉谈话"
        INQUIRY = "inquiry", "函询"
        OTHER = "other", "其他"

    person = models.ForeignKey("members.Person", verbose_name="谈话对象", on_delete=models.PROTECT,
                               related_name="integrity_talks")
    talked_on = models.DateField("约谈日期")
    kind = models.CharField("约谈类型", max_length=12, choices=Kind.choices)
    talked_by = models.CharField("约谈人", max_length=100)
    summary = models.TextField("谈话要点", blank=True)

    class Meta:
        verbose_name = "约谈记录"
        verbose_name_plural = "约谈记录"
        ordering = ["-talked_on", "-id"]

    def __str__(self):
        return f"{self.talked_on:%Y-%m-%d} {self.get_kind_display()}：{self.person.name}"


class WarningEducation(Record):
    """警示教育 held by an organisation."""

    held_on = models.DateField("日期")
    title = models.CharField("主题", max_length=200)
    form = models.CharField("形式", max_length=100, help_text="如：观看警示教育片、参观廉政教育基地、案例通报")
    participants = models.PositiveIntegerField("参加人数")
    person_times = models.PositiveIntegerField("参加人次")

    class Meta:
        verbose_name = "警示教育"
        verbose_name_plural = "警示教育"
        ordering = ["-held_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(person_times__gte=F("participants")),
                                              name="integrity_times_ge_people",
                                              violation_error_message="参加人次不能少于参加人数")]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.title}"


class Sanction(Record):
    """纪律处分 (章 第四十条: 警告、严重警告、撤销党内职务、留党察看、开除党籍)."""

    class Kind(models.TextChoices):
        WARNING = "warning", "警告"
        SERIOUS_WARNING = "serious_warning", "严重警告"
        REMOVAL_FROM_POST = "removal", "撤销党内职务"
        PROBATION = "probation", "留党察看"
        EXPULSION = "expulsion", "开除党籍"

    person = models.ForeignKey("members.Person", verbose_name="受处分人", on_delete=models.PROTECT,
                               related_name="sanctions")
    kind = models.CharField("处分种类", max_length=16, choices=Kind.choices)
    decided_on = models.DateField("决定日期")
    decided_by = models.CharField("决定机关", max_length=100)
    document_no = models.CharField("处分决定文号", max_length=100)
    probation_until = models.DateField("留党察看期满日期", null=True, blank=True)

    class Meta:
        verbose_name = "纪律处分"
        verbose_name_plural = "纪律处分"
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="probation", probation_until__isnull=False, probation_until__gt=F("decided_on"))
                           | (~Q(kind="probation") & Q(probation_until__isnull=True))),
                name="integrity_probation_period",
                violation_error_message="留党察看须填写晚于决定日期的期满日期，其他处分不填"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.person.name}（{self.document_no}）"
