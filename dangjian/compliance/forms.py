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
            label = rule.param_label(name)
            if rule.is_choice(name):
                self.fields[name] = forms.ChoiceField(
                    label=label, choices=rule.choices(name),
                    help_text=f"默认：{rule.display_value(name, rule.params[name])}",
                    error_messages={"required": f"请选择“{label}”。",
                                    "invalid_choice": f"请选择有效的“{label}”。"},
                )
                continue
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
            css = "form-select" if rule.is_choice(name) else "form-control"
            self.fields[name].widget.attrs.setdefault("class", css)

    def param_values(self):
        return {name: self.cleaned_data[name] for name in self.rule.params}


SEVERITY_CHOICES = [("", "全部级别"), ("overdue", "逾期/错误"), ("soon", "即将到期/警告"), ("info", "提示")]
MIN_YEAR = 2000


class MatrixForm(StyledFormMixin, forms.Form):
    """Subtree, year and meeting type of the compliance matrix. Choices come from loaded lists (no query)."""

    org = forms.TypedChoiceField(label="组织", coerce=int, required=False, empty_value=None)
    year = forms.IntegerField(label="年度", required=False)
    type = forms.ChoiceField(label="会议类型", required=False)

    def __init__(self, *args, orgs, types, this_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(o.pk, org_label(o)) for o in orgs]
        self.fields["org"].error_messages["invalid_choice"] = "请选择有效的组织。"
        self.fields["year"].widget.attrs.update({"min": MIN_YEAR, "max": this_year + 1})
        self.fields["year"].error_messages.update({"invalid": "年度须为整数。"})
        self.this_year = this_year
        self.fields["type"].choices = [("", "全部类型（紧凑视图）"), *types]
        self.fields["type"].error_messages["invalid_choice"] = "请选择有效的会议类型。"

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year is not None and not MIN_YEAR <= year <= self.this_year + 1:
            raise forms.ValidationError(f"年度须在{MIN_YEAR}至{self.this_year + 1}之间。")
        return year


class FindingsForm(StyledFormMixin, forms.Form):
    """Filters of the findings list."""

    org = forms.TypedChoiceField(label="组织", coerce=int, required=False, empty_value=None)
    on = forms.DateField(label="检查日期", required=False, input_formats=["%Y-%m-%d"],
                         widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                         error_messages={"invalid": "检查日期格式应为 YYYY-MM-DD。"})
    severity = forms.ChoiceField(label="级别", required=False, choices=SEVERITY_CHOICES)
    rule = forms.ChoiceField(label="规则", required=False)

    def __init__(self, *args, orgs, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(o.pk, org_label(o)) for o in orgs]
        self.fields["org"].error_messages["invalid_choice"] = "请选择有效的组织。"
        self.fields["severity"].error_messages["invalid_choice"] = "请选择有效的级别。"
        self.fields["rule"].choices = [("", "全部规则"), *[(r.id, r.title) for r in rules]]
        self.fields["rule"].error_messages["invalid_choice"] = "请选择有效的规则。"
