"""党费 (DOMAIN §4): categories and bases with their month of effect, monthly bills, payments,
reductions/waivers and voluntary payments.

Bills and payments belong to a *person*, never to an organisation, so a member moved between
schools keeps one continuous account; each bill records the organisation it was generated under
(for reporting). Money is Decimal with two places; months are stored as the first day of the month.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Category(models.TextChoices):
    EMPLOYED = "employed", "在职"
    ANNUAL = "annual", "年薪制"
    IRREGULAR = "irregular", "不固定收入"
    RETIRED = "retired", "离退休"
    RELIEF = "relief", "学生/失业/低保"
    FARMER = "farmer", "农民"


# Categories whose amount is a fixed sum (no base needed).
FIXED_CATEGORIES = {Category.RELIEF, Category.FARMER}


def _scope(user, *fields):
    from dangjian.core.scoping import scope_q

    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    q = Q(pk__in=[])
    for field in fields:
        q |= scope_q(user, field)
    return q


class DuesBaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(_scope(user, "person__org__path") | Q(person__user_id=user.pk))


class DuesBase(models.Model):
    """A member's dues category and base from a month on (until the next row)."""

    class Source(models.TextChoices):
        MANUAL = "manual", "逐条录入"
        PAYROLL = "payroll", "工资表导入"
        DEMO = "demo", "演示数据"

    person = models.ForeignKey("members.Person", on_delete=models.CASCADE, related_name="dues_bases")
    category = models.CharField("党费类别", max_length=12, choices=Category.choices)
    base = models.DecimalField("计算基数（元/月）", max_digits=10, decimal_places=2, default=0)
    effective_month = models.DateField("起始月份", help_text="该月1日")
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DuesBaseQuerySet.as_manager()

    class Meta:
        verbose_name = "党费基数"
        ordering = ["person_id", "effective_month"]
        constraints = [
            models.UniqueConstraint(fields=["person", "effective_month"], name="dues_base_unique_month",
                                    violation_error_message="该党员此月份已有党费基数"),
            models.CheckConstraint(condition=Q(base__gte=0) & Q(base__lte=1_000_000), name="dues_base_range",
                                   violation_error_message="计算基数须在0至1000000元之间"),
        ]

    def __str__(self):
        return f"{self.person} {self.effective_month:%Y-%m} {self.get_category_display()} {self.base}"


class DuesPayment(models.Model):
    """One payment by (or for) a named member, covering one or several monthly bills."""

    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="dues_payments",
                               verbose_name="党员")
    org = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+",
                            verbose_name="收缴组织")
    paid_on = models.DateField("缴纳日期")
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2)
    months = models.PositiveSmallIntegerField("月数", default=1)
    payer_name = models.CharField("代缴人", max_length=50, blank=True, help_text="本人缴纳时留空")
    approved_by = models.CharField("批准机关", max_length=100, blank=True)
    approved_on = models.DateField("批准日期", null=True, blank=True)
    approval_no = models.CharField("批准文号", max_length=60, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党费缴纳"
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="dues_payment_amount_positive",
                                              violation_error_message="金额不能为负数")]

    def __str__(self):
        return f"{self.person} {self.paid_on} {self.amount}元"

    @property
    def by_proxy(self):
        return bool(self.payer_name)


class DuesBillQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Bills of people in the user's scope (where they are now), bills generated under an organisation
        in the scope (history of members who moved away), and the user's own bills."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(_scope(user, "person__org__path", "org__path") | Q(person__user_id=user.pk))

    def unpaid(self):
        return self.filter(payment__isnull=True, waived=False)


class DuesBill(models.Model):
    """What a member owes for one month, with the reason (base, tier, rate, source)."""

    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="dues_bills")
    month = models.DateField("月份", help_text="该月1日")
    org = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+",
                            verbose_name="生成时所在组织")
    category = models.CharField("党费类别", max_length=12, choices=Category.choices)
    base = models.DecimalField("计算基数", max_digits=10, decimal_places=2, default=0)
    base_month = models.DateField("基数起始月份", null=True, blank=True)
    rate = models.DecimalField("比例", max_digits=6, decimal_places=4, null=True, blank=True)
    tier = models.CharField("档次", max_length=40, blank=True)
    source = models.CharField("依据", max_length=60, blank=True)
    standard_amount = models.DecimalField("标准金额", max_digits=10, decimal_places=2)
    amount = models.DecimalField("应缴金额", max_digits=10, decimal_places=2)
    # Reduction or waiver (费规 第七条): the branch studies it, the next-level 党委 approves.
    waived = models.BooleanField("免交", default=False)
    adjusted = models.BooleanField("减交或免交", default=False)
    approved_by = models.CharField("批准机关", max_length=100, blank=True)
    approved_on = models.DateField("批准日期", null=True, blank=True)
    approval_no = models.CharField("批准文号", max_length=60, blank=True)
    adjust_reason = models.CharField("减免理由", max_length=200, blank=True)
    payment = models.ForeignKey(DuesPayment, null=True, blank=True, on_delete=models.PROTECT, related_name="bills")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DuesBillQuerySet.as_manager()

    class Meta:
        verbose_name = "党费账单"
        ordering = ["person_id", "month"]
        indexes = [models.Index(fields=["org", "month"]), models.Index(fields=["month", "payment"])]
        constraints = [
            models.UniqueConstraint(fields=["person", "month"], name="dues_bill_unique_month",
                                    violation_error_message="该党员此月份的党费账单已存在"),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(standard_amount__gte=0),
                                   name="dues_bill_amount_positive", violation_error_message="金额不能为负数"),
            models.CheckConstraint(condition=Q(waived=False) | Q(payment__isnull=True),
                                   name="dues_bill_waived_unpaid", violation_error_message="免交的账单不能再缴纳"),
        ]

    def __str__(self):
        return f"{self.person} {self.month:%Y年%m月} {self.amount}元"

    @property
    def state(self):
        if self.waived:
            return "waived"
        return "paid" if self.payment_id else "unpaid"

    @property
    def state_label(self):
        return {"waived": "已免交", "paid": "已缴", "unpaid": "未缴"}[self.state]

    @property
    def rate_label(self):
        if self.rate is None:
            return "定额"
        return f"{(self.rate * 100).normalize():f}%"


class VoluntaryPayment(models.Model):
    """自愿多交党费: kept apart from the monthly bills. A single payment of 1 000 元 or more is remitted
    entirely to the Centre (中央)."""

    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="voluntary_dues",
                               verbose_name="党员")
    org = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+",
                            verbose_name="收缴组织")
    paid_on = models.DateField("缴纳日期")
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    remit_to_centre = models.BooleanField("全额上缴中央", default=False)
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "自愿多交党费"
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="dues_voluntary_positive",
                                              violation_error_message="金额须大于0")]


class PayrollMapping(models.Model):
    """How an organisation's payroll workbook maps to a dues base: the role of each column, remembered
    after the first import. `columns` = {header: role} (roles: see importing.ROLES)."""

    org = models.OneToOneField("orgs.Organisation", on_delete=models.CASCADE, related_name="payroll_mapping")
    columns = models.JSONField("列对应关系", default=dict)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "工资表列对应"
