"""述职评议 (DOMAIN §5): each 书记 reports yearly on his or her Party-building work; the level above scores the
report with its own scoring form. The result is the average of the scorers' totals, never typed by hand."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.scoping import OrgScopedQuerySet


class ScoringForm(models.Model):
    """The scoring form an organisation issues for a year, used to score the secretaries below it."""

    org = models.ForeignKey("orgs.Organisation", verbose_name="组织评议的党组织", on_delete=models.PROTECT,
                            related_name="appraisal_forms")
    year = models.PositiveSmallIntegerField("年度")
    title = models.CharField("名称", max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "述职评议评分表"
        ordering = ["-year", "org__path", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="appraisal_form_unique_year",
                                               violation_error_message="该组织本年度已有述职评议评分表")]

    def __str__(self):
        return f"{self.org.name}{self.year}年度{self.title}"


class Item(models.Model):
    form = models.ForeignKey(ScoringForm, on_delete=models.CASCADE, related_name="items")
    name = models.CharField("评分项目", max_length=100)
    max_score = models.DecimalField("满分", max_digits=5, decimal_places=1)
    guidance = models.CharField("评分要点", max_length=300, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "评分项目"
        ordering = ["form_id", "order", "id"]
        constraints = [models.CheckConstraint(condition=Q(max_score__gt=0) & Q(max_score__lte=100),
                                              name="appraisal_item_max_range",
                                              violation_error_message="满分须大于0且不超过100")]


class Report(models.Model):
    """A secretary's yearly report (述职报告) for an organisation below the form's issuer."""

    form = models.ForeignKey(ScoringForm, verbose_name="评分表", on_delete=models.PROTECT, related_name="reports")
    org = models.ForeignKey("orgs.Organisation", verbose_name="述职组织", on_delete=models.PROTECT,
                            related_name="appraisal_reports")
    person = models.ForeignKey("members.Person", verbose_name="述职书记", on_delete=models.PROTECT,
                               related_name="appraisal_reports")
    text = models.TextField("述职报告")
    submitted_on = models.DateField("提交日期")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "书记述职报告"
        ordering = ["org__path", "id"]
        constraints = [models.UniqueConstraint(fields=["form", "org"], name="appraisal_report_unique_org",
                                               violation_error_message="该组织已提交本年度述职报告")]

    def __str__(self):
        return f"{self.org.name} {self.person.name} {self.form.year}年度述职报告"


class Attachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("文件", upload_to="appraisal/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "述职报告附件"


class Sheet(models.Model):
    """One scorer's scoring of one report: a mark per item and a comment."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sheets")
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="评分人", on_delete=models.PROTECT,
                               related_name="+")
    comment = models.CharField("评语", max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "评分"
        constraints = [models.UniqueConstraint(fields=["report", "scorer"], name="appraisal_sheet_unique_scorer",
                                               violation_error_message="您已为该述职报告评过分")]


class Mark(models.Model):
    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="marks")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="marks")
    score = models.DecimalField("得分", max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = "项目得分"
        constraints = [
            models.UniqueConstraint(fields=["sheet", "item"], name="appraisal_mark_unique_item",
                                    violation_error_message="每个项目只能评一个分"),
            models.CheckConstraint(condition=Q(score__gte=0), name="appraisal_mark_not_negative",
                                   violation_error_message="得分不能为负数"),
        ]
