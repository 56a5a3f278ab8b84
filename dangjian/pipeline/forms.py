from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin

from .steps import BY_NUMBER


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.get_status_display()}）"


class VoteChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.meeting.date:%Y-%m-%d} {obj.get_kind_display()}：{obj.subject}（{'通过' if obj.passed else '未通过'}）"


class OverrideMixin(forms.Form):
    override = forms.BooleanField(label="违反规则仍保存（将记入审计）", required=False)
    override_reason = forms.CharField(label="原因", max_length=300, required=False)


class FileOpenForm(StyledFormMixin, OverrideMixin):
    applied_on = forms.DateField(label="递交入党申请书日期", widget=DateInput())
    note = forms.CharField(label="说明", max_length=500, required=False)
    field_order = ["applied_on", "note", "override", "override_reason"]


BASE_FIELDS = ("number", "date", "note", "override", "override_reason")


class StepForm(StyledFormMixin, OverrideMixin):
    number = forms.TypedChoiceField(label="登记步骤", coerce=int)
    date = forms.DateField(label="日期", widget=DateInput())
    talker = PersonChoice(label="谈话人", queryset=None, required=False)
    talker_name = forms.CharField(label="谈话人（系统外，如上级党委组织员）", max_length=50, required=False)
    contact_1 = PersonChoice(label="培养联系人", queryset=None, required=False)
    contact_2 = PersonChoice(label="培养联系人（第二名，可选）", queryset=None, required=False)
    sponsor_1 = PersonChoice(label="入党介绍人", queryset=None, required=False)
    sponsor_2 = PersonChoice(label="入党介绍人（第二名）", queryset=None, required=False)
    conclusion = forms.CharField(label="政治审查结论", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    training_days = forms.IntegerField(label="集中培训天数", min_value=0, max_value=365, required=False)
    training_hours = forms.IntegerField(label="集中培训学时", min_value=0, max_value=1000, required=False)
    publicity_start = forms.DateField(label="公示开始日期", widget=DateInput(), required=False)
    publicity_end = forms.DateField(label="公示结束日期", widget=DateInput(), required=False)
    meeting = forms.ModelChoiceField(label="决定会议（已召开）", queryset=None, required=False)
    vote = VoteChoice(label="表决结果", queryset=None, required=False)
    approval_no = forms.CharField(label="备案/批复文号", max_length=60, required=False)
    approval_date = forms.DateField(label="备案/批复日期（默认同步骤日期）", widget=DateInput(), required=False)
    note = forms.CharField(label="说明", max_length=500, required=False)

    def __init__(self, *args, numbers, people, meetings, votes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].choices = [(n, BY_NUMBER[n].label) for n in numbers]
        if len(numbers) == 1:
            self.fields["number"].initial = numbers[0]
        for name in ("talker", "contact_1", "contact_2", "sponsor_1", "sponsor_2"):
            self.fields[name].queryset = people
        self.fields["meeting"].queryset = meetings
        self.fields["vote"].queryset = votes
        relevant = set(BASE_FIELDS)
        for n in numbers:
            relevant |= set(self.relevant(n))
        for name in list(self.fields):
            if name not in relevant:
                del self.fields[name]

    @staticmethod
    def relevant(number):
        spec = BY_NUMBER[number]
        names = list(spec.fields)
        if spec.meeting:
            names.append("meeting")
        if spec.vote_kind:
            names.append("vote")
        if spec.needs_approval_no:
            names += ["approval_no", "approval_date"]
        return names

    def service_data(self):
        """The cleaned values that belong to the chosen step."""
        data = self.cleaned_data
        keep = set(self.relevant(data["number"])) | {"note"}
        out = {k: data.get(k) for k in keep if k in self.fields}
        return {"number": data["number"], "date": data["date"], "override": data.get("override", False),
                "override_reason": data.get("override_reason", ""), **out}

    def visible_groups(self):
        """Form fields to render: the common ones first, then the step-specific ones."""
        return [self[name] for name in self.fields if name not in ("override", "override_reason")]


class ExtendForm(StyledFormMixin, forms.Form):
    decided_on = forms.DateField(label="支部大会决定日期", widget=DateInput())
    months = forms.IntegerField(label="延长月数（6–12）")
    approval_no = forms.CharField(label="上级党委批复文号", max_length=60)
    note = forms.CharField(label="说明", max_length=300, required=False)


class CancelForm(StyledFormMixin, forms.Form):
    decided_on = forms.DateField(label="支部大会决定日期", widget=DateInput())
    reason = forms.CharField(label="取消原因", max_length=300)
    approval_no = forms.CharField(label="上级党委批复文号", max_length=60)


class WithdrawForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="终止方式", choices=[("applicant", "申请人撤回"), ("org", "组织终止培养")])
    decided_on = forms.DateField(label="日期", widget=DateInput())
    reason = forms.CharField(label="原因", max_length=300)


class TemplateUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label="新模板（.docx，不超过 2 MB）")


class StepAttachmentForm(StyledFormMixin, forms.Form):
    upload = forms.FileField(label="附件（JPEG/PNG/PDF，≤10 MB）")
