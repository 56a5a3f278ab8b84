from django import forms

from dangjian.core.forms import DateInput, StyledFormMixin
from dangjian.members.models import Person
from dangjian.orgs.picker import OrgPicker

from . import selectors


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.org.name}）"


class RecordForm(StyledFormMixin, forms.ModelForm):
    """The form of one 廉政 record kind; people and organisations limited to what the user may keep."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if "person" in self.fields:
            self.fields["person"] = PersonChoice(
                label=self.fields["person"].label,
                queryset=Person.objects.filter(selectors.writable_q(user)).select_related("org").order_by("name", "pk"))
        if "org" in self.fields:
            self.fields["org"].widget = OrgPicker(attrs={"class": "form-select"})
            self.fields["org"].queryset = selectors.writable_orgs(user)
        for name in ("declarations", "notes", "summary"):
            if name in self.fields:
                self.fields[name].widget = forms.Textarea(attrs={"rows": 4, "class": "form-control"})

    def validate_unique(self):
        """Duplicates are judged by the service (with its own message)."""

    def _post_clean(self):
        """The service validates and saves; the instance is not touched here."""


def form_class(kind):
    return forms.modelform_factory(kind.model, form=RecordForm, fields=list(kind.fields),
                                   widgets={name: DateInput() for name in kind.fields
                                            if name.endswith("_on") or name == "probation_until"})


class FilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=50)
    org = forms.IntegerField(required=False, min_value=1)
    year = forms.IntegerField(required=False, min_value=1921, max_value=2100)
