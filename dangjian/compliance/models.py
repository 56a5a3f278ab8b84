from django.conf import settings
from django.db import models

from .rulebook import FindingText


class RuleOverride(models.Model):
    """An organisation's own setting for a rule; it applies to the whole subtree unless
    a descendant overrides it again."""

    org = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="rule_overrides")
    rule_id = models.CharField("规则", max_length=64)
    enabled = models.BooleanField("启用", default=True)
    params = models.JSONField("参数", default=dict, blank=True)
    reason = models.CharField("调整依据", max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "规则调整"
        constraints = [models.UniqueConstraint(fields=["org", "rule_id"], name="unique_rule_override",
                                               violation_error_message="该组织已调整过此规则")]


class FindingRun(models.Model):
    """One stored run of the findings engine over every active organisation (the nightly `findings` job, or
    `dangjian findings --store`), written in one transaction: a run other readers see is complete. Pages over
    scopes too large to check on each visit read the newest run (`compliance.selectors.findings_in`); smaller
    scopes are checked live."""

    on = models.DateField("检查日期")
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    org_count = models.PositiveIntegerField("组织数", default=0)
    finding_count = models.PositiveIntegerField("问题数", default=0)

    class Meta:
        verbose_name = "问题清单检查结果"
        indexes = [models.Index(fields=["-finished_at"], name="finding_run_latest")]

    def __str__(self):
        return f"{self.on:%Y-%m-%d} 的问题清单（{self.finding_count} 条）"


class StoredFinding(FindingText, models.Model):
    """One finding of a run, as the engine produced it (`engine.Finding`'s fields); `position` is its place in the
    engine's order (severity, organisation name, rule, due date), so a page in that order is an index range."""

    run = models.ForeignKey(FindingRun, on_delete=models.CASCADE, related_name="findings")
    position = models.PositiveIntegerField()
    org = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="+")
    org_name = models.CharField(max_length=200)
    subject = models.TextField()
    rule_id = models.CharField(max_length=64)
    severity = models.CharField(max_length=16)
    message = models.TextField()
    due_on = models.DateField(null=True, blank=True)
    basis = models.TextField(blank=True)

    class Meta:
        verbose_name = "问题清单条目"
        indexes = [models.Index(fields=["run", "position"], name="stored_finding_order")]
