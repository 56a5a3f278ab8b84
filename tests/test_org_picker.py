"""The organisation picker (dangjian/orgs/picker.py): a plain select for a small scope, a bounded select with a
search box above ORG_PICKER_FULL_MAX, and the search endpoint orgs:pick."""

import re
from datetime import date

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.members.forms import PersonForm
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation, OrgKind, Role
from dangjian.orgs.picker import OrgPicker
from dangjian.orgs.selectors import writable_orgs
from tests.factories import make_id_number, make_org, make_person, make_user

pytestmark = pytest.mark.django_db

OPTION = re.compile(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>')


def options(html, select_id):
    """[(value, label, selected, disabled)] of the select with this id."""
    body = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [(v, label, "selected" in attrs, "disabled" in attrs) for v, attrs, label in OPTION.findall(body)]


@pytest.fixture
def admin(tree):
    return make_user("picker_admin", Role.ORG_ADMIN, tree["district"])


@pytest.fixture
def many_schools(tree):
    """Twelve more schools under the area, so a small ORG_PICKER_FULL_MAX is exceeded."""
    return [make_org(tree["area"], f"青松第{n}小学党支部", OrgKind.BRANCH, unit_name=f"青松第{n}小学")
            for n in range(1, 13)]


def person_data(org, **extra):
    birth = date(1990, 1, 1)
    return {"org": org.pk, "name": "王五", "gender": "M", "ethnicity": "汉族", "birth_date": birth.isoformat(),
            "id_number": make_id_number(birth), "occupation": "professional", "status": "full",
            "joined_on": "2015-07-01", "full_member_on": "2016-07-01", **extra}


# --- a small scope: exactly the select Django renders, same queries -------------------------------------------

def test_small_scope_renders_the_plain_select_with_the_same_html_and_queries(tree, admin):
    orgs = writable_orgs(admin).exclude(kind=OrgKind.GROUP)

    def rendered(widget):
        form = PersonForm(orgs=orgs, groups=writable_orgs(admin, kinds=[OrgKind.GROUP]), initial={
            "org": tree["school_a"].pk})
        if widget is not None:
            form.fields["org"].widget = widget
            form.fields["org"].widget.choices = form.fields["org"].choices
            form.fields["org"].widget.attrs["class"] = "form-select"
        with CaptureQueriesContext(connection) as queries:
            html = str(form["org"])
        return html, len(queries)

    picker_html, picker_queries = rendered(None)
    plain_html, plain_queries = rendered(forms.Select())
    assert isinstance(PersonForm(orgs=orgs, groups=orgs).fields["org"].widget, OrgPicker)
    assert picker_html == plain_html
    assert picker_queries == plain_queries == 1
    assert [v for v, *_ in options(picker_html, "id_org")] == [""] + [str(o.pk) for o in orgs]
    assert "data-org-picker-search" not in picker_html


def test_small_scope_roster_lists_every_organisation_in_a_fixed_number_of_queries(client, tree, admin,
                                                                                   django_assert_num_queries):
    client.force_login(admin)
    url = reverse("members:roster")
    client.get(url)
    with django_assert_num_queries(9):  # as before the picker: one query lists the organisations
        html = client.get(url, {"org": tree["school_a"].pk}).content.decode()
    listed = options(html, "f-org")
    expected = Organisation.objects.active().exclude(kind=OrgKind.GROUP)
    assert [(v, label) for v, label, *_ in listed] == [("", "全部")] + [(str(o.pk), o.name) for o in expected]
    assert [v for v, _, selected, _ in listed if selected] == [str(tree["school_a"].pk)]
    assert "data-org-picker-search" not in html


# --- above the limit: a bounded select and a search box ---------------------------------------------------------

def test_bounded_roster_lists_the_chosen_org_its_ancestors_and_children_only(client, settings, tree, admin,
                                                                              many_schools):
    settings.ORG_PICKER_FULL_MAX = 5
    client.force_login(admin)
    html = client.get(reverse("members:roster"), {"org": tree["school_a"].pk}).content.decode()
    listed = options(html, "f-org")
    values = [v for v, _, _, disabled in listed if not disabled]
    assert values == ["", *(str(tree[k].pk) for k in ("district", "area", "school_a", "branch_a1", "branch_a2"))]
    assert [v for v, _, selected, _ in listed if selected] == [str(tree["school_a"].pk)]
    assert listed[-1][3] and "请输入名称搜索" in listed[-1][1]
    assert 'data-org-picker-search="f-org"' in html and 'hx-get="/orgs/pick/?exclude_groups=1"' in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html and 'hx-target="#f-org"' in html
    assert not re.search(r'<input[^>]*data-org-picker-search[^>]*\sname=', html)  # never submitted


def test_bounded_roster_without_a_choice_lists_the_top_organisation_and_its_children(client, settings, tree, admin,
                                                                                     many_schools):
    settings.ORG_PICKER_FULL_MAX = 5
    client.force_login(admin)
    html = client.get(reverse("members:roster")).content.decode()
    values = [v for v, _, _, disabled in options(html, "f-org") if not disabled]
    assert values == ["", str(tree["district"].pk), str(tree["area"].pk)]


def test_bounded_roster_costs_the_same_queries_whatever_the_number_of_organisations(client, settings, tree, admin,
                                                                                      many_schools):
    settings.ORG_PICKER_FULL_MAX = 5
    client.force_login(admin)
    url = reverse("members:roster")
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url, {"org": tree["area"].pk}).content.decode()
        return len(queries), len(options(html, "f-org"))

    before, listed_before = count()
    for n in range(150):
        make_org(tree["area"], f"新建第{n}中学党支部", OrgKind.BRANCH)
    after, listed_after = count()
    assert after == before
    assert listed_before == 1 + 2 + 14 + 1    # 全部, ancestor and chosen, its 14 children, the hint
    assert listed_after == 1 + 2 + 100 + 1    # children capped at 100


