from datetime import date

from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.orgs.forms import OrgChoiceField
from dangjian.orgs.picker import OrgPicker

from .services import phone_error
from .models import Education, Gender, Occupation, Status


class PersonForm(StyledFormMixin, forms.Form):
    org = OrgChoiceField(label="所在党组织", queryset=None, widget=OrgPicker(exclude_groups=True))
    group = OrgChoiceField(label="党小组", queryset=None, required=False)
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=Gender.choices)
    ethnicity = forms.CharField(label="民族", max_length=20, initial="汉族")
    birth_date = forms.DateField(label="出生日期", widget=DateInput())
    id_number = forms.CharField(label="身份证号", max_length=18, required=False,
                                help_text="18位，保存后加密存储，列表中仅显示前6位和后4位")
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    education = forms.ChoiceField(label="学历", choices=[("", "—")] + Education.choices, required=False)
    occupation = forms.ChoiceField(label="职业类别", choices=Occupation.choices, initial=Occupation.PROFESSIONAL)
    professional_title = forms.CharField(label="职称", max_length=30, required=False)
    is_class_teacher = forms.BooleanField(label="班主任", required=False)
    is_research_lead = forms.BooleanField(label="教研组长", required=False)
    is_backbone = forms.BooleanField(label="骨干教师", required=False)
    is_administrative = forms.BooleanField(label="行政", required=False)
    is_mobile = forms.BooleanField(label="流动党员", required=False)
    lost_contact = forms.BooleanField(label="失联党员", required=False)
    status = forms.ChoiceField(label="政治面貌", choices=[
        (s.value, s.label) for s in (Status.FULL, Status.PROBATIONARY, Status.CANDIDATE, Status.ACTIVIST,
                                     Status.APPLICANT, Status.NON_MEMBER)])
    applied_on = forms.DateField(label="申请入党日期", widget=DateInput(), required=False)
    joined_on = forms.DateField(label="入党日期", widget=DateInput(), required=False,
                                help_text="支部大会通过接收为预备党员的日期")
    full_member_on = forms.DateField(label="转正日期", widget=DateInput(), required=False,
                                     help_text="预备期满之日，党龄自此计算")

    def __init__(self, *args, orgs, groups, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["group"].queryset = groups
        if editing:
            del self.fields["org"]
            del self.fields["status"]

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        error = phone_error(phone)
        if error:
            raise forms.ValidationError(error)
        return phone


class StatusChangeForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label="新的政治面貌/党籍状态", choices=())
    effective_on = forms.DateField(label="生效日期", widget=DateInput(), initial=date.today)
    decided_by = forms.CharField(label="决定机关或会议", max_length=100, required=False,
                                 help_text="如：第一党支部党员大会、区委教育工委")
    decision_date = forms.DateField(label="决定日期", widget=DateInput(), required=False)
    approval_no = forms.CharField(label="批复/备案文号", max_length=60, required=False)
    note = forms.CharField(label="说明", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, allowed, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s.value, s.label) for s in allowed]


class MoveForm(StyledFormMixin, forms.Form):
    new_org = OrgChoiceField(label="转入党组织", queryset=None, widget=OrgPicker(exclude_groups=True))
    effective_on = forms.DateField(label="转接日期", widget=DateInput(), initial=date.today)
    note = forms.CharField(label="说明（介绍信编号等）", max_length=200, required=False)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_org"].queryset = orgs
