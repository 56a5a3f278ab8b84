from django import forms
from django.utils import timezone

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation
from dangjian.orgs.picker import OrgPicker

from .models import Receipt, Task


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class OrgChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{'　' * max(obj.depth - 1, 0)}{obj.name}"


class TaskForm(StyledFormMixin, forms.Form):
    org = OrgChoice(label="下达组织", queryset=Organisation.objects.none(), widget=OrgPicker(exclude_groups=True))
    title = forms.CharField(label="任务名称", max_length=200)
    body = forms.CharField(label="任务要求", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    due_on = forms.DateField(label="完成期限", widget=DateInput())
    receivers = forms.ChoiceField(label="接收范围", choices=Task.Receivers.choices, initial=Task.Receivers.BRANCHES)
    explicit = forms.ModelMultipleChoiceField(label="指定组织（接收范围选“指定组织”时）", required=False,
                                              queryset=Organisation.objects.none(),
                                              widget=forms.SelectMultiple(attrs={"size": 8}))
    attachment = forms.FileField(label="附件（可选，PDF/JPEG/PNG，≤10 MB）", required=False)

    def __init__(self, *args, orgs, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("org", "receivers", "explicit", "attachment"):
                del self.fields[name]
            return
        self.fields["org"].queryset = orgs
        self.fields["explicit"].queryset = orgs


class AnswerForm(StyledFormMixin, forms.Form):
    answer = forms.CharField(label="完成情况", widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    files = MultipleFileField(label="附件（可多选，PDF/JPEG/PNG，每个≤10 MB）", required=False)


class PledgeForm(StyledFormMixin, forms.Form):
    org = OrgChoice(label="签订组织", queryset=Organisation.objects.none(), widget=OrgPicker(exclude_groups=True))
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    signed_on = forms.DateField(label="签订日期", widget=DateInput())
    signers = forms.CharField(label="签订人", max_length=200, help_text="如：区委教育工委书记 王某；学校党组织书记 李某")
    file = forms.FileField(label="责任书文件（PDF 或图片，≤10 MB）", required=False)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["year"].initial = timezone.localdate().year


class InstructorForm(StyledFormMixin, forms.Form):
    org = forms.ModelChoiceField(label="指导学校党组织", queryset=Organisation.objects.none(),
                                 widget=OrgPicker(exclude_groups=True))
    person = forms.ModelChoiceField(label="党员档案（可选，选后姓名取自档案）", queryset=Person.objects.none(),
                                    required=False)
    name = forms.CharField(label="姓名", max_length=50, required=False)
    unit = forms.CharField(label="工作单位", max_length=100)
    started_on = forms.DateField(label="起始日期", widget=DateInput())
    ended_on = forms.DateField(label="结束日期", widget=DateInput(), required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False, help_text="只显示部分号码；修改时留空则不变")

    def __init__(self, *args, schools, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = schools   # a queryset: the picker bounds it for a large scope
        self.fields["person"].queryset = people


STATE_CHOICES = [("", "全部"), *Receipt.State.choices]
