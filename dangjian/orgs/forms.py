from datetime import date

from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin

from .models import CommitteePost, OrgKind
from .picker import OrgPicker


class OrgChoiceField(forms.ModelChoiceField):
    """An organisation chosen from the user's scope; the picker keeps the page small at any scale."""

    widget = OrgPicker

    def label_from_instance(self, obj):
        return f"{'　' * max(obj.depth - 1, 0)}{obj.name}（{obj.get_kind_display()}）"


class OrgCreateForm(StyledFormMixin, forms.Form):
    parent = OrgChoiceField(label="上级组织", queryset=None, widget=OrgPicker(exclude_groups=True))
    kind = forms.ChoiceField(label="组织类型", choices=[c for c in OrgKind.choices if c[0] != OrgKind.WORK_COMMITTEE])
    name = forms.CharField(label="组织名称", max_length=100)
    unit_name = forms.CharField(label="所在单位（学校）", max_length=100, required=False)
    code = forms.CharField(label="组织编码", max_length=40, required=False)
    founded_on = forms.DateField(label="成立日期", widget=DateInput(), initial=date.today)

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents


class OrgEditForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="组织名称", max_length=100)
    unit_name = forms.CharField(label="所在单位（学校）", max_length=100, required=False)
    code = forms.CharField(label="组织编码", max_length=40, required=False)
    founded_on = forms.DateField(label="成立日期", widget=DateInput())
    effective_on = forms.DateField(label="变更生效日期", widget=DateInput(), initial=date.today)
    note = forms.CharField(label="变更说明（依据、文号）", max_length=200, required=False)


class OrgMoveForm(StyledFormMixin, forms.Form):
    new_parent = OrgChoiceField(label="新的上级组织", queryset=None, widget=OrgPicker(exclude_groups=True))
    effective_on = forms.DateField(label="生效日期", widget=DateInput(), initial=date.today)
    note = forms.CharField(label="说明（依据、文号）", max_length=200, required=False)

    def __init__(self, *args, parents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = parents


class OrgUpgradeForm(StyledFormMixin, forms.Form):
    new_name = forms.CharField(label="升格后名称", max_length=100, required=False,
                               help_text="留空则保持原名称")
    effective_on = forms.DateField(label="生效日期", widget=DateInput(), initial=date.today)
    note = forms.CharField(label="说明（批复文号）", max_length=200, required=False)


class OrgDissolveForm(StyledFormMixin, forms.Form):
    dissolved_on = forms.DateField(label="撤销日期", widget=DateInput(), initial=date.today)
    note = forms.CharField(label="说明（批复文号）", max_length=200, required=False)


class PostAddForm(StyledFormMixin, forms.Form):
    person = forms.ModelChoiceField(label="人员", queryset=None)
    post = forms.ChoiceField(label="职务", choices=CommitteePost.Post.choices)
    started_on = forms.DateField(label="任职日期", widget=DateInput(), initial=date.today)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class PostEndForm(StyledFormMixin, forms.Form):
    ended_on = forms.DateField(label="离任日期", widget=DateInput(), initial=date.today)
