from django import forms

from dangjian.core.forms import StyledFormMixin

from .sources import all_sources


class RuleSetForm(StyledFormMixin, forms.Form):
    """Base points, the basis, and for every source its points per unit and yearly cap (`p__<key>`, `c__<key>`)."""

    base = forms.CharField(label="基础分（每年）", max_length=10)
    basis = forms.CharField(label="制定依据", max_length=200, help_text="如：党委会议决定或文件名称、文号。")

    def __init__(self, *args, effective=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for key, source in all_sources().items():
            rule = effective.rule(key) if effective is not None else None
            points = forms.CharField(label=f"{source.label}（每{source.unit}）", max_length=10,
                                     initial=rule.points if rule else source.default_points,
                                     help_text="负数为扣分")
            cap = forms.CharField(label="年度上限（分）", max_length=10, required=False,
                                  initial=(rule.cap if rule else source.default_cap) or "", help_text="留空为不设上限")
            for name, field in ((f"p__{key}", points), (f"c__{key}", cap)):
                field.widget.attrs["class"] = "form-control"
                field.widget.attrs["inputmode"] = "decimal"
                self.fields[name] = field
            self.rows.append((source, self[f"p__{key}"], self[f"c__{key}"]))
        if effective is not None:
            self.fields["base"].initial = effective.base

    def rules(self):
        return {key: (self.cleaned_data[f"p__{key}"], self.cleaned_data[f"c__{key}"]) for key in all_sources()}
