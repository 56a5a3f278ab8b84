from django import forms
from django.core.exceptions import ValidationError

from dangjian.core.forms import StyledFormMixin
from dangjian.orgs.picker import OfferedOrgField, OrgPicker


class ScoringFormForm(StyledFormMixin, forms.Form):
    org = OfferedOrgField(label="组织评议的党组织", widget=OrgPicker())
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    title = forms.CharField(label="名称", max_length=100, initial="党组织书记抓党建工作述职评议评分表")
    items = forms.CharField(label="评分项目", widget=forms.Textarea(attrs={"rows": 8}),
                            help_text="每行一项：名称|满分|评分要点，如“落实三会一课|20|按时召开、记录完整”。")

    def __init__(self, *args, orgs=None, **kwargs):
        """`orgs`: the OrgChoice of the organisations offered (None when editing)."""
        super().__init__(*args, **kwargs)
        if orgs is None:          # editing: organisation and year stay as they are
            del self.fields["org"], self.fields["year"]
        else:
            self.fields["org"].offer(orgs)

    def clean_items(self):
        rows = []
        for n, line in enumerate(self.cleaned_data["items"].splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("｜", "|").split("|")]
            if len(parts) < 2:
                raise ValidationError(f"第{n}行须写成“名称|满分|评分要点”。")
            rows.append({"name": parts[0], "max_score": parts[1], "guidance": "|".join(parts[2:])})
        return rows


def items_text(form):
    return "\n".join(f"{i.name}|{i.max_score}|{i.guidance}".rstrip("|") for i in form.items.all())


class ReportForm(StyledFormMixin, forms.Form):
    org = OfferedOrgField(label="述职组织", widget=OrgPicker(exclude_groups=True))
    person = forms.ChoiceField(label="述职书记")
    text = forms.CharField(label="述职报告", widget=forms.Textarea(attrs={"rows": 14}), max_length=20000)
    upload = forms.FileField(label="附件（PDF 或图片，可选）", required=False)

    def __init__(self, *args, orgs=None, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        if orgs is None:
            del self.fields["org"]
        else:
            self.fields["org"].offer(orgs)
        self.fields["person"].choices = [(p.pk, f"{p.name}（{p.org.name}）") for p in people]


class SheetForm(StyledFormMixin, forms.Form):
    comment = forms.CharField(label="评语", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            field = forms.CharField(label=f"{item.name}（满分{item.max_score}）", max_length=10,
                                    help_text=item.guidance)
            field.widget.attrs.update({"class": "form-control", "inputmode": "decimal"})
            self.fields[f"item_{item.pk}"] = field
        self.order_fields([f"item_{i.pk}" for i in self.items] + ["comment"])

    def marks(self):
        return {item.pk: self.cleaned_data[f"item_{item.pk}"] for item in self.items}