def test_bounded_roster_filters_by_an_organisation_that_was_not_listed(client, settings, tree, admin, many_schools):
    settings.ORG_PICKER_FULL_MAX = 5
    school = many_schools[-1]
    inside = make_person(school, name="周青松")
    make_person(tree["school_b"], name="吴城南")
    client.force_login(admin)
    html = client.get(reverse("members:roster"), {"org": school.pk}).content.decode()
    assert "周青松" in html and "吴城南" not in html
    assert [v for v, _, selected, _ in options(html, "f-org") if selected] == [str(school.pk)]
    assert inside.pk


def test_roster_ignores_an_organisation_outside_the_scope(client, settings, tree, many_schools):
    settings.ORG_PICKER_FULL_MAX = 2
    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    make_person(tree["branch_a1"], name="郑实验")
    make_person(tree["school_b"], name="吴城南")
    client.force_login(secretary)
    html = client.get(reverse("members:roster"), {"org": tree["school_b"].pk}).content.decode()
    assert "吴城南" not in html and "郑实验" in html
    assert str(tree["school_b"].pk) not in [v for v, *_ in options(html, "f-org")]


def test_bounded_person_form_lists_few_options_accepts_an_unlisted_org_and_refuses_one_outside(
        client, settings, tree, many_schools):
    settings.ORG_PICKER_FULL_MAX = 3
    area_secretary = make_user(role=Role.SECRETARY, org=tree["area"])
    client.force_login(area_secretary)
    html = client.get(reverse("members:create"), {"org": tree["branch_a1"].pk}).content.decode()
    listed = [v for v, _, _, disabled in options(html, "id_org") if not disabled]
    assert listed == ["", *(str(tree[k].pk) for k in ("area", "school_a", "branch_a1"))]
    assert "data-org-picker-search" in html
    unlisted = many_schools[5]
    assert str(unlisted.pk) not in listed

    response = client.post(reverse("members:create"), person_data(unlisted))
    assert response.status_code == 302
    assert Person.objects.get(name="王五").org == unlisted

    outside = make_org(tree["district"], "另一片区党委", OrgKind.AREA_COMMITTEE)
    response = client.post(reverse("members:create"), person_data(outside, name="李四"))
    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode()
    assert not Person.objects.filter(name="李四").exists()


def test_bounded_choice_list_keeps_the_chosen_option_and_a_hundred_more(settings):
    settings.ORG_PICKER_FULL_MAX = 10
    widget = OrgPicker(choices=[("", "请选择")] + [(n, f"组织{n}") for n in range(1, 400)])
    html = widget.render("org", 399, attrs={"id": "id_org"})
    listed = options(html, "id_org")
    values = [v for v, _, _, disabled in listed if not disabled]
    assert values[0] == "" and len(values) == 1 + 100  # the chosen id is no organisation: the first hundred
    small = OrgPicker(choices=[(n, f"组织{n}") for n in range(1, 10)]).render("org", 3, attrs={"id": "x"})
    assert len(options(small, "x")) == 9 and "data-org-picker-search" not in small


