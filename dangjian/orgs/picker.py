"""Choosing an organisation without listing every organisation in scope.

`OrgPicker` is the widget of every organisation choice field. A field whose choices hold at most
`settings.ORG_PICKER_FULL_MAX` organisations renders exactly the plain `<select>` Django renders (same options,
same single query: the widget fetches `queryset[:limit + 1]` once and reuses the rows). Above that — a province
user sees ~160 000 organisations — it renders a bounded select: the chosen organisation, its ancestors and up to
`CHILDREN_MAX` of its children (the scope's top organisations and their children when nothing is chosen), a last
disabled option saying there are more, and next to it a search box that asks `orgs:pick` (htmx) for the
organisations whose name matches and puts them into the select. Without JavaScript the bounded select still
works; the search box stays hidden. Bounded mode costs a fixed number of queries whatever the data size.

Validation is the field's: a ModelChoiceField checks the submitted id against its own queryset, so an
organisation the search offered but the field does not allow is refused with the field's error.
"""

from functools import reduce
from operator import or_

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Organisation, OrgKind

CHILDREN_MAX = 100   # children listed under the chosen (or top) organisation in bounded mode
SEARCH_MAX = 30      # matches the search endpoint returns
SEARCH_MAX_LENGTH = 50


def full_max():
    return settings.ORG_PICKER_FULL_MAX


def search_label(org):
    """How a search match reads: name, kind and (when the name does not say it) the school."""
    extra = org.get_kind_display()
    if org.unit_name and org.unit_name not in org.name:
        extra = f"{extra} · {org.unit_name}"
    return f"{org.name}（{extra}）"


def search(user, q, *, exclude_groups=False, limit=SEARCH_MAX):
    """Active organisations in the user's scope whose name or unit name contains `q`: at most `limit`, in path
    order, one query (plus the user's roles, read once per request). Empty or too long `q`: nothing."""
    q = (q or "").strip()
    if not q or len(q) > SEARCH_MAX_LENGTH:
        return []
    qs = Organisation.objects.visible_to(user).active().filter(Q(name__icontains=q) | Q(unit_name__icontains=q))
    if exclude_groups:
        qs = qs.exclude(kind=OrgKind.GROUP)
    return list(qs.only("id", "path", "depth", "name", "kind", "unit_name").order_by("path")[:limit])


def _tops(rows):
    """The rows (in path order) none of whose ancestors is among the rows."""
    paths = {row.path for row in rows}
    return [row for row in rows if not any(p in paths for p in Organisation.ancestor_paths(row.path))]


