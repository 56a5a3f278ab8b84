"""民主评议党员 (DOMAIN §5): a round per branch per year, self-review, anonymous peer and staff evaluation,
the committee's proposed and final grades, and follow-up of 不合格.

Anonymity (see README.md): who has voted (`Voter`, `StaffCode.used`) and what was voted (`Tally` counters,
`Comment` rows) live in separate tables with no link between them. The counters are updated in place (no
ballot row at all); comments have a random UUID key, no author, no timestamp and are shown sorted by text.
Voter rows and tallies are created when the round opens, so neither table grows in voting order.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.scoping import OrgScopedQuerySet


class Grade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASIC = "basic", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Source(models.TextChoices):
    PEER = "peer", "党员互评"
    STAFF = "staff", "教职工评议"


class Round(models.Model):
    """One 民主评议党员 of a branch for a year."""

    class Status(models.TextChoices):
        PREPARING = "preparing", "准备"
        EVALUATING = "evaluating", "自评互评"
        COMMITTEE = "committee", "支委评定"
        CLOSED = "closed", "已结束"

    org = models.ForeignKey("orgs.Organisation", verbose_name="党支部", on_delete=models.PROTECT,
                            related_name="review_rounds")
    year = models.PositiveSmallIntegerField("评议年度")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.PREPARING)
    starts_on = models.DateField("计划开始日期")
    ends_on = models.DateField("计划结束日期")
    note = models.CharField("说明", max_length=300, blank=True)
    opened_on = models.DateField("启动日期（确定参评名单）", null=True, blank=True)
    committee_on = models.DateField("进入支委评定日期", null=True, blank=True)
    closed_on = models.DateField("结束日期", null=True, blank=True)
    # The branch itself as judged by the staff (支部整体评价): counters only.
    staff_satisfied = models.PositiveIntegerField("满意", default=0)
    staff_basic = models.PositiveIntegerField("基本满意", default=0)
    staff_unsatisfied = models.PositiveIntegerField("不满意", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "民主评议"
        verbose_name_plural = "民主评议"
        ordering = ["-year", "org__path", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="review_one_round_per_org_year",
                                    violation_error_message="该党支部本年度已有民主评议"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="review_round_end_after_start",
                                   violation_error_message="计划结束日期不能早于开始日期"),
        ]

    def __str__(self):
        return f"{self.org.name} {self.year}年度民主评议党员"

    @property
    def is_open(self):
        return self.status == self.Status.EVALUATING

    @property
    def results_visible(self):
        """Tallies and comments are shown only once evaluation has ended (no watching the counters move)."""
        return self.status in (self.Status.COMMITTEE, self.Status.CLOSED)


class Subject(models.Model):
    """A member under review in a round (the list is fixed when the round opens)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="subjects")
    person = models.ForeignKey("members.Person", verbose_name="党员", on_delete=models.PROTECT,
                               related_name="review_subjects")
    probationary = models.BooleanField("预备党员", default=False)
    exempt = models.BooleanField("不参加评议", default=False)
    exempt_reason = models.CharField("不参加评议原因", max_length=200, blank=True)
    self_review = models.TextField("自我评价", blank=True)
    self_review_on = models.DateField("自评日期", null=True, blank=True)
    proposed_grade = models.CharField("支委会建议等次", max_length=12, choices=Grade.choices, blank=True)
    final_grade = models.CharField("评定等次", max_length=12, choices=Grade.choices, blank=True)

    class Meta:
        verbose_name = "参评党员"
        ordering = ["round", "person__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="review_subject_once",
                                    violation_error_message="该党员已在本次评议名单中"),
            models.CheckConstraint(condition=Q(exempt=False) | ~Q(exempt_reason=""), name="review_exempt_reason",
                                   violation_error_message="不参加评议须说明原因"),
        ]

    def __str__(self):
        return f"{self.person.name}（{self.round}）"


class Tally(models.Model):
    """The evaluations a member received, as counters only: there is no ballot row to trace."""

    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="tally")
    peer_excellent = models.PositiveIntegerField("互评·优秀", default=0)
    peer_qualified = models.PositiveIntegerField("互评·合格", default=0)
    peer_basic = models.PositiveIntegerField("互评·基本合格", default=0)
    peer_unqualified = models.PositiveIntegerField("互评·不合格", default=0)
    staff_excellent = models.PositiveIntegerField("教职工·优秀", default=0)
    staff_qualified = models.PositiveIntegerField("教职工·合格", default=0)
    staff_basic = models.PositiveIntegerField("教职工·基本合格", default=0)
    staff_unqualified = models.PositiveIntegerField("教职工·不合格", default=0)

    class Meta:
        verbose_name = "评议计票"


class Comment(models.Model):
    """An optional comment of a ballot: random key, no author, no time; listed sorted by text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="comments")
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.CASCADE, related_name="comments",
                                help_text="为空：对党支部的整体评价")
    source = models.CharField("来源", max_length=8, choices=Source.choices)
    text = models.CharField("意见建议", max_length=500)

    class Meta:
        verbose_name = "评议意见"
        ordering = ["text"]


class Voter(models.Model):
    """Who may vote in the peer evaluation and whether they have (created at opening, flipped on voting)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="voters")
    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="+")
    voted = models.BooleanField("已互评", default=False)

    class Meta:
        verbose_name = "互评参与"
        constraints = [models.UniqueConstraint(fields=["round", "person"], name="review_voter_once",
                                               violation_error_message="每人只能互评一次")]


class StaffCode(models.Model):
    """A one-time code for one staff evaluation; only its SHA-256 is stored (the code is shown once)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="staff_codes")
    digest = models.CharField(max_length=64, unique=True)
    used = models.BooleanField("已使用", default=False)

    class Meta:
        verbose_name = "教职工评议码"


class FollowUp(models.Model):
    """处置 of a member graded 不合格 (章 第九条: 限期改正, 劝其退党, 除名)."""

    class Measure(models.TextChoices):
        CORRECTION = "correction", "限期改正"
        PERSUADE = "persuade", "劝其退党"
        REMOVE = "remove", "除名"
        OTHER = "other", "其他处置"

    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="follow_up")
    measure = models.CharField("处置方式", max_length=12, choices=Measure.choices)
    due_on = models.DateField("改正期限", null=True, blank=True)
    detail = models.CharField("处置说明", max_length=500, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    outcome = models.CharField("办结情况", max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "不合格党员处置"
        constraints = [
            models.CheckConstraint(condition=~Q(measure="correction") | Q(due_on__isnull=False),
                                   name="review_correction_due", violation_error_message="限期改正须填写改正期限"),
            models.CheckConstraint(condition=~Q(measure="other") | ~Q(detail=""), name="review_other_detail",
                                   violation_error_message="其他处置须填写处置说明"),
        ]
