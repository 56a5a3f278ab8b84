from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.members.models import Person
from dangjian.orgs.picker import OrgPicker

from .models import Attachment, Attendance, MeetingType, StudyTask, Vote


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.org.name}）"


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class MeetingForm(StyledFormMixin, forms.Form):
    type = forms.ChoiceField(label="会议类型", choices=MeetingType.choices)
    other_type = forms.CharField(label="其他类型名称", max_length=40, required=False, help_text="类型选“其他”时填写")
    theme = forms.CharField(label="会议主题", max_length=200)
    date = forms.DateField(label="日期", widget=DateInput())
    start_time = forms.TimeField(label="开始时间", required=False, widget=TimeInput())
    end_time = forms.TimeField(label="结束时间", required=False, widget=TimeInput())
    place = forms.CharField(label="地点", max_length=100, required=False)
    host = PersonChoice(label="主持人", queryset=Person.objects.none(), required=False)
    recorder = PersonChoice(label="记录人", queryset=Person.objects.none(), required=False)
    participants = forms.ModelMultipleChoiceField(label="谈话人员（谈心谈话选两人）", queryset=Person.objects.none(),
                                                  required=False)
    lecturer = PersonChoice(label="授课人（党课）", queryset=Person.objects.none(), required=False)
    lecturer_name = forms.CharField(label="外请授课人", max_length=50, required=False)
    by_secretary = forms.BooleanField(label="书记讲党课", required=False,
                                      help_text="授课人担任本组织书记时自动勾选")
    observers = forms.CharField(label="列席人员", max_length=300, required=False)
    agenda = forms.CharField(label="议程", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.CharField(label="会议记录", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    decisions = forms.CharField(label="决定事项", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    major_decision = forms.BooleanField(label="三重一大：重大决策", required=False)
    cadre_appointment = forms.BooleanField(label="三重一大：重要干部任免", required=False)
    major_project = forms.BooleanField(label="三重一大：重大项目", required=False)
    large_funds = forms.BooleanField(label="三重一大：大额资金", required=False)
    note = forms.CharField(label="修改说明", max_length=200, required=False,
                           help_text="修改已召开会议的记录时必填，将保留在修改记录中")

    def __init__(self, *args, people, held=False, editing_held=False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("host", "recorder", "lecturer", "participants"):
            self.fields[name].queryset = people
        self.fields["participants"].label_from_instance = lambda p: f"{p.name}（{p.org.name}）"
        self.fields["participants"].widget.attrs["size"] = 6
        if not editing_held:
            del self.fields["note"]
        if not held:
            # Planning: what happened is recorded later.
            for name in ("minutes", "decisions"):
                del self.fields[name]


class AttendanceRowForm(StyledFormMixin, forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label="出席情况", choices=Attendance.Status.choices)
    leave_reason = forms.CharField(label="请假事由", max_length=200, required=False)
    leave_approved = forms.BooleanField(label="请假已批准", required=False)
    briefed_on = forms.DateField(label="补课日期", required=False, widget=DateInput())


AttendanceFormSet = forms.formset_factory(AttendanceRowForm, extra=0)


class VoteForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="表决事项类型", choices=Vote.Kind.choices)
    subject = forms.CharField(label="表决事项", max_length=200)
    subject_person = PersonChoice(label="涉及人员", queryset=Person.objects.none(), required=False)
    yes = forms.IntegerField(label="赞成", min_value=0)
    no = forms.IntegerField(label="反对", min_value=0)
    abstain = forms.IntegerField(label="弃权", min_value=0)
    written_yes = forms.IntegerField(label="书面意见赞成（未到会者）", min_value=0, initial=0)
    written_no = forms.IntegerField(label="书面意见反对（未到会者）", min_value=0, initial=0)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_person"].queryset = people


class AttachmentForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=Attachment.Kind.choices)
    upload = forms.FileField(label="文件（JPEG/PNG/PDF，≤10 MB）")


class StudyTaskForm(StyledFormMixin, forms.Form):
    org = forms.ModelChoiceField(label="下达组织", queryset=None, widget=OrgPicker())
    title = forms.CharField(label="学习任务", max_length=200)
    description = forms.CharField(label="要求", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    starts_on = forms.DateField(label="开始日期", widget=DateInput())
    due_on = forms.DateField(label="完成期限", widget=DateInput())
    expected_hours = forms.DecimalField(label="要求学时", max_digits=5, decimal_places=1, required=False, min_value=0)

    def __init__(self, *args, orgs, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["org"]
        else:
            self.fields["org"].queryset = orgs


class StudyLogForm(StyledFormMixin, forms.Form):
    task = forms.ModelChoiceField(label="学习任务", queryset=StudyTask.objects.none(), required=False,
                                  empty_label="自主学习（不对应任务）")
    date = forms.DateField(label="学习日期", widget=DateInput())
    hours = forms.DecimalField(label="学时", max_digits=5, decimal_places=1)
    notes = forms.CharField(label="学习内容/心得", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    upload = forms.FileField(label="附件（可选，JPEG/PNG/PDF，≤10 MB）", required=False)

    def __init__(self, *args, tasks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = tasks


class SignInCodeForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label="签到码", max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text",
                                                         "autocapitalize": "characters"}))
