from django import forms
from django.core.exceptions import ValidationError

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.orgs.picker import OfferedOrgField, OrgPicker

from . import billing
from .models import Category


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return billing.parse_month(value)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["month"][0]) from None

    def prepare_value(self, value):
        if hasattr(value, "strftime"):
            return value.strftime("%Y-%m")
        return value


class BaseForm(StyledFormMixin, forms.Form):
    category = forms.ChoiceField(label="党费类别", choices=Category.choices)
    base = forms.CharField(label="计算基数（元/月）", required=False,
                           help_text="在职：每月工资收入（税后）中相对固定的部分；离退休：每月离退休费。"
                                     "学生/失业/低保、农民为定额，无须填写。")
    effective_month = MonthField(label="起始月份", help_text="自该月起适用，直至下一次变更。")
    note = forms.CharField(label="说明", required=False, max_length=200)


class PayForm(StyledFormMixin, forms.Form):
    months = forms.MultipleChoiceField(label="缴纳月份", widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": "请选择要缴纳的月份。"})
    paid_on = forms.DateField(label="缴纳日期", widget=DateInput())
    payer_name = forms.CharField(label="代缴人", required=False, max_length=50,
                                 help_text="由他人代为交纳时填写代缴人姓名；本人交纳留空。组织不得代党员交纳党费。")
    approved_by = forms.CharField(label="补交批准机关", required=False, max_length=100,
                                  help_text="补交超过6个月时必填（费规 第十二条）。")
    approved_on = forms.DateField(label="批准日期", required=False, widget=DateInput())
    approval_no = forms.CharField(label="批准文号", required=False, max_length=60)
    note = forms.CharField(label="说明", required=False, max_length=200)

    def __init__(self, *args, bills=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["months"].choices = [(b.month.isoformat(), f"{billing.month_label(b.month)}　{b.amount} 元")
                                         for b in bills]
        self.fields["months"].widget.attrs["class"] = "form-check-input"

    def clean_months(self):
        from datetime import date

        return [date.fromisoformat(value) for value in self.cleaned_data["months"]]


class AdjustForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="方式", choices=[("reduce", "减交"), ("waive", "免交")],
                             widget=forms.RadioSelect)
    amount = forms.CharField(label="减交后金额（元）", required=False, help_text="减交时填写；免交无须填写。")
    approved_by = forms.CharField(label="批准机关", max_length=100, help_text="上一级党委（费规 第七条）。",
                                  error_messages={"required": "请填写批准机关（上一级党委）。"})
    approved_on = forms.DateField(label="批准日期", widget=DateInput(),
                                  error_messages={"required": "请填写批准日期。"})
    approval_no = forms.CharField(label="批准文号", max_length=60, error_messages={"required": "请填写批准文号。"})
    reason = forms.CharField(label="减免理由", max_length=200, error_messages={"required": "请填写减免理由。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].widget.attrs["class"] = "form-check-input"


class VoluntaryForm(StyledFormMixin, forms.Form):
    amount = forms.CharField(label="金额（元）", help_text="一次自愿多交1000元以上的，全额上缴中央。")
    paid_on = forms.DateField(label="缴纳日期", widget=DateInput())
    note = forms.CharField(label="说明", required=False, max_length=200)


class PayrollUploadForm(StyledFormMixin, forms.Form):
    org = OfferedOrgField(label="单位（党组织）", widget=OrgPicker(exclude_groups=True))
    effective_month = MonthField(label="工资月份", help_text="导入的基数自该月起适用。")
    file = forms.FileField(label="工资表（.xlsx）", error_messages={"required": "请选择要上传的文件。",
                                                                 "empty": "上传的文件是空的。"})

    def __init__(self, *args, orgs=None, **kwargs):
        """`orgs`: the OrgChoice of the organisations offered."""
        super().__init__(*args, **kwargs)
        if orgs is not None:
            self.fields["org"].offer(orgs)
        self.fields["file"].widget.attrs["accept"] = ".xlsx"
