from django import forms
from django.utils import timezone

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.members.models import Gender
from dangjian.orgs.picker import OrgPicker

from .models import INCOMING_STATUSES
from .services import DECISIONS


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "　" * max(obj.depth - 1, 0) + obj.name


class OutForm(StyledFormMixin, forms.Form):
    to_org = OrgChoiceField(label="接收组织（平台内）", queryset=None, required=False,
                            help_text="转往平台内其他组织时选择；由接收组织审核接收")
    to_name = forms.CharField(label="接收组织（平台外）", max_length=100, required=False,
                              help_text="转往平台外（外区、外单位）时填写；收到回执后由本组织登记")
    letter_no = forms.CharField(label="介绍信编号", max_length=60)
    issued_on = forms.DateField(label="开具日期", widget=DateInput())
    reason = forms.CharField(label="转接原因", max_length=200, required=False)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = targets
        self.initial.setdefault("issued_on", timezone.localdate())


class WithinForm(StyledFormMixin, forms.Form):
    to_org = OrgChoiceField(label="调入组织", queryset=None, widget=OrgPicker(exclude_groups=True))
    effective_on = forms.DateField(label="调动日期", widget=DateInput())
    letter_no = forms.CharField(label="调动文号", max_length=60, required=False)
    reason = forms.CharField(label="调动原因", max_length=200, required=False, initial="县管校聘交流轮岗")

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = targets
        self.initial.setdefault("effective_on", timezone.localdate())


class InForm(StyledFormMixin, forms.Form):
    to_org = OrgChoiceField(label="接收组织", queryset=None, widget=OrgPicker(exclude_groups=True))
    from_name = forms.CharField(label="转出组织", max_length=100, help_text="平台外党组织的全称，或其他平台的组织名称")
    letter_no = forms.CharField(label="介绍信编号", max_length=60)
    issued_on = forms.DateField(label="开具日期", widget=DateInput())
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=Gender.choices)
    birth_date = forms.DateField(label="出生日期", widget=DateInput())
    id_number = forms.CharField(label="身份证号", max_length=18, required=False)
    party_status = forms.ChoiceField(label="党籍状态", choices=INCOMING_STATUSES)
    joined_on = forms.DateField(label="入党日期", widget=DateInput())
    full_member_on = forms.DateField(label="转正日期", widget=DateInput(), required=False)
    materials = forms.CharField(label="材料清单", widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                help_text="介绍信、党员档案、党费交纳证明等，逐项列出")
    reason = forms.CharField(label="转接原因", max_length=200, required=False)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = orgs


class AcceptForm(StyledFormMixin, forms.Form):
    accepted_on = forms.DateField(label="接收日期", widget=DateInput())
    note = forms.CharField(label="办理意见", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("accepted_on", timezone.localdate())


class CloseForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label="理由", max_length=300)


class RenewForm(StyledFormMixin, forms.Form):
    letter_no = forms.CharField(label="新介绍信编号", max_length=60)
    issued_on = forms.DateField(label="开具日期", widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("issued_on", timezone.localdate())


class DecideForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label="处置结果")
    effective_on = forms.DateField(label="生效日期", widget=DateInput())
    reason = forms.CharField(label="处置理由", max_length=150, widget=forms.Textarea(attrs={"rows": 2}))
    decided_by = forms.CharField(label="决定机关/会议", max_length=100, help_text="如：第一党支部党员大会")
    decision_date = forms.DateField(label="决定日期", widget=DateInput())
    approval_no = forms.CharField(label="批复/备案文号", max_length=60, required=False)
    basis = forms.CharField(label="依据情况", max_length=120, required=False, widget=forms.HiddenInput())

    def __init__(self, *args, allowed, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s.value, s.label) for s in allowed]
        self.fields["status"].help_text = "；".join(f"{s.label}：{DECISIONS[s]}" for s in allowed)


class ContactLossForm(StyledFormMixin, forms.Form):
    since = forms.DateField(label="失联日期", widget=DateInput(), help_text="最后一次取得联系的次日")
    note = forms.CharField(label="情况说明", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class DateOnlyForm(StyledFormMixin, forms.Form):
    on = forms.DateField(label="日期", widget=DateInput())
    decided_by = forms.CharField(label="决定机关/会议", max_length=100, required=False)
    decision_date = forms.DateField(label="决定日期", widget=DateInput(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("on", timezone.localdate())