# --- the search endpoint -----------------------------------------------------------------------------------------

def test_search_returns_matches_in_scope_in_path_order(client, tree, many_schools):
    viewer = make_user(role=Role.VIEWER, org=tree["school_a"])
    client.force_login(viewer)
    url = reverse("orgs:pick")
    html = client.get(url, {"q": "实验中学"}).content.decode()
    found = [v for v, *_ in OPTION.findall(html)]
    assert found == [str(tree[k].pk) for k in ("school_a", "branch_a1", "group_a1", "branch_a2")]
    assert "实验中学第一党支部（党支部）" in html
    no_groups = client.get(url, {"q": "实验中学", "exclude_groups": "1"}).content.decode()
    assert str(tree["group_a1"].pk) not in [v for v, *_ in OPTION.findall(no_groups)]
    # Outside the viewer's school: nothing, and the unit name is searched too.
    assert OPTION.findall(client.get(url, {"q": "城南"}).content.decode()) == [("", " disabled", "没有名称含“城南”的组织")]
    admin = make_user(role=Role.ORG_ADMIN, org=tree["district"])
    client.force_login(admin)
    found = OPTION.findall(client.get(url, {"q": "青松第3小学"}).content.decode())
    assert [v for v, *_ in found] == [str(many_schools[2].pk)]


def test_search_leaves_out_dissolved_organisations(client, tree):
    Organisation.objects.filter(pk=tree["branch_a2"].pk).update(dissolved_on=date(2020, 1, 1))
    client.force_login(make_user(role=Role.ORG_ADMIN, org=tree["district"]))
    html = client.get(reverse("orgs:pick"), {"q": "实验中学第"}).content.decode()
    assert [v for v, *_ in OPTION.findall(html)] == [str(tree["branch_a1"].pk)]


@pytest.mark.parametrize("q", ["", "   ", "长" * 51])
def test_search_with_an_empty_or_too_long_query_returns_nothing(client, tree, q):
    client.force_login(make_user(role=Role.ORG_ADMIN, org=tree["district"]))
    response = client.get(reverse("orgs:pick"), {"q": q})
    assert response.status_code == 200 and "<option" not in response.content.decode()


def test_search_returns_at_most_thirty_in_a_fixed_number_of_queries(client, tree, many_schools):
    client.force_login(make_user(role=Role.ORG_ADMIN, org=tree["district"]))
    url = reverse("orgs:pick")
    client.get(url, {"q": "青松"})

    def run():
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url, {"q": "青松"}).content.decode()
        return len(queries), OPTION.findall(html)

    few_queries, few = run()
    assert len(few) == 12
    for n in range(40):
        make_org(tree["area"], f"青松第{n + 20}中学党支部", OrgKind.BRANCH)
    many_queries, many = run()
    assert many_queries == few_queries
    assert len([o for o in many if o[0]]) == 30 and "只列出前 30 个" in many[-1][2]


def test_search_needs_a_login_and_a_party_role(client, tree):
    url = reverse("orgs:pick")
    assert client.get(url, {"q": "实验"}).status_code == 302
    client.force_login(make_user(admin_role="security"))
    assert client.get(url, {"q": "实验"}).status_code == 403
    client.force_login(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    assert client.post(url, {"q": "实验"}).status_code == 405


@pytest.mark.parametrize("role", [Role.VIEWER, Role.DISCIPLINE, Role.SECRETARY, Role.ORG_ADMIN])
def test_search_finds_inside_and_never_outside_the_scope_for_every_party_role(client, tree, role):
    client.force_login(make_user(role=role, org=tree["school_a"]))
    url = reverse("orgs:pick")
    inside = [v for v, *_ in OPTION.findall(client.get(url, {"q": "第二党支部"}).content.decode())]
    outside = [v for v, *_ in OPTION.findall(client.get(url, {"q": "城南小学"}).content.decode())]
    above = [v for v, *_ in OPTION.findall(client.get(url, {"q": "片区"}).content.decode())]
    assert inside == [str(tree["branch_a2"].pk)] and outside == [""] and above == [""]
