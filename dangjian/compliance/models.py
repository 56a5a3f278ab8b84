from django.conf import settings
from django.db import models


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
