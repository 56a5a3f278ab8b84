"""The compliance matrix (/rules/matrix/) and the findings list (/rules/findings/): organisations × months ×
meeting types in the user's scope, coloured by the same judgement as the findings, with click-through; a fixed
number of queries whatever the size of the subtree."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts.models import AdminRole
from dangjian.compliance.services import rule_override_set
from dangjian.life.models import Meeting
from dangjian.orgs.models import CommitteePost, Organisation, OrgKind, Role
from tests.factories import make_org, make_person, make_user

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1
MATRIX = reverse("compliance:matrix")
FINDINGS = reverse("compliance:findings")


def held(org, kind, day):
    return Meeting.objects.create(org=org, type=kind, status=Meeting.Status.HELD, theme="会议", date=day)


def with_committee(branch):
    for i in range(3):
        CommitteePost.objects.create(org=branch, person=make_person(branch), started_on=date(2015, 1, 1),
                                     post=CommitteePost.Post.SECRETARY if i == 0 else CommitteePost.Post.MEMBER)
    return branch


@pytest.fixture
def secretary(tree):
    return make_user("sec_a", Role.SECRETARY, tree["school_a"])


@pytest.fixture
def sec_client(client, secretary):
    client.force_login(secretary)
    return client


def row_of(response, org):
    return next(r for r in response.context["matrix"].rows if r.org.pk == org.pk)


def statuses(row):
    return [c.status for c in row.cells]


# --- colours ------------------------------------------------------------------------------------------

def test_monthly_type_view_is_green_where_held_and_red_where_missed(sec_client, tree):
    branch = with_committee(tree["branch_a1"])
    for month in (1, 2, 5):
        held(branch, "committee", date(LAST_YEAR, month, 28))
    response = sec_client.get(MATRIX, {"org": tree["school_a"].pk, "year": LAST_YEAR, "type": "committee"})
    assert response.status_code == 200
    row = row_of(response, branch)
    assert statuses(row) == ["met", "met", "missed", "missed", "met"] + ["missed"] * 7
    assert row.percent == 25  # 3 of 12 periods
    assert row.cells[0].url_for(branch.pk) == f"/life/?type=committee&start={LAST_YEAR}-01-01&end={LAST_YEAR}-01-31&org={branch.pk}"
    assert f'href="/life/?type=committee&amp;start={LAST_YEAR}-01-01&amp;end={LAST_YEAR}-01-31&amp;org={branch.pk}"' in response.content.decode()
    assert row.cells[2].url_for(branch.pk) == f"/life/new/?type=committee&org={branch.pk}"


def test_quarterly_periods_span_three_months(sec_client, tree):
    branch = tree["branch_a1"]
    held(branch, "assembly", date(LAST_YEAR, 6, 30))
    response = sec_client.get(MATRIX, {"org": branch.pk, "year": LAST_YEAR, "type": "assembly"})
    row = row_of(response, branch)
    assert [(c.status, c.colspan) for c in row.cells] == [("missed", 3), ("met", 3), ("missed", 3), ("missed", 3)]
    assert 'colspan="3"' in response.content.decode()


def test_branch_without_committee_is_grey_for_committee_meetings(sec_client, tree):
    response = sec_client.get(MATRIX, {"org": tree["school_a"].pk, "year": LAST_YEAR, "type": "committee"})
    row = row_of(response, tree["branch_a2"])
    assert not row.applicable and row.percent is None
    assert "不适用" in response.content.decode()


def test_current_month_is_amber_until_held_then_green(sec_client, tree):
    today = timezone.localdate()
    branch = with_committee(tree["branch_a1"])
    params = {"org": branch.pk, "year": today.year, "type": "committee"}
    current = row_of(sec_client.get(MATRIX, params), branch).cells[today.month - 1]
    assert current.status in ("soon", "current") and current.css == "soon"
    held(branch, "committee", today)
    assert row_of(sec_client.get(MATRIX, params), branch).cells[today.month - 1].status == "met"
    if today.month < 12:
        assert row_of(sec_client.get(MATRIX, params), branch).cells[today.month].status == "future"


def test_compact_view_has_a_mark_per_type_in_every_month(sec_client, tree):
    branch = with_committee(tree["branch_a1"])
    held(branch, "theme_day", date(LAST_YEAR, 3, 10))
    response = sec_client.get(MATRIX, {"org": tree["school_a"].pk, "year": LAST_YEAR})
    row = row_of(response, branch)
    assert len(row.cells) == 12
    assert [c.meeting_type for c in row.cells[2]] == ["committee", "assembly", "lecture", "theme_day", "life_meeting",
                                                      "evaluation", "talk"]
    assert row.cells[2][3].status == "met" and row.cells[3][3].status == "missed"
    # a branch without committee keeps the slot, grey
    other = row_of(response, tree["branch_a2"])
    assert other.cells[0][0].status == "na" and other.cells[0][0].url_for(tree["branch_a2"].pk) == ""
    group = row_of(response, tree["group_a1"])
    assert [c.meeting_type for c in group.cells[0]] == ["group"]
    html = response.content.decode()
    assert 'data-testid="legend"' in html and "已召开" in html and "未召开（逾期）" in html


def test_rows_are_the_subtree_indented_under_the_chosen_organisation(sec_client, tree):
    response = sec_client.get(MATRIX, {"org": tree["school_a"].pk, "year": LAST_YEAR})
    rows = response.context["matrix"].rows
    assert [(r.org.name, r.indent) for r in rows] == [
        ("实验中学党总支", 0), ("实验中学第一党支部", 1), ("语文组党小组", 2), ("实验中学第二党支部", 1)]
    assert "城南小学党支部" not in response.content.decode()


def test_local_rule_is_shown_with_its_organisation_and_reason(sec_client, tree):
    sysadmin = make_user(admin_role=AdminRole.SYSTEM)
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id="life.lecture", enabled=True,
                      params={"frequency": "semester"}, reason="党总支会议决定：党课每学期一次")
    response = sec_client.get(MATRIX, {"org": tree["school_a"].pk, "year": LAST_YEAR, "type": "lecture"})
    row = row_of(response, tree["branch_a1"])
    assert [c.colspan for c in row.cells] == [1, 7, 4]        # Jan | Feb–Aug | Sep–Dec
    html = response.content.decode()
    assert "每学期" in html and "本地规定" in html
    assert "实验中学党总支：党课每学期（依据：党总支会议决定：党课每学期一次）" in html
    assert "支条 第十六条" in html


# --- scope and bad input --------------------------------------------------------------------------------

def test_default_organisation_is_the_top_of_the_users_scope(sec_client, tree):
    response = sec_client.get(MATRIX)
    assert response.context["matrix"].root.pk == tree["school_a"].pk
    assert response.context["matrix"].year == timezone.localdate().year


def test_an_organisation_outside_the_scope_is_refused_and_nothing_of_it_is_shown(sec_client, tree):
    for url in (MATRIX, FINDINGS):
        response = sec_client.get(url, {"org": tree["school_b"].pk})
        assert response.status_code == 200
        html = response.content.decode()
        assert "请选择有效的组织。" in html
        assert "城南小学党支部" not in html


@pytest.mark.parametrize("params, message", [
    ({"year": "abc"}, "年度须为整数。"),
    ({"year": "1999"}, "年度须在2000至"),
    ({"type": "party"}, "请选择有效的会议类型。"),
    ({"org": "x"}, "请选择有效的组织。"),
])
def test_bad_matrix_filters_get_a_chinese_error(sec_client, tree, params, message):
    response = sec_client.get(MATRIX, params)
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.DISCIPLINE, Role.ORG_ADMIN])
def test_every_org_role_may_read_the_matrix_of_its_scope(client, tree, role):
    client.force_login(make_user(role=role, org=tree["branch_a1"]))
    response = client.get(MATRIX)
    assert response.status_code == 200
    assert response.context["matrix"].root.pk == tree["branch_a1"].pk


@pytest.mark.parametrize("admin_role", [AdminRole.SYSTEM, AdminRole.SECURITY, AdminRole.AUDIT])
def test_administrators_and_members_are_forbidden(client, tree, admin_role):
    client.force_login(make_user(admin_role=admin_role))
    assert client.get(MATRIX).status_code == 403
    assert client.get(FINDINGS).status_code == 403
    client.force_login(make_user(role=Role.MEMBER, org=tree["branch_a1"]))
    assert client.get(MATRIX).status_code == 403


def test_rules_page_links_to_the_checks(client, tree):
    client.force_login(make_user(admin_role=AdminRole.SYSTEM))
    html = client.get(reverse("compliance:rules")).content.decode()
    assert f'href="{MATRIX}"' in html and f'href="{FINDINGS}"' in html


# --- fixed queries --------------------------------------------------------------------------------------

def _district_client(client, root):
    user = make_user(role=Role.VIEWER, org=root)
    client.force_login(user)
    client.get(MATRIX)  # warm the session
    return client


# session, user, roles (scope), the chosen organisation (checked against the scope), its subtree (with the
# ancestors and top scopes the breadcrumb and picker show), overrides, committee applicability, meeting counts,
# session save (savepoint, update, release) — whatever the subtree's size and the page
MATRIX_QUERIES = 11


def test_matrix_of_a_small_tree_issues_a_fixed_number_of_queries(client, tree, django_assert_num_queries):
    held(with_committee(tree["branch_a1"]), "committee", date(LAST_YEAR, 3, 3))
    client = _district_client(client, tree["district"])
    with django_assert_num_queries(MATRIX_QUERIES):
        response = client.get(MATRIX, {"year": LAST_YEAR})
    assert len(response.context["matrix"].rows) == 7


def test_matrix_of_the_whole_demo_district_issues_the_same_number_of_queries(client, django_assert_num_queries):
    from dangjian.demo.builder import build
    from dangjian.demo.plans import DEMO_REGION_CODE, DEMO_SEED, demo_plan
    from dangjian.life import demo as life_demo

    result = build(demo_plan(), seed=DEMO_SEED, region_code=DEMO_REGION_CODE)
    life_demo.extend(result, seed=DEMO_SEED, years=1)
    client = _district_client(client, result.root)
    for params in ({"year": 2026}, {"year": 2025, "type": "assembly"}):
        with django_assert_num_queries(MATRIX_QUERIES):
            response = client.get(MATRIX, params)
        matrix = response.context["matrix"]
        assert len(matrix.rows) == len(result.orgs) > 100
        assert matrix.met > 0 and matrix.missed > 0


# --- the findings list ------------------------------------------------------------------------------------

def test_findings_list_shows_org_subject_rule_source_severity_due_date_and_message(sec_client, tree):
    branch = with_committee(tree["branch_a1"])
    response = sec_client.get(FINDINGS, {"org": branch.pk, "on": "2024-04-01", "rule": "life.committee"})
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["total"] == 3
    for text in ("实验中学第一党支部", "支委会（2024年3月）", "支部委员会会议一般每月召开1次", "支条 第十二条",
                 "逾期/错误", "2024-03-31", "2024年3月未召开支委会"):
        assert text in html


def test_findings_can_be_filtered_by_severity(sec_client, tree):
    with_committee(tree["branch_a1"])
    response = sec_client.get(FINDINGS, {"org": tree["school_a"].pk, "on": "2024-03-31", "severity": "soon"})
    assert response.context["total"] > 0
    assert {f.severity for f in response.context["page"]} == {"soon"}


def test_findings_as_of_a_past_date_recheck_that_date(sec_client, tree):
    branch = with_committee(tree["branch_a1"])
    held(branch, "committee", date(2024, 3, 5))
    params = {"org": branch.pk, "rule": "life.committee"}
    assert sec_client.get(FINDINGS, {**params, "on": "2024-03-01"}).context["total"] == 2  # Jan, Feb
    assert sec_client.get(FINDINGS, {**params, "on": "2024-04-01"}).context["total"] == 2  # Jan, Feb; March met


@pytest.mark.parametrize("params, message", [
    ({"on": "2024-02-30"}, "检查日期格式应为 YYYY-MM-DD。"),
    ({"severity": "bad"}, "请选择有效的级别。"),
    ({"rule": "nope"}, "请选择有效的规则。"),
])
def test_bad_findings_filters_get_a_chinese_error(sec_client, tree, params, message):
    response = sec_client.get(FINDINGS, params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_findings_are_paginated(sec_client, tree, settings):
    settings.PAGE_SIZE = 5
    with_committee(tree["branch_a1"])
    first = sec_client.get(FINDINGS, {"org": tree["school_a"].pk, "on": "2024-12-01"})
    assert first.context["total"] > 5 and len(first.context["page"].object_list) == 5
    second = sec_client.get(FINDINGS, {"org": tree["school_a"].pk, "on": "2024-12-01", "page": 2})
    assert second.context["page"].number == 2
    assert "page=2" in first.content.decode()


def _add_branches(parent, n, start=0):
    for i in range(start, start + n):
        b = make_org(parent, f"支部{i}", OrgKind.BRANCH)
        make_person(b)
        held(b, "assembly", date(2024, 2, 2))


def test_findings_list_issues_the_same_number_of_queries_for_2_and_20_branches(client, tree):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _district_client(client, tree["district"])
    counts = []
    for n, start in ((2, 0), (18, 2)):
        _add_branches(tree["school_a"], n, start)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(FINDINGS, {"on": "2024-06-30"})
        assert response.context["total"] >= start + n
        counts.append(len(captured))
    # the view's own queries (session, user, roles, org list) plus findings_for: overrides, 2 org set-up
    # aggregates, the 4 life checks (tests/test_life_findings.py pins them) and other apps' checks
    assert counts[0] == counts[1]


def test_matrix_and_findings_judge_every_period_alike(tree):
    from dangjian.compliance.engine import findings_for
    from dangjian.compliance.matrix import build_matrix

    branch = with_committee(tree["branch_a1"])
    for day in (date(2024, 1, 9), date(2024, 4, 30), date(2024, 5, 2), date(2024, 12, 20)):
        held(branch, "committee", day)
        held(branch, "assembly", day)
    held(tree["group_a1"], "group", date(2024, 7, 7))
    on = date(2024, 12, 26)
    orgs = list(Organisation.objects.subtree_of(tree["school_a"]).active())
    matrix = build_matrix(orgs, orgs[0], 2024, on)
    from_matrix = {(row.org.pk, cell.meeting_type, cell.period.label, cell.status)
                   for row in matrix.rows if row.applicable for month in row.cells for cell in month
                   if cell.status in ("missed", "soon")}
    from_findings = {(f.org_id, f.rule_id.removeprefix("life."), f.subject.split("（")[1].rstrip("）"),
                      "missed" if f.severity == "overdue" else "soon")
                     for f in findings_for(orgs, on=on, only=["life"])
                     if f.due_on and f.due_on.year == 2024}
    assert from_matrix == from_findings
    assert (branch.pk, "committee", "2024年3月", "missed") in from_matrix
    assert (branch.pk, "committee", "2024年12月", "soon") not in from_matrix       # held on the 20th
    assert (branch.pk, "theme_day", "2024年12月", "soon") in from_matrix
    assert (branch.pk, "life_meeting", "2024年", "soon") in from_matrix


# --- shared judgements (a district has ~30 000 periods but a few hundred distinct rows) ------------------

def test_rows_with_equal_meetings_but_different_founding_or_dissolution_are_judged_apart(tree):
    """The matrix judges each (obligation, month counts) once and shares the result between organisations:
    a branch founded mid-year or dissolved mid-year must still get its own grey months."""
    from dangjian.compliance.matrix import build_matrix

    school = tree["school_a"]
    old = make_org(school, "老支部", OrgKind.BRANCH, founded_on=date(2010, 1, 1))
    new = make_org(school, "新支部", OrgKind.BRANCH, founded_on=date(2024, 6, 15))
    closing = make_org(school, "撤销支部", OrgKind.BRANCH, founded_on=date(2010, 1, 1))
    Organisation.objects.filter(pk=closing.pk).update(dissolved_on=date(2024, 9, 10))
    orgs = list(Organisation.objects.subtree_of(school).active()) + [Organisation.objects.get(pk=closing.pk)]
    matrix = build_matrix(orgs, orgs[0], 2024, date(2025, 3, 1), "theme_day")
    rows = {row.org.pk: [c.status for c in row.cells] for row in matrix.rows}
    assert rows[old.pk] == ["missed"] * 12
    assert rows[new.pk] == ["na"] * 6 + ["missed"] * 6               # founded mid-June: expected from July
    assert rows[closing.pk] == ["missed"] * 8 + ["na"] * 4          # not expected in the month it closed
    by_pk = {row.org.pk: row for row in matrix.rows}
    assert (by_pk[old.pk].missed, by_pk[new.pk].missed, by_pk[closing.pk].missed) == (12, 6, 8)


def test_a_local_rule_changes_only_its_subtree_when_rows_are_shared(tree):
    from dangjian.compliance.matrix import build_matrix

    sysadmin = make_user(admin_role=AdminRole.SYSTEM)
    rule_override_set(actor=sysadmin, org=tree["branch_a1"], rule_id="life.lecture", enabled=True,
                      params={"frequency": "semester"}, reason="支部决定：党课每学期一次")
    orgs = list(Organisation.objects.subtree_of(tree["district"]).active())
    matrix = build_matrix(orgs, orgs[0], LAST_YEAR, date(LAST_YEAR + 1, 3, 1), "lecture")
    spans = {row.org.pk: [c.colspan for c in row.cells] for row in matrix.rows if row.applicable}
    assert spans[tree["branch_a1"].pk] == [1, 7, 4]                 # its own rule: semesters
    others = [pk for pk in spans if pk != tree["branch_a1"].pk]
    assert others and all(spans[pk] == [3, 3, 3, 3] for pk in others)   # everyone else: the default, quarters


def test_a_link_without_a_year_shows_the_current_year_in_the_form(sec_client, tree):
    response = sec_client.get(MATRIX, {"type": "lecture"})
    assert response.status_code == 200
    assert response.context["form"]["year"].value() == str(timezone.localdate().year)
    assert response.context["matrix"].year == timezone.localdate().year


# --- pages of rows, drill-down, breadcrumb and the organisation picker -----------------------------------

@pytest.fixture
def small_pages(monkeypatch):
    from dangjian.compliance import views

    monkeypatch.setattr(views, "MATRIX_PAGE_SIZE", 3)
    return 3


def _viewer(client, org):
    client.force_login(make_user(role=Role.VIEWER, org=org))
    return client


def _page_pks(response):
    return [row.org.pk for row in response.context["rows"]]


def test_rows_are_paged_in_path_order_and_page_2_shows_the_next_rows(client, tree, small_pages):
    client = _viewer(client, tree["district"])
    every = [o.pk for o in Organisation.objects.subtree_of(tree["district"]).active()]   # path order, 7 rows
    pages = [client.get(MATRIX, {"year": LAST_YEAR, "page": n}) for n in (1, 2, 3)]
    assert [_page_pks(r) for r in pages] == [every[0:3], every[3:6], every[6:7]]
    assert pages[1].context["page"].number == 2
    html = pages[1].content.decode()
    assert f'data-org="{every[3]}"' in html and f'data-org="{every[2]}"' not in html
    assert "第 2 / 3 页" in html and "第 4–6 个" in html
    # page 2 starts with 实验中学第二党支部: its ancestors on page 1 are named above the table
    assert [o.pk for o in pages[1].context["continued"]] == [tree[k].pk for k in ("district", "area", "school_a")]
    assert "本页接上页" in html and "测试区委教育工委 › 第一片区党委 › 实验中学党总支</p>" in html
    assert pages[0].context["continued"] == []


def test_the_pager_keeps_the_filters(client, tree, small_pages):
    client = _viewer(client, tree["district"])
    html = client.get(MATRIX, {"org": tree["district"].pk, "year": LAST_YEAR, "type": "assembly",
                               "page": 2}).content.decode()
    pager = html[html.index('data-testid="matrix-pager"'):]
    query = f"org={tree['district'].pk}&amp;year={LAST_YEAR}&amp;type=assembly&amp;page="
    assert f"?{query}1" in pager and f"?{query}3" in pager


def test_the_total_percent_is_the_whole_subtrees_on_every_page(client, tree, small_pages):
    from dangjian.compliance.matrix import build_matrix

    for branch, months in ((with_committee(tree["branch_a1"]), (1, 2, 3)), (tree["school_b"], (5,))):
        for month in months:
            held(branch, "committee", date(LAST_YEAR, month, 10))
            held(branch, "assembly", date(LAST_YEAR, month, 10))
    client = _viewer(client, tree["district"])
    orgs = list(Organisation.objects.subtree_of(tree["district"]).active())
    whole = build_matrix(orgs, orgs[0], LAST_YEAR, timezone.localdate())
    met, missed = sum(r.met for r in whole.rows), sum(r.missed for r in whole.rows)
    expected = round(100 * met / (met + missed))
    assert 0 < expected < 100
    for n in (1, 2, 3):
        response = client.get(MATRIX, {"year": LAST_YEAR, "page": n})
        assert response.context["matrix"].percent == expected
        assert f'data-testid="total-percent">{expected}%<' in response.content.decode()


def test_a_subtree_larger_than_a_page_renders_one_page_of_rows_with_cells_only_for_them(client, tree, small_pages):
    _add_branches(tree["school_a"], 5)
    client = _viewer(client, tree["district"])
    response = client.get(MATRIX, {"year": LAST_YEAR})
    html = response.content.decode()
    assert html.count("<tr data-org=") == 3
    matrix = response.context["matrix"]
    assert len(matrix.rows) == 12 and response.context["page"].paginator.num_pages == 4
    shown = set(_page_pks(response))
    assert all(row.cells for row in matrix.rows if row.org.pk in shown and row.applicable)
    assert not any(row.cells for row in matrix.rows if row.org.pk not in shown)   # not laid out at all


def test_cells_of_a_page_equal_the_cells_built_for_every_row(tree):
    from dangjian.compliance.matrix import build_matrix

    branch = with_committee(tree["branch_a1"])
    held(branch, "committee", date(LAST_YEAR, 4, 4))
    orgs = list(Organisation.objects.subtree_of(tree["district"]).active())
    on = date(LAST_YEAR + 1, 2, 1)
    for meeting_type in (None, "committee"):
        full = build_matrix(orgs, orgs[0], LAST_YEAR, on, meeting_type)
        lazy = build_matrix(orgs, orgs[0], LAST_YEAR, on, meeting_type, cells=False)
        lazy.fill_cells(lazy.rows[2:5])
        for i, (a, b) in enumerate(zip(full.rows, lazy.rows)):
            assert (a.met, a.missed, a.pending) == (b.met, b.missed, b.pending)
            assert b.cells == (a.cells if 2 <= i < 5 else [])
        assert full.percent == lazy.percent


@pytest.mark.parametrize("page, expected", [("abc", 1), ("0", 3), ("999", 3), ("", 1), ("-1", 3)])
def test_a_bad_page_number_falls_back_to_the_first_or_last_page(client, tree, small_pages, page, expected):
    client = _viewer(client, tree["district"])
    response = client.get(MATRIX, {"year": LAST_YEAR, "page": page})
    assert response.status_code == 200
    assert response.context["page"].number == expected


def test_the_matrix_issues_the_same_queries_for_a_small_and_a_large_subtree_on_any_page(
        client, tree, small_pages, django_assert_num_queries):
    client = _district_client(client, tree["district"])
    with django_assert_num_queries(MATRIX_QUERIES):
        client.get(MATRIX, {"org": tree["branch_a2"].pk, "year": LAST_YEAR})       # one row
    _add_branches(tree["school_a"], 12)
    for params in ({"year": LAST_YEAR}, {"year": LAST_YEAR, "page": 4}, {"year": LAST_YEAR, "type": "assembly",
                                                                         "page": 2}):
        with django_assert_num_queries(MATRIX_QUERIES):
            response = client.get(MATRIX, params)
        assert len(response.context["rows"]) <= 3 and len(response.context["matrix"].rows) == 19


def test_rows_with_sub_organisations_drill_down_to_their_own_matrix(client, tree):
    client = _viewer(client, tree["district"])
    response = client.get(MATRIX, {"year": LAST_YEAR, "type": "assembly"})
    drill = {row.org.pk for row in response.context["rows"] if row.drill}
    assert drill == {tree["area"].pk, tree["school_a"].pk, tree["branch_a1"].pk}   # not the root, not the leaves
    html = response.content.decode()
    assert f'href="?year={LAST_YEAR}&amp;type=assembly&amp;org={tree["school_a"].pk}"' in html
    down = client.get(MATRIX, {"year": LAST_YEAR, "type": "assembly", "org": tree["school_a"].pk})
    assert down.context["matrix"].root.pk == tree["school_a"].pk
    assert [r.org.pk for r in down.context["rows"]][0] == tree["school_a"].pk


def test_the_breadcrumb_shows_the_ancestors_within_the_scope(client, tree):
    client = _viewer(client, tree["area"])
    html = client.get(MATRIX, {"org": tree["branch_a1"].pk, "year": LAST_YEAR}).content.decode()
    crumbs = html[html.index('data-testid="breadcrumb"'):html.index('data-testid="legend"')]
    assert "第一片区党委" in crumbs and "实验中学党总支" in crumbs and "实验中学第一党支部" in crumbs
    assert "测试区委教育工委" not in crumbs                                    # above the viewer's scope
    assert f'org={tree["school_a"].pk}"' in crumbs


def test_the_organisation_picker_offers_ancestors_the_chosen_one_and_its_children_only(client, tree, monkeypatch):
    from dangjian.compliance import views

    client = _viewer(client, tree["district"])
    for url in (MATRIX, FINDINGS):
        form = client.get(url, {"org": tree["school_a"].pk}).context["form"]
        offered = [pk for pk, _ in form.fields["org"].choices if pk != ""]
        assert offered == [tree[k].pk for k in ("district", "area", "school_a", "branch_a1", "branch_a2")]
    _add_branches(tree["school_a"], 4)
    monkeypatch.setattr(views, "PICKER_CHILDREN_MAX", 3)
    form = client.get(MATRIX, {"org": tree["school_a"].pk}).context["form"]
    assert len(form.fields["org"].choices) == 3 + 3                      # district, area, school_a + 3 children
    # any organisation in scope may still be chosen, however deep: it is always offered
    response = client.get(MATRIX, {"org": tree["group_a1"].pk, "year": LAST_YEAR})
    assert response.context["form"].is_valid() and response.context["matrix"].root.pk == tree["group_a1"].pk


def test_a_user_with_roles_on_two_schools_can_pick_either(client, tree):
    user = make_user(role=Role.VIEWER, org=tree["school_a"])
    from dangjian.orgs.models import RoleAssignment

    RoleAssignment.objects.create(user=user, org=tree["school_b"], role=Role.VIEWER)
    client.force_login(user)
    response = client.get(MATRIX, {"org": tree["branch_a1"].pk})
    offered = [pk for pk, _ in response.context["form"].fields["org"].choices]
    assert tree["school_b"].pk in offered and tree["school_a"].pk in offered
    assert client.get(MATRIX, {"org": tree["school_b"].pk}).context["matrix"].root.pk == tree["school_b"].pk
