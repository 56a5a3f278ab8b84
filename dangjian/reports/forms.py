"""Forms of the summary report pages: the period (and organisation) to report on, and the secretary's text."""

from django import forms
from django.core.exceptions import ValidationError

from dangjian.core.forms import StyledFormMixin
from dangjian.orgs.picker import OrgPicker

from . import summary


class PeriodForm(StyledFormMixin, forms.Form):
    """Organisation (optional: the edit page has it in the URL) and period. Bad dates or a reversed period are
    field errors in Chinese."""

    org = forms.ModelChoiceField(label="组织（含下级）", queryset=None, required=True, widget=OrgPicker(),
                                 error_messages={"required": "请选择组织。", "invalid_choice": "请选择您范围内的组织。"})
    start = forms.DateField(label="起始日期", error_messages={"required": "请填写起始日期。",
                                                           "invalid": "日期格式应为 YYYY-MM-DD，如 2025-09-01。"})
    end = forms.DateField(label="截止日期", error_messages={"required": "请填写截止日期。",
                                                         "invalid": "日期格式应为 YYYY-MM-DD，如 2026-08-31。"})

    def __init__(self, *args, orgs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if orgs is None:
            del self.fields["org"]
        else:
            self.fields["org"].queryset = orgs
        for name in ("start", "end"):
            self.fields[name].widget.input_type = "date"
            self.fields[name].widget.format = "%Y-%m-%d"

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end"):
            try:
                summary.check_period(data["start"], data["end"])
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    for error in errors:
                        self.add_error(field, error)
        return data


class DraftForm(StyledFormMixin, forms.Form):
    """The title and one text per section (`text_<key>`)."""

    title = forms.CharField(label="标题", max_length=summary.TITLE_MAX, required=False,
                            error_messages={"max_length": f"标题不能超过{summary.TITLE_MAX}字。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, heading, hint in summary.SECTIONS:
            self.fields[f"text_{key}"] = forms.CharField(
                label=heading, required=False, help_text=hint, max_length=summary.TEXT_MAX, strip=True,
                widget=forms.Textarea(attrs={"rows": 6 if key == "plans" else 3, "class": "form-control"}),
                error_messages={"max_length": f"该部分文字不能超过{summary.TEXT_MAX}字。"})

    def section_fields(self):
        return [(key, self[f"text_{key}"]) for key in summary.SECTION_KEYS]

    def sections(self):
        return {key: self.cleaned_data.get(f"text_{key}", "") for key in summary.SECTION_KEYS}

    @classmethod
    def initial_for(cls, org, start, end, draft):
        texts = summary.section_texts(draft)
        return {"title": (draft.title if draft and draft.title else summary.default_title(org, start, end)),
                **{f"text_{key}": text for key, text in texts.items()}}
