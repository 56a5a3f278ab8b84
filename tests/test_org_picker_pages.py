"""Every page with an organisation filter or choice renders the bounded organisation picker above
ORG_PICKER_FULL_MAX: a fixed number of options and of queries however many organisations are in scope, the chosen
organisation kept selected (dangjian/orgs/picker.py)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.appraisal import services as appraisal
from dangjian.appraisal.models import ScoringForm
from dangjian.orgs.models import OrgKind, Role
from dangjian.orgs.picker import CHILDREN_MAX
from tests.factories import make_org, make_user

pytestmark = pytest.mark.django_db

LIMIT = 5
OPTION = re.compile(r'<option value="([^"]*)"([^>]*)>')

# (url name, select id, the organisation chosen with ?org= (None: a page that asks for one)).
PAGES = [
    ("tasks:pledges", "f-org", "area"),
    ("integrity:home", "f-org", "area"),
    ("points:home", "f-org", "area"),
    ("points:rules", "f-org", "area"),
    ("service:home", "f-org", "area"),
    ("service:summary", "s-org", "area"),
    ("service:activity_new", "pick-org", None),
    ("terms:home", "f-org", "school_a"),
    ("dues:home", "f-org", "area"),
    ("dues:arrears", "f-org", "area"),
    ("dues:publication", "f-org", "area"),
    ("vanguard:home", "f-org", "area"),
    ("vanguard:pairs", "f-org", "area"),
    ("life:meetings", "f-org", "area"),
    ("life:calendar", "cal-org", "area"),
    ("life:meeting_plan", "pick-org", None),
    ("reports:stats_index", "s-org", "area"),
    # Forms whose organisation field used to be given a list of every organisation offered.
    ("appraisal:form_create", "id_org", None),
    ("appraisal:report_create", "id_org", None),
    ("dues:payroll", "id_org", None),
    ("tasks:instructor_new", "id_org", None),
]


def page_url(name, tree):
    if name == "appraisal:report_create":
        form = appraisal.form_save(actor=None, org=tree["district"], year=2025, title="述职评议",
                                   items=[{"name": "落实三会一课", "max_score": "100", "guidance": ""}])
        return reverse(name, args=[form.pk])
    return reverse(name)


def options(html, select_id):
    """[(value, selected)] of the select with this id."""
    match = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no select #{select_id}"
    return [(value, "selected" in attrs) for value, attrs in OPTION.findall(match.group(1))]


def add_branches(parent, count, start=0):
    for n in range(start, start + count):
        make_org(parent, f"新建第{n}中学党支部", OrgKind.BRANCH, unit_name=f"新建第{n}中学")


@pytest.mark.parametrize("name, select_id, chosen", PAGES, ids=[p[0] for p in PAGES])
def test_a_large_scope_gets_a_bounded_picker_in_a_fixed_number_of_queries(client, settings, tree, name,
                                                                          select_id, chosen):
    settings.ORG_PICKER_FULL_MAX = LIMIT
    client.force_login(make_user(role=Role.ORG_ADMIN, org=tree["district"]))
    add_branches(tree["area"], 5)
    params = {"org": tree[chosen].pk} if chosen else {}
    url = page_url(name, tree)
    client.get(url, params)

    def visit():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    few_queries, few = visit()
    add_branches(tree["area"], 45, start=5)
    many_queries, many = visit()
    assert many_queries == few_queries
    for html in (few, many):
        listed = options(html, select_id)
        assert len(listed) <= LIMIT + CHILDREN_MAX + 10
        assert "data-org-picker-search" in html and "请输入名称搜索" in html
        if chosen:
            assert [value for value, selected in listed if selected] == [str(tree[chosen].pk)]


@pytest.mark.parametrize("name, select_id, chosen", PAGES, ids=[p[0] for p in PAGES])
def test_a_small_scope_gets_the_plain_select(client, tree, name, select_id, chosen):
    client.force_login(make_user(role=Role.ORG_ADMIN, org=tree["district"]))
    html = client.get(page_url(name, tree), {"org": tree[chosen].pk} if chosen else {}).content.decode()
    listed = options(html, select_id)
    assert "data-org-picker-search" not in html
    assert {str(tree[k].pk) for k in ("school_a", "school_b")} <= {v for v, _ in listed}
    if chosen:
        assert [value for value, selected in listed if selected] == [str(tree[chosen].pk)]


def test_a_bounded_form_field_accepts_an_unlisted_organisation_and_refuses_one_outside(client, settings, tree):
    settings.ORG_PICKER_FULL_MAX = LIMIT
    client.force_login(make_user(role=Role.SECRETARY, org=tree["area"]))
    add_branches(tree["area"], 20)
    unlisted = make_org(tree["school_b"], "城南小学第二党支部", OrgKind.BRANCH)    # below the listed children
    url = reverse("appraisal:form_create")
    listed = [v for v, _ in options(client.get(url).content.decode(), "id_org")]
    assert str(unlisted.pk) not in listed
    data = {"year": 2025, "title": "评分表", "items": "落实三会一课|100"}
    assert client.post(url, {"org": unlisted.pk, **data}).status_code == 302
    assert ScoringForm.objects.get().org == unlisted
    outside = client.post(url, {"org": tree["district"].pk, **data})
    assert outside.status_code == 400
    assert f"选择一个有效的选项。 {tree['district'].pk} 不在可用的选项中。" in outside.content.decode()
    assert ScoringForm.objects.count() == 1
