from django import forms

from dangjian.core.forms import StyledFormMixin

EXAMPLE = "2026-10-01 休 国庆节\n2026-10-02 休 国庆节\n2026-10-11 班 国庆节调休"


class ImportForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label="节假日安排（每行一个日期：日期 休/班 名称）", max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 14, "placeholder": EXAMPLE}))
