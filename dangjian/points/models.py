"""党员积分: the rule sets. Scores themselves are never stored: they are computed from the records
(dangjian.points.scoring) under the rule set that applies to the member's organisation."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.scoping import OrgScopedQuerySet


class RuleSet(models.Model):
    """An organisation's own 积分办法: it applies to its whole subtree unless a descendant sets its own."""

    org = models.OneToOneField("orgs.Organisation", verbose_name="制定组织", on_delete=models.CASCADE,
                               related_name="points_rule_set")
    base = models.DecimalField("基础分（每年）", max_digits=6, decimal_places=1)
    basis = models.CharField("制定依据", max_length=200, help_text="如：某党委关于党员积分管理的办法（文号）")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "积分办法"
        verbose_name_plural = "积分办法"
        constraints = [models.CheckConstraint(condition=Q(base__gte=0) & Q(base__lte=1000), name="points_base_range",
                                              violation_error_message="基础分须在0至1000之间")]

    def __str__(self):
        return f"{self.org.name}积分办法"


class Rule(models.Model):
    """Points per unit of one source (negative: a deduction), and the most it may add or deduct in a year."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    source_key = models.CharField("积分项目", max_length=64)
    points = models.DecimalField("每单位分值", max_digits=5, decimal_places=1)
    cap = models.DecimalField("年度上限（分）", max_digits=6, decimal_places=1, null=True, blank=True)

    class Meta:
        verbose_name = "积分规则"
        ordering = ["rule_set_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "source_key"], name="points_rule_unique_source",
                                    violation_error_message="同一积分办法中每个积分项目只能有一条规则"),
            models.CheckConstraint(condition=Q(points__gte=-100) & Q(points__lte=100), name="points_rule_range",
                                   violation_error_message="每单位分值须在-100至100之间"),
            models.CheckConstraint(condition=Q(cap__isnull=True) | (Q(cap__gt=0) & Q(cap__lte=1000)),
                                   name="points_rule_cap_range", violation_error_message="年度上限须在0至1000之间"),
        ]
