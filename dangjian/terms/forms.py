from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin

from .models import ELECTED_POSTS, Election

MAX_CANDIDATES = 60


class ElectionForm(StyledFormMixin, forms.Form):
    held_on = forms.DateField(label="选举日期", widget=DateInput())
    method = forms.ChoiceField(label="选举方式", choices=Election.Method.choices)
    seats = forms.IntegerField(label="应选名额", min_value=1, max_value=MAX_CANDIDATES)
    electors_present = forms.IntegerField(label="实到有选举权人数", min_value=0,
                                          help_text="只计正式党员；预备党员、受留党察看处分的党员没有选举权")
    ballots_cast = forms.IntegerField(label="收回选票数", min_value=0)
    invalid_ballots = forms.IntegerField(label="无效票数", min_value=0, initial=0,
                                         help_text="所选人数多于应选名额等无法辨认的选票")
    blank_ballots = forms.IntegerField(label="空白票数", min_value=0, initial=0, help_text="计入有效票，但未选任何人")
    override_reason = forms.CharField(label="未实行差额选举的说明", max_length=200, required=False,
                                      help_text="候选人数未达到差额比例时必填，将记入审计日志")
    note = forms.CharField(label="备注", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CandidateForm(StyledFormMixin, forms.Form):
    person = forms.ModelChoiceField(label="候选人", queryset=None, required=False)
    votes = forms.IntegerField(label="得票数", min_value=0, required=False)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["person"].empty_label = "（选择候选人）"
        self.fields["votes"].widget.attrs["placeholder"] = "得票数"
        self.fields["person"].label_from_instance = lambda p: f"{p.name}（{p.org.name}）"

    def clean(self):
        data = super().clean()
        if data.get("person") is not None and data.get("votes") is None:
            self.add_error("votes", "请填写得票数。")
        if data.get("person") is None and data.get("votes") is not None:
            self.add_error("person", "请选择候选人。")
        return data


CandidateFormSet = forms.formset_factory(CandidateForm, extra=0, max_num=MAX_CANDIDATES, absolute_max=MAX_CANDIDATES)


class ApprovalForm(StyledFormMixin, forms.Form):
    approval_authority = forms.CharField(label="批复机关", max_length=100)
    approval_no = forms.CharField(label="批复文号", max_length=60)
    approved_on = forms.DateField(label="批复日期", widget=DateInput())


class ExtensionRequestForm(StyledFormMixin, forms.Form):
    extended_to = forms.DateField(label="延期至", widget=DateInput())
    reason = forms.CharField(label="延期理由", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionApproveForm(ApprovalForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approval_authority"].label = "批准机关"
        self.fields["approval_no"].label = "批准文号"
        self.fields["approved_on"].label = "批准日期"


def posts_form(winners, data=None):
    """One select per winner: name "post-<candidate id>"."""
    form = forms.Form(data)
    for c in winners:
        form.fields[f"post-{c.pk}"] = forms.ChoiceField(label=c.person.name, choices=ELECTED_POSTS, initial=c.post
                                                        or "member")
        form.fields[f"post-{c.pk}"].widget.attrs["class"] = "form-select form-select-sm"
    return form
