from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.orgs.picker import OrgPicker

from . import services
from .models import FollowUp, Grade, Satisfaction


class RoundForm(StyledFormMixin, forms.Form):
    org = forms.ModelChoiceField(label="党支部", queryset=None, empty_label="请选择", widget=OrgPicker(exclude_groups=True))
    year = forms.IntegerField(label="评议年度", min_value=services.FIRST_YEAR, max_value=2100)
    starts_on = forms.DateField(label="计划开始日期", widget=DateInput())
    ends_on = forms.DateField(label="计划结束日期", widget=DateInput())
    note = forms.CharField(label="说明", max_length=300, required=False,
                           help_text="如：结合年度组织生活会开展；会议时间、地点")

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if orgs is None:
            del self.fields["org"]
            self.fields["year"].disabled = True
        else:
            self.fields["org"].queryset = orgs


class ExemptForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label="不参加评议的原因", max_length=200, required=False)


class SelfReviewForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label="自我评价", max_length=services.SELF_REVIEW_MAX,
                           widget=forms.Textarea(attrs={"rows": 8}),
                           help_text="对照党员标准，从政治思想、工作学习、作风纪律、发挥作用等方面进行自我评价，查找不足。",
                           error_messages={"required": "请填写自我评价。"})


class BallotForm(forms.Form):
    """One radio group (and an optional comment) per member under review; staff ballots add the branch."""

    def __init__(self, *args, targets=(), staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = list(targets)
        for subject in self.targets:
            self.fields[f"grade_{subject.pk}"] = forms.ChoiceField(
                label=subject.person.name, choices=Grade.choices, widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                error_messages={"required": "请选择评议等次。"})
            self.fields[f"comment_{subject.pk}"] = forms.CharField(
                label="意见建议（选填）", max_length=services.COMMENT_MAX, required=False,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
        if staff:
            self.fields["branch_grade"] = forms.ChoiceField(label="对党支部的整体评价", choices=Satisfaction.choices,
                                                            widget=forms.RadioSelect(attrs={"class": "btn-check"}),
                                                            error_messages={"required": "请选择对党支部的整体评价。"})
            self.fields["branch_comment"] = forms.CharField(
                label="对党支部的意见建议（选填）", max_length=services.COMMENT_MAX, required=False,
                widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))

    def rows(self):
        return [(s, self[f"grade_{s.pk}"], self[f"comment_{s.pk}"]) for s in self.targets]

    def ballot(self):
        data = self.cleaned_data
        return ({s.pk: data[f"grade_{s.pk}"] for s in self.targets},
                {s.pk: data[f"comment_{s.pk}"] for s in self.targets})


class StaffCodeForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label="评议码", max_length=20, widget=forms.TextInput(attrs={
        "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "placeholder": "XXXX-XXXX-XXXX"}),
        error_messages={"required": "请输入评议码。"})


class CodesForm(StyledFormMixin, forms.Form):
    count = forms.IntegerField(label="生成数量", min_value=1, max_value=services.CODES_MAX, initial=20,
                               help_text=f"每个评议码只能使用一次，仅在本次评议“自评互评”阶段有效；一次最多{services.CODES_MAX}个。")


class FollowUpForm(StyledFormMixin, forms.Form):
    measure = forms.ChoiceField(label="处置方式", choices=[("", "请选择")] + FollowUp.Measure.choices)
    due_on = forms.DateField(label="改正期限", required=False, widget=DateInput(), help_text="限期改正时必填")
    detail = forms.CharField(label="处置说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    closed_on = forms.DateField(label="办结日期", required=False, widget=DateInput())
    outcome = forms.CharField(label="办结情况", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