class OrgPicker(forms.Select):
    """A `<select>` of organisations that stays small however many organisations the field allows."""

    bounded_template_name = "orgs/widgets/org_picker.html"

    def __init__(self, attrs=None, choices=(), *, exclude_groups=False):
        super().__init__(attrs, choices)
        self.exclude_groups = exclude_groups
        self.head = None     # the rows of queryset[:limit + 1] when the caller read them already (OrgChoice)
        self.known = ()      # organisations the caller looked up already (the chosen one)

    # -- what to list ------------------------------------------------------------------------------------------
    def _chosen_value(self, value):
        values = [v for v in self.format_value(value) if v != ""]
        return values[0] if values else None

    def _plan(self, value):
        """(choices to render, bounded?) for the current value."""
        if isinstance(self.choices, ModelChoiceIterator):
            return self._plan_queryset(self.choices, self._chosen_value(value))
        return self._plan_list(list(self.choices), self._chosen_value(value))

    def _plan_queryset(self, iterator, chosen_value):
        field, queryset = iterator.field, iterator.queryset
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        if queryset is None:
            return empty, False
        limit = full_max()
        head = self.head if self.head is not None else list(queryset.all()[:limit + 1])
        if len(head) <= limit or queryset.query.is_sliced or not issubclass(queryset.model, Organisation):
            if len(head) > limit:     # cannot narrow a sliced or foreign queryset: list it as Django would
                return list(iterator), False
            return empty + [iterator.choice(obj) for obj in head], False

        key = field.to_field_name or "pk"
        chosen = None
        if chosen_value is not None:
            chosen = next((o for o in [*head, *self.known] if str(field.prepare_value(o)) == chosen_value), None)
            if chosen is None:
                try:
                    chosen = queryset.filter(**{key: chosen_value}).first()
                except (ValueError, TypeError, ValidationError):
                    chosen = None
        rows = {}
        if chosen is not None:
            rows[chosen.pk] = chosen
            ancestors = Organisation.ancestor_paths(chosen.path)
            if ancestors:
                rows.update((o.pk, o) for o in queryset.filter(path__in=ancestors))
            anchors = [chosen]
        else:
            anchors = _tops(head)[:CHILDREN_MAX]
            rows.update((o.pk, o) for o in anchors)
        if len(anchors) < CHILDREN_MAX or chosen is not None:
            below = reduce(or_, [Q(path__startswith=a.path, depth=a.depth + 1) for a in anchors])
            rows.update((o.pk, o) for o in queryset.filter(below).order_by("path")[:CHILDREN_MAX])
        listed = sorted(rows.values(), key=lambda o: o.path)
        return empty + [iterator.choice(obj) for obj in listed], True

    def _plan_list(self, choices, chosen_value):
        """Choices given as a list of (organisation id, label), in path order (they are in memory already)."""
        empty = [c for c in choices if c[0] in ("", None)]
        options = [c for c in choices if c[0] not in ("", None)]
        if len(options) <= full_max() or any(isinstance(c[1], (list, tuple)) for c in options):
            return choices, False
        labels = {str(c[0]): c for c in options}
        keep = set()
        chosen = None
        if chosen_value in labels:
            try:
                chosen = Organisation.objects.filter(pk=chosen_value).first()
            except (ValueError, TypeError, ValidationError):
                chosen = None
        if chosen is not None:
            keep.add(str(chosen.pk))
            keep.update(str(pk) for pk in Organisation.objects.filter(
                path__in=Organisation.ancestor_paths(chosen.path)).values_list("pk", flat=True))
            keep.update(str(pk) for pk in Organisation.objects.filter(
                path__startswith=chosen.path, depth=chosen.depth + 1).order_by("path").values_list(
                "pk", flat=True)[:CHILDREN_MAX])
        else:
            keep.update(str(c[0]) for c in options[:CHILDREN_MAX])
        return empty + [c for c in options if str(c[0]) in keep], True

    # -- rendering ---------------------------------------------------------------------------------------------
    def use_required_attribute(self, initial):
        """As Django decides it (a required select needs an empty first option), without running the queryset to
        find the first option."""
        if isinstance(self.choices, ModelChoiceIterator):
            return not self.is_hidden and self.choices.field.empty_label is not None
        return super().use_required_attribute(initial)

    def search_url(self):
        url = reverse("orgs:pick")
        return f"{url}?exclude_groups=1" if self.exclude_groups else url

    def get_context(self, name, value, attrs):
        choices, bounded = self._plan(value)
        original = self.choices
        self.choices = choices
        try:
            context = super().get_context(name, value, attrs)
        finally:
            self.choices = original
        context["picker"] = {"bounded": bounded, "limit": full_max(), "search_url": self.search_url()}
        return context

    def _render(self, template_name, context, renderer=None):
        if context["picker"]["bounded"]:
            return render_to_string(self.bounded_template_name, context)   # a SafeString: the template escaped it
        return super()._render(template_name, context, renderer)


class OrgPickerField(forms.ModelChoiceField):
    """A ModelChoiceField of organisations rendered with OrgPicker (for pages that are not Django forms)."""

    widget = OrgPicker


def org_name(org):
    """The label most filters give an organisation: its name."""
    return org.name


def name_and_kind(org):
    """An organisation with its kind, as the 选择组织 steps of the forms show it: 实验中学党总支（党总支）."""
    return f"{org.name}（{org.get_kind_display()}）"


def org_picker(name, queryset, value, *, empty_label="全部", label_from_instance=None, attrs=None,
               exclude_groups=False, head=None):
    """A picker to put into a hand-written filter form: `{{ picker }}` renders it (lazily, so a page that does
    not show it pays nothing). `value` is the chosen organisation (or its id, or None). `head`: the rows of
    `queryset[:ORG_PICKER_FULL_MAX + 1]` when the view read them already (see OrgChoice), so as not to read
    them twice."""
    return _LazyPicker(name, queryset, value, empty_label=empty_label, label_from_instance=label_from_instance,
                       attrs=attrs or {}, exclude_groups=exclude_groups, head=head)


