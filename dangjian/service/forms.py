"""Forms of the service pages. Each takes the record's organisation (people are chosen from its subtree) and,
when editing, the record; `service_data()` gives the keyword arguments of the matching service call."""

from decimal import Decimal

from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.members.models import Person

from . import services
from .models import (Activity, ActivityKind, CareVisit, HardshipFile, HomeVisit, MentorPair, PartnerKind,
                     Partnership, RecipientKind, VisitCategory)


def _person_label(person):
    return f"{person.name}（{person.org.name}）"


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _person_label(obj)


class PeopleChoice(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return _person_label(obj)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several images in one input; each is judged by services (check_upload, images only)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if not items and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(PhotosField, self).clean(item, initial) for item in items if item]


class RecordForm(StyledFormMixin, forms.Form):
    """The fields named like the model's are filled from the record when editing."""

    people_fields = ()      # person choices limited to the organisation's subtree
    party_only = False      # … and to party members

    def __init__(self, *args, org, instance=None, **kwargs):
        self.org, self.instance = org, instance
        if instance is not None:
            kwargs["initial"] = self.initial_from(instance) | kwargs.get("initial", {})
        super().__init__(*args, **kwargs)
        people = services.people_of(org, party_only=self.party_only).select_related("org").order_by(
            "org__path", "name", "id")
        for name in self.people_fields:
            self.fields[name].queryset = people

    def initial_from(self, obj):
        names = {f.name for f in obj._meta.get_fields()}
        return {name: getattr(obj, name) for name in self.base_fields if name in names}

    def service_data(self):
        return dict(self.cleaned_data)


def _text(label, rows=4):
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}))


def _money(label):
    return forms.DecimalField(label=label, max_digits=12, decimal_places=2, initial=Decimal("0"))


