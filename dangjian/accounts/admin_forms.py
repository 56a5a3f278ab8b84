"""Forms of the security administrator's user and role pages.

They only parse input; the rules (三员分立, uniqueness, ...) live in services.py.
"""

from django import forms

from dangjian.core.forms import StyledFormMixin
from dangjian.members.models import ENDED_STATUSES, Person
from dangjian.orgs.models import Organisation, Role

from .models import AdminRole

ACTIVE_CHOICES = [("", "全部状态"), ("1", "启用"), ("0", "已停用")]
ROLE_FILTER_CHOICES = [
    ("", "全部角色"),
    ("管理员角色", [(v, label) for v, label in AdminRole.choices if v]),
    ("组织角色", list(Role.choices)),
    ("none", "无任何角色"),
]


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # Indent by depth so the select reads as a tree (ordered by path).
        return "\u3000" * max(obj.depth - 1, 0) + f"{obj.name}（{obj.get_kind_display()}）"


def active_orgs():
    return Organisation.objects.active().only("id", "name", "kind", "depth", "path")


def linkable_people():
    """People on the roster without an account (the only ones an account may be linked to)."""
    return Person.objects.filter(user__isnull=True).exclude(status__in=ENDED_STATUSES)


class UserFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label="搜索", required=False, max_length=50,
                        widget=forms.TextInput(attrs={"placeholder": "用户名或姓名", "type": "search"}))
    role = forms.ChoiceField(label="角色", required=False, choices=ROLE_FILTER_CHOICES)
    active = forms.ChoiceField(label="状态", required=False, choices=ACTIVE_CHOICES)


class UserCreateForm(StyledFormMixin, forms.Form):
    username = forms.CharField(label="用户名", max_length=150,
                               help_text="登录用，字母、数字和 @ . + - _，创建后不可修改。")
    display_name = forms.CharField(label="姓名", max_length=50, required=False)
    admin_role = forms.ChoiceField(label="管理员角色", required=False,
                                   choices=[("", "无（普通用户）")] + [c for c in AdminRole.choices if c[0]],
                                   help_text="三员分立：管理员账户不能持有组织角色，也不能关联人员档案。")
    org = OrgChoiceField(label="初始角色：组织", required=False, queryset=Organisation.objects.none(),
                         empty_label="（不授予）")
    role = forms.ChoiceField(label="初始角色：角色", required=False, choices=[("", "（不授予）")] + list(Role.choices))
    person = forms.ModelChoiceField(label="关联人员档案", required=False, queryset=Person.objects.none(),
                                    widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = active_orgs()
        self.fields["person"].queryset = linkable_people().select_related("org")


class PersonSearchForm(forms.Form):
    person_q = forms.CharField(required=False, max_length=50)


class GrantRoleForm(StyledFormMixin, forms.Form):
    org = OrgChoiceField(label="组织", queryset=Organisation.objects.none(), empty_label="请选择组织")
    role = forms.ChoiceField(label="角色", choices=[("", "请选择角色")] + list(Role.choices))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = active_orgs()


class AdminRoleForm(StyledFormMixin, forms.Form):
    admin_role = forms.ChoiceField(label="管理员角色", required=False,
                                   choices=[("", "无（普通用户）")] + [c for c in AdminRole.choices if c[0]])


class DisplayNameForm(StyledFormMixin, forms.Form):
    display_name = forms.CharField(label="姓名", max_length=50, required=False)


class LinkPersonForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.none(), error_messages={
        "required": "请选择要关联的人员。", "invalid_choice": "该人员不存在或已关联其他账户。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = linkable_people()


class UnlockIpForm(StyledFormMixin, forms.Form):
    ip = forms.CharField(label="IP地址", max_length=45)