def _as_pk(value):
    if isinstance(value, Organisation):
        return value.pk
    value = str(value if value is not None else "").strip()
    return int(value) if value.isdigit() else None


class OrgChoice:
    """The organisation a filter asks for (`?org=`), looked up in `queryset` (the organisations the page allows,
    in path order), and its picker — in one query for a small scope.

    Reads `queryset[:ORG_PICKER_FULL_MAX + 1]` once: when that is every row (a small scope) the chosen organisation
    is found among them and the picker renders them without another query, exactly like a loop over the whole
    queryset did; otherwise the chosen organisation is looked up by id (one more query) and the picker is bounded.
    An id that is not in `queryset` (outside the scope, not a number) finds nothing: `found` is None and `org` is
    the default — None, the first organisation (`default="first"`: the widest, in path order), or what
    `default(choice)` returns. `requested` is the id asked for (None when none or not a number)."""

    def __init__(self, queryset, value, *, default=None):
        limit = full_max()
        self.queryset = queryset
        self.head = list(queryset[:limit + 1])
        self.complete = len(self.head) <= limit
        self.requested = _as_pk(value)
        org = None
        if self.requested is not None:
            org = next((o for o in self.head if o.pk == self.requested), None)
            if org is None and not self.complete:
                org = queryset.filter(pk=self.requested).first()
        self.found = org
        if org is None and default == "first":
            org = self.first
        elif org is None and callable(default):
            org = default(self)
        self.org = org

    @property
    def first(self):
        return self.head[0] if self.head else None

    @property
    def rows(self):
        """Every organisation of the queryset when there are at most ORG_PICKER_FULL_MAX, else None."""
        return self.head if self.complete else None

    def __bool__(self):
        return bool(self.head)

    def picker(self, name="org", *, empty_label=None, label_from_instance=org_name, **kwargs):
        """The picker of the chosen organisation (no empty option unless `empty_label`), reusing the rows read."""
        lazy = org_picker(name, self.queryset, self.org, empty_label=empty_label,
                          label_from_instance=label_from_instance, head=self.head, **kwargs)
        lazy.known = [self.org] if self.org is not None else []
        return lazy


class _LazyPicker:
    def __init__(self, name, queryset, value, *, empty_label, label_from_instance, attrs, exclude_groups, head):
        self.name, self.queryset, self.value, self.attrs = name, queryset, value, attrs
        self.empty_label, self.label_from_instance, self.exclude_groups = empty_label, label_from_instance, \
            exclude_groups
        self.head, self.known = head, []

    def __html__(self):
        field = OrgPickerField(queryset=self.queryset, required=False, empty_label=self.empty_label,
                               widget=OrgPicker(exclude_groups=self.exclude_groups))
        field.widget.head, field.widget.known = self.head, self.known
        if self.label_from_instance is not None:
            field.label_from_instance = self.label_from_instance
        value = self.value.pk if isinstance(self.value, Organisation) else self.value
        attrs = {"class": "form-select", **self.attrs}
        return field.widget.render(self.name, value, attrs=attrs)

    __str__ = __html__


class OfferedOrgField(forms.ModelChoiceField):
    """An organisation among those a view offers (an OrgChoice), for forms that used to be given the list of them:
    rendered with OrgPicker (no empty option), refused with ChoiceField's message, and — for a small scope — shown
    and validated from the rows the OrgChoice read, without another query. The cleaned value is the organisation."""

    widget = OrgPicker
    default_error_messages = {"invalid_choice": forms.ChoiceField.default_error_messages["invalid_choice"]}

    def __init__(self, **kwargs):
        kwargs.setdefault("empty_label", None)
        super().__init__(queryset=Organisation.objects.none(), **kwargs)
        self.rows = None

    def offer(self, choice):
        """Offer the organisations of `choice` (an OrgChoice)."""
        self.queryset = choice.queryset
        self.rows = choice.rows
        self.widget.head = choice.head

    def label_from_instance(self, obj):
        return obj.name

    def to_python(self, value):
        if value in self.empty_values or self.rows is None:
            return super().to_python(value)
        org = next((o for o in self.rows if str(o.pk) == str(value)), None)
        if org is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                  params={"value": value})
        return org