class ActivityForm(RecordForm):
    people_fields = ("participants",)
    party_only = True

    kind = forms.ChoiceField(label="活动类型", choices=ActivityKind.choices)
    title = forms.CharField(label="活动名称", max_length=200)
    date = forms.DateField(label="日期", widget=DateInput())
    place = forms.CharField(label="地点", max_length=100, required=False, help_text="如红色教育基地、社区服务站")
    partner = forms.CharField(label="结对/服务对象", max_length=100, required=False, help_text="村、社区、学校名称（可选）")
    participants = PeopleChoice(label="参加党员", queryset=Person.objects.none(), required=False)
    hours = forms.DecimalField(label="每人服务时长（小时）", max_digits=5, decimal_places=1, initial=Decimal("2"),
                               help_text="用于新勾选的参加党员；已登记人员的时长在下方逐人填写")
    extra_participants = forms.IntegerField(label="平台外参加人数", initial=0,
                                            help_text="未在平台登记的参加人员（如群众教师、学生）")
    extra_hours = forms.DecimalField(label="平台外人员服务时长合计（小时）", max_digits=8, decimal_places=1,
                                     initial=Decimal("0"))
    account = _text("活动简述")
    photos = PhotosField(label="活动照片（JPEG/PNG，可多选，每张 ≤10 MB）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = {}
        if self.instance is not None:
            del self.fields["photos"]
            rows = self.instance.participants.select_related("person").order_by("person__name", "person_id")
            for row in rows:
                self.existing[row.person_id] = row
                self.fields[f"hours_{row.person_id}"] = forms.DecimalField(
                    label=f"{row.person.name} 服务时长（小时）", max_digits=5, decimal_places=1, initial=row.hours,
                    widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.5"}))

    def initial_from(self, obj):
        return super().initial_from(obj) | {"participants": [p.person_id for p in obj.participants.all()]}

    def service_data(self):
        data = dict(self.cleaned_data)
        default = data.pop("hours")
        people = data.pop("participants")
        data["participants"] = [{"person": p, "hours": data.pop(f"hours_{p.pk}", None) if p.pk in self.existing
                                 else default} for p in people]
        for pk in self.existing:
            data.pop(f"hours_{pk}", None)
        if self.instance is None:
            data["photos"] = data.pop("photos", [])
        return data


class PhotoForm(StyledFormMixin, forms.Form):
    photos = PhotosField(label="添加照片（JPEG/PNG，≤10 MB）")


class PartnershipForm(RecordForm):
    partner_name = forms.CharField(label="结对对象名称", max_length=100)
    partner_kind = forms.ChoiceField(label="对象类型", choices=PartnerKind.choices)
    since = forms.DateField(label="结对日期", widget=DateInput())
    until = forms.DateField(label="结束日期", required=False, widget=DateInput(), help_text="仍在结对的留空")
    note = forms.CharField(label="说明", max_length=300, required=False)


class PairForm(RecordForm):
    people_fields = ("member",)
    party_only = True

    member = PersonChoice(label="帮教党员", queryset=Person.objects.none())
    student_alias = forms.CharField(label="学生（化名或姓名首字母）", max_length=30,
                                    help_text="未成年人信息从简：不超过10个字，不填真实姓名、证件号、电话")
    school_year = forms.CharField(label="学年", max_length=9, help_text="如 2025-2026")
    category = forms.ChoiceField(label="类别", choices=VisitCategory.choices)
    note = forms.CharField(label="帮教目标", max_length=300, required=False)


class HomeVisitForm(RecordForm):
    people_fields = ("teacher",)

    teacher = PersonChoice(label="家访教师", queryset=Person.objects.none(), required=False,
                           help_text="选择帮教对子时可留空（即结对党员）")
    date = forms.DateField(label="家访日期", widget=DateInput())
    category = forms.ChoiceField(label="类别", choices=VisitCategory.choices)
    pair = forms.ModelChoiceField(label="帮教对子（可选）", queryset=MentorPair.objects.none(), required=False)
    student_alias = forms.CharField(label="学生（化名或姓名首字母）", max_length=30, required=False,
                                    help_text="不超过10个字；选择帮教对子时可留空")
    outcome = _text("家访情况及效果")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pair"].queryset = MentorPair.objects.filter(org__path__startswith=self.org.path).select_related(
            "member").order_by("-school_year", "member__name")

    def service_data(self):
        data = dict(self.cleaned_data)
        data["student_alias"] = data.get("student_alias") or ""
        return data


class CareVisitForm(RecordForm):
    people_fields = ("visitors",)

    date = forms.DateField(label="慰问日期", widget=DateInput())
    recipient_kind = forms.ChoiceField(label="慰问对象", choices=RecipientKind.choices)
    recipients = forms.IntegerField(label="慰问人数", initial=1)
    matters_solved = forms.IntegerField(label="解决实际问题（件）", initial=0)
    money = _money("慰问金（元）")
    goods = forms.CharField(label="慰问物品", max_length=200, required=False)
    goods_value = _money("物品折合金额（元）")
    visitors = PeopleChoice(label="走访人员", queryset=Person.objects.none(), required=False)
    note = _text("情况说明", rows=3)

    def initial_from(self, obj):
        return super().initial_from(obj) | {"visitors": list(obj.visitors.values_list("pk", flat=True))}


class HardshipForm(RecordForm):
    people_fields = ("person",)

    name = forms.CharField(label="姓名", max_length=50)
    person = PersonChoice(label="关联人员（可选）", queryset=Person.objects.none(), required=False,
                          help_text="职工不必是党员；已在平台登记的可关联")
    opened_on = forms.DateField(label="建档日期", widget=DateInput())
    difficulty = forms.CharField(label="困难类型", max_length=200)
    family = _text("家庭情况")
    assistance = _text("帮扶记录")
    closed_on = forms.DateField(label="销档日期", required=False, widget=DateInput())


FORMS = {Activity: ActivityForm, Partnership: PartnershipForm, MentorPair: PairForm, HomeVisit: HomeVisitForm,
         CareVisit: CareVisitForm, HardshipFile: HardshipForm}
