"""The organisation tree of a large scope (/orgs/ with more than TREE_FULL_MAX organisations): the top two
levels only, each with its subtree member totals grouped in the database, an expand link per organisation
(htmx fragment of the same view, or a page rooted there), a search over the whole scope; a fixed number of
queries whatever the scope's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.orgs import selectors
from dangjian.orgs.models import Organisation, OrgKind, Role
from tests.factories import make_org, make_person, make_user

pytestmark = pytest.mark.django_db

TREE = "/orgs/"


@pytest.fixture
def large(monkeypatch):
    """Any scope of more than 3 organisations counts as large."""
    monkeypatch.setattr(selectors, "TREE_FULL_MAX", 3)


@pytest.fixture
def people(tree):
    make_person(tree["branch_a1"]), make_person(tree["branch_a1"]), make_person(tree["group_a1"])
    make_person(tree["branch_a2"], status="probationary"), make_person(tree["school_b"])
    make_person(tree["school_a"], status="activist")           # not a party member: not counted
    make_person(tree["area"])


@pytest.fixture
def admin_client(client, tree):
    client.force_login(make_user("district_admin", Role.ORG_ADMIN, tree["district"]))
    client.get(TREE)   # warm the session
    return client


def _rows(response):
    return {row["org"].pk: row for row in response.context["rows"]}


def _full_totals(client):
    """The totals the whole tree shows (small-scope mode)."""
    response = client.get(TREE)
    assert response.context["mode"] == "full"
    return {pk: (row["full"], row["probationary"]) for pk, row in _rows(response).items()}


def test_a_large_scope_shows_only_its_top_two_levels_with_the_full_trees_totals(admin_client, tree, people,
                                                                                 monkeypatch):
    full = _full_totals(admin_client)
    assert full[tree["district"].pk] == (5, 1)
    monkeypatch.setattr(selectors, "TREE_FULL_MAX", 3)
    response = admin_client.get(TREE)
    assert response.context["mode"] == "top"
    rows = response.context["rows"]
    assert [(r["org"].pk, r["indent"]) for r in rows] == [(tree["district"].pk, 0), (tree["area"].pk, 1)]
    for row in rows:
        assert (row["full"], row["probationary"]) == full[row["org"].pk]
    html = response.content.decode()
    assert "只显示最上两级" in html
    assert f'hx-get="/orgs/?parent={tree["area"].pk}&amp;indent=1"' in html            # expand the area
    assert f'href="/orgs/?parent={tree["area"].pk}"' in html                           # without htmx
    assert "实验中学党总支" not in html


def test_expanding_an_organisation_returns_its_children_rows_with_totals(admin_client, tree, people, large):
    response = admin_client.get(TREE, {"parent": tree["area"].pk, "indent": 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.templates[0].name == "orgs/_tree_rows.html"
    rows = response.context["rows"]
    assert [(r["org"].pk, r["indent"]) for r in rows] == [
        (tree["area"].pk, 1), (tree["school_a"].pk, 2), (tree["school_b"].pk, 2)]
    assert [(r["full"], r["probationary"]) for r in rows] == [(5, 1), (3, 1), (1, 0)]
    html = response.content.decode()
    assert "<html" not in html and html.count("<tr") == 3
    assert f'hx-get="/orgs/?parent={tree["school_a"].pk}&amp;indent=2"' in html          # expand further
    assert 'data-testid="expand"' in html and f'?parent={tree["school_b"].pk}' not in html  # a leaf: no link


def test_the_plain_expand_link_shows_the_tree_rooted_there_with_a_breadcrumb(admin_client, tree, people, large):
    response = admin_client.get(TREE, {"parent": tree["school_a"].pk})
    assert response.templates[0].name == "orgs/tree.html"
    rows = response.context["rows"]
    assert [(r["org"].name, r["indent"]) for r in rows] == [
        ("实验中学党总支", 0), ("实验中学第一党支部", 1), ("实验中学第二党支部", 1)]
    assert [(r["full"], r["probationary"]) for r in rows] == [(3, 1), (3, 0), (0, 1)]
    html = response.content.decode()
    crumbs = html[html.index('data-testid="breadcrumb"'):html.index("</nav>", html.index('data-testid="breadcrumb"'))]
    assert "测试区委教育工委" in crumbs and "第一片区党委" in crumbs and "实验中学党总支" in crumbs


def test_expanding_outside_the_scope_is_404_and_audited(client, tree, large):
    from dangjian.core.models import AuditLog

    client.force_login(make_user("school_admin", Role.ORG_ADMIN, tree["school_a"]))
    for parent in (tree["school_b"].pk, "x", 10 ** 12):
        assert client.get(TREE, {"parent": parent}, HTTP_HX_REQUEST="true").status_code == 404
    assert AuditLog.objects.filter(outcome="denied").count() == 3
    # the breadcrumb of a school secretary starts at the school: nothing above the scope
    response = client.get(TREE, {"parent": tree["branch_a1"].pk})
    assert [o.pk for o in response.context["ancestors"]] == [tree["school_a"].pk]


def test_search_finds_a_deep_organisation_anywhere_in_a_large_scope(admin_client, tree, people, large):
    response = admin_client.get(TREE, {"q": "语文"})
    assert response.context["mode"] == "search"
    rows = response.context["rows"]
    assert [r["org"].pk for r in rows] == [tree["group_a1"].pk]
    assert (rows[0]["full"], rows[0]["match"]) == (1, True)
    assert rows[0]["trail"] == ["测试区委教育工委", "第一片区党委", "实验中学党总支", "实验中学第一党支部"]
    html = response.content.decode()
    assert "找到 1 个组织" in html and "实验中学第一党支部" in html
    assert admin_client.get(TREE, {"q": "不存在"}).context["rows"] == []


def test_search_results_are_capped_with_a_message(admin_client, tree, large, monkeypatch):
    monkeypatch.setattr(selectors, "TREE_SEARCH_MAX", 2)
    response = admin_client.get(TREE, {"q": "实验中学"})       # the school and its two branches, the group
    assert response.context["capped"] and len(response.context["rows"]) == 2
    assert "只显示前 2 个" in response.content.decode()


def test_dissolved_organisations_only_with_the_option(admin_client, tree, large):
    Organisation.objects.filter(pk=tree["school_b"].pk).update(dissolved_on="2024-01-01")
    fragment = {"parent": tree["area"].pk, "indent": 1}
    pks = [r["org"].pk for r in admin_client.get(TREE, fragment, HTTP_HX_REQUEST="true").context["rows"]]
    assert tree["school_b"].pk not in pks
    pks = [r["org"].pk for r in admin_client.get(TREE, {**fragment, "dissolved": "1"},
                                                 HTTP_HX_REQUEST="true").context["rows"]]
    assert tree["school_b"].pk in pks


def test_a_small_scope_keeps_the_whole_tree(client, tree):
    client.force_login(make_user("school_admin", Role.ORG_ADMIN, tree["school_a"]))
    response = client.get(TREE)
    assert response.context["mode"] == "full"
    assert 'data-testid="expand"' not in response.content.decode()


def _count(client, params=None, **headers):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(TREE, params or {}, **headers)
    assert response.status_code == 200
    return len(captured)


# session, user, roles, the probe (at most TREE_FULL_MAX + 1 organisations), the top levels, the totals
# (one GROUP BY), whether the user may create organisations, session save (savepoint, update, release)
TOP_QUERIES = 10
SEARCH_QUERIES = 11    # … the matches, their ancestors' names, the totals
BELOW_QUERIES = 10     # session, user, roles, the parent (scoped), its children and ancestors, the totals, may create, …
FRAGMENT_QUERIES = 9   # the same without "may create"


def test_the_large_tree_issues_a_fixed_number_of_queries_whatever_the_scope_size(admin_client, tree, people,
                                                                                  large):
    def counts():
        return (_count(admin_client), _count(admin_client, {"q": "党支部"}),
                _count(admin_client, {"parent": tree["area"].pk}),
                _count(admin_client, {"parent": tree["area"].pk, "indent": 1}, HTTP_HX_REQUEST="true"))

    assert counts() == (TOP_QUERIES, SEARCH_QUERIES, BELOW_QUERIES, FRAGMENT_QUERIES)
    area2 = make_org(tree["district"], "第二片区党委", OrgKind.AREA_COMMITTEE)
    for i in range(12):
        school = make_org(area2 if i % 2 else tree["area"], f"新学校{i}党总支", OrgKind.GENERAL_BRANCH)
        branch = make_org(school, f"新学校{i}第一党支部", OrgKind.BRANCH)
        make_person(branch), make_person(school)
    assert counts() == (TOP_QUERIES, SEARCH_QUERIES, BELOW_QUERIES, FRAGMENT_QUERIES)


def test_totals_of_several_depths_come_from_one_query(tree, people):
    paths = [tree[k].path for k in ("district", "school_a", "branch_a1", "group_a1", "school_b")]
    with CaptureQueriesContext(connection) as captured:
        totals = selectors.subtree_totals(paths)
    assert len(captured) == 1
    assert [totals[p] for p in paths] == [[5, 1], [3, 1], [3, 0], [1, 0], [1, 0]]
