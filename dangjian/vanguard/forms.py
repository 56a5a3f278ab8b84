from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.members.models import Person
from dangjian.orgs.picker import OrgPicker

from .models import Article, DutyPost, Honour, Lesson, LessonReview, Level


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.org.name}）"


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.org.name}）"


def _text(label, max_length, required=False, help_text="", rows=None):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, max_length=max_length, required=required, help_text=help_text,
                           widget=widget)


class RecordForm(StyledFormMixin, forms.Form):
    """A form whose person fields list the people of the record's organisation subtree."""

    person_fields = ()

    def __init__(self, *args, people=None, orgs=None, lessons=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.person_fields:
            self.fields[name].queryset = people if people is not None else Person.objects.none()
        self.setup(orgs=orgs, lessons=lessons, editing=editing)

    def setup(self, *, orgs, lessons, editing):
        """Per-form choices that depend on the organisation (other than people)."""


class MentorPairForm(RecordForm):
    person_fields = ("mentor", "apprentice")
    school_year = forms.CharField(label="学年", max_length=9, help_text="如 2025-2026")
    mentor = PersonChoice(label="师傅", queryset=Person.objects.none())
    apprentice = PersonChoice(label="徒弟（已在人员档案中时选择）", queryset=Person.objects.none(), required=False)
    apprentice_name = _text("徒弟姓名（不在人员档案中时填写）", 50)
    subject = _text("学科", 30)
    goals = _text("结对目标", 2000, rows=3)
    outcome = _text("成效记录", 2000, rows=3)


class DutyPostForm(RecordForm):
    person_fields = ("member",)
    kind = forms.ChoiceField(label="类型", choices=DutyPost.Kind.choices)
    name = _text("岗位名称", 100, required=True)
    place = _text("地点", 100, help_text="楼层、教室、专业室等")
    time_slot = _text("时段", 50, help_text="如 周一 7:30-8:00")
    member = PersonChoice(label="党员", queryset=Person.objects.none())
    starts_on = forms.DateField(label="开始日期", widget=DateInput())
    ends_on = forms.DateField(label="结束日期", required=False, widget=DateInput(), help_text="仍在岗的不填")


class LessonForm(RecordForm):
    person_fields = ("teacher",)
    teacher = PersonChoice(label="授课教师", queryset=Person.objects.none())
    date = forms.DateField(label="日期", widget=DateInput())
    title = _text("课题", 200, required=True)
    subject = _text("学科", 30)
    kind = forms.ChoiceField(label="课型", choices=Lesson.Kind.choices)
    level = forms.ChoiceField(label="级别", choices=Level.choices)
    result = _text("获奖等次", 30, help_text="如 一等奖，可不填")


class LessonReviewForm(RecordForm):
    person_fields = ("person",)
    person = PersonChoice(label="听课/评课人", queryset=Person.objects.none())
    date = forms.DateField(label="日期", widget=DateInput())
    role = forms.ChoiceField(label="方式", choices=LessonReview.Role.choices)
    lesson = forms.ModelChoiceField(label="已登记的课例", queryset=Lesson.objects.none(), required=False,
                                    help_text="选择后课题自动填写")
    lesson_title = _text("课题（未登记课例时填写）", 200)

    def setup(self, *, orgs, lessons, editing):
        if lessons is not None:
            self.fields["lesson"].queryset = lessons
        self.fields["lesson"].label_from_instance = lambda x: f"{x.date:%Y-%m-%d} {x.teacher.name}《{x.title}》"


class ArticleForm(RecordForm):
    person_fields = ("authors",)
    title = _text("标题", 200, required=True)
    date = forms.DateField(label="发表日期", widget=DateInput())
    platform = forms.ChoiceField(label="发表平台", choices=Article.Platform.choices)
    level = forms.ChoiceField(label="级别", choices=Level.choices)
    url = _text("链接", 500, help_text="以 http:// 或 https:// 开头，可不填")
    authors = PeopleChoice(label="作者（人员）", queryset=Person.objects.none(), required=False,
                           widget=forms.SelectMultiple(attrs={"size": 6}))
    author_names = _text("其他作者", 200, help_text="不在人员档案中的作者，用顿号分隔")


class HonourForm(RecordForm):
    person_fields = ("person",)
    title = _text("荣誉名称", 200, required=True)
    kind = forms.ChoiceField(label="类别", choices=Honour.Kind.choices)
    level = forms.ChoiceField(label="级别", choices=Level.choices)
    date = forms.DateField(label="授予日期", widget=DateInput())
    month = forms.CharField(label="评选月份（明星教师）", max_length=7, required=False,
                            widget=forms.TextInput(attrs={"type": "month"}), help_text="格式 YYYY-MM")
    issuer = _text("授予单位", 100, required=True)
    person = PersonChoice(label="获奖人", queryset=Person.objects.none(), required=False,
                          help_text="个人荣誉选择获奖人；组织荣誉选择下面的获奖组织（二选一）")
    recipient_org = forms.ModelChoiceField(label="获奖组织", queryset=None, required=False, widget=OrgPicker())
    certificate = forms.FileField(label="证书（JPEG/PNG/PDF，≤10 MB，可不传）", required=False)
    remove_certificate = forms.BooleanField(label="删除已上传的证书", required=False)

    def setup(self, *, orgs, lessons, editing):
        self.fields["recipient_org"].queryset = orgs
        if not editing:
            del self.fields["remove_certificate"]
