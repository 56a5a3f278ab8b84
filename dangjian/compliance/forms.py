from django import forms

from dangjian.core.forms import StyledFormMixin

from .services import REASON_MAX_LENGTH


def org_label(org):
    return f"{'　' * max(org.depth - 1, 0)}{org.name}（{org.get_kind_display()}）"


class OrgPickForm(StyledFormMixin, forms.Form):
    """Choose the organisation whose effective settings are shown. Choices come from an
    already-loaded list, so validating costs no query."""

    org = forms.TypedChoiceField(label="组织", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [("", "（请选择组织，查看其生效设置）")] + [(o.pk, org_label(o)) for o in orgs]
        self.fields["org"].error_messages["invalid_choice"] = "请选择有效的组织。"


class RuleOverrideForm(StyledFormMixin, forms.Form):
    """One rule at one organisation: on/off, each parameter, and the reason. Bounds and
    cross-parameter checks are the service's (rulebook's) job; the form only parses."""

    enabled = forms.BooleanField(label="启用该规则", required=False)

    def __init__(self, *args, rule, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        for name in rule.params:
            label = rule.param_labels.get(name, name)
            low, high = rule.bounds(name)
            self.fields[name] = forms.IntegerField(
                label=label, help_text=f"默认 {rule.params[name]}，可设 {low}–{high}",
                error_messages={"required": f"请填写“{label}”。", "invalid": f"“{label}”须为整数。"},
                widget=forms.NumberInput(attrs={"min": low, "max": high, "step": 1}),
            )
        self.fields["reason"] = forms.CharField(
            label="调整依据", max_length=REASON_MAX_LENGTH,
            help_text="如：本地文件文号、会议决定。",
            error_messages={"required": "请填写调整依据。",
                            "max_length": f"调整依据不能超过{REASON_MAX_LENGTH}字。"},
        )
        # Re-style the fields added after the mixin ran.
        for name in [*rule.params, "reason"]:
            self.fields[name].widget.attrs.setdefault("class", "form-control")

    def param_values(self):
        return {name: self.cleaned_data[name] for name in self.rule.params}
