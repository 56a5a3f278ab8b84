"""The cockpit (/reports/dashboard/): its figures agree with independent counts of the records, it is scoped by
role (a district role sees the district, a school secretary the school, a branch secretary the branch; nothing
outside → 404), every chart element links to a unit's dashboard or to the filtered records, and the page issues
the same number of queries for a small tree and for the whole demo district."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.compliance.matrix import build_matrix
from dangjian.dues.models import DuesBill, DuesPayment
from dangjian.life.checks import MET, MISSED
from dangjian.life.models import Meeting
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person, Status, StatusEvent
from dangjian.orgs.models import CommitteePost, Organisation, OrgKind, Role, RoleAssignment
from dangjian.pipeline import selectors as pipeline_selectors
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from dangjian.reports import dashboard
from dangjian.service.models import Activity, CareVisit
from tests.factories import make_org, make_person, make_user

pytestmark = pytest.mark.django_db

HOME = reverse("reports:dashboard")


def org_url(org):
    return reverse("reports:dashboard_org", args=[org.pk])


def subtree(root):
    return list(Organisation.objects.filter(path__startswith=root.path, dissolved_on__isnull=True).order_by("path"))


def build(root, today=None):
    return dashboard.build(root, subtree(root), today=today or timezone.localdate())


def unit(dash, org):
    return next(u for u in dash.units if u.org.pk == org.pk)


def login(client, role, org, username=None):
    client.force_login(make_user(username, role, org))
    return client


# --- units ----------------------------------------------------------------------------------------------------

def test_a_district_breaks_down_by_school_a_school_by_branch_and_a_branch_not_at_all(tree):
    assert [u.org.pk for u in build(tree["district"]).units] == [tree["school_a"].pk, tree["school_b"].pk]
    assert [u.org.pk for u in build(tree["area"]).units] == [tree["school_a"].pk, tree["school_b"].pk]
    assert [u.org.pk for u in build(tree["school_a"]).units] == [tree["branch_a1"].pk, tree["branch_a2"].pk]
    assert build(tree["branch_a1"]).units == []
    assert build(tree["school_b"]).units == []


def test_a_school_directly_under_the_district_is_a_unit_too(tree):
    direct = make_org(tree["district"], "直属中学党委", OrgKind.PARTY_COMMITTEE)
    make_org(direct, "直属中学第一党支部", OrgKind.BRANCH)
    assert [u.org.name for u in build(tree["district"]).units] == ["实验中学党总支", "城南小学党支部", "直属中学党委"]


def test_a_committee_with_too_many_schools_breaks_down_by_its_sub_organisations(tree, monkeypatch):
    direct = make_org(tree["district"], "直属中学党委", OrgKind.PARTY_COMMITTEE)
    make_person(tree["branch_a1"])
    make_person(direct)
    whole = build(tree["district"])
    monkeypatch.setattr(dashboard, "MAX_SCHOOL_UNITS", 2)   # 3 schools: more than the limit
    capped = build(tree["district"])
    assert [u.org.pk for u in capped.units] == [tree["area"].pk, direct.pk]   # the district's direct children
    assert capped.unit_label == "下级组织"
    assert unit(capped, tree["area"]).members == unit(whole, tree["school_a"]).members + unit(
        whole, tree["school_b"]).members
    assert capped.total.members == whole.total.members
    # Below the area the schools are the units again (2, within the limit).
    assert [u.org.pk for u in build(tree["area"]).units] == [tree["school_a"].pk, tree["school_b"].pk]


def test_the_ranking_is_paged_and_the_charts_draw_the_worst_units_only(client, tree, monkeypatch):
    for i in range(3):
        make_person(make_org(tree["area"], f"新区{i}小学党支部", OrgKind.BRANCH))
    monkeypatch.setattr(dashboard, "RANKING_PAGE", 2)
    monkeypatch.setattr(dashboard, "CHART_ROWS", 2)
    login(client, Role.VIEWER, tree["district"])
    first = client.get(HOME + "?sort=members")
    units = [row["figures"].org.pk for row in first.context["ranking"]]
    assert len(units) == 2 and first.context["ranking"].paginator.count == 5
    data = json.loads(re.search(r'id="dashboard-data" type="application/json">(.*?)</script>',
                                first.content.decode(), re.S).group(1))
    assert len(data["compliance"]["rows"]) == 2 and data["compliance"]["total"] == 5
    assert "图中只画出合规率最低的 2 个学校（共 5 个）" in first.content.decode()
    last = client.get(HOME + "?sort=members&page=3")
    rows = list(last.context["ranking"])
    assert len(rows) == 1 and rows[0]["figures"].org.pk not in units
    assert '<td class="text-end text-muted">5</td>' in last.content.decode()   # numbering goes on across pages
    assert "sort=members&amp;page=2" in last.content.decode()


# --- members and organisations over time ----------------------------------------------------------------------

def history(person, *steps):
    """Status events (effective date, new status) in order; the person ends in the last status."""
    previous = ""
    for day, status in steps:
        StatusEvent.objects.create(person=person, status=status, previous_status=previous, effective_on=day)
        previous = status
    Person.objects.filter(pk=person.pk).update(status=previous, status_since=steps[-1][0])


def replay(people, end):
    """Independent count: people whose latest event effective by `end` is a party status."""
    n = 0
    for person in people:
        events = [e for e in StatusEvent.objects.filter(person=person).order_by("effective_on", "id")
                  if e.effective_on <= end]
        if events and events[-1].status in PARTY_MEMBER_STATUSES:
            n += 1
    return n


def test_members_over_time_replay_the_status_history(tree):
    today = timezone.localdate()
    months = dashboard.window(today)
    old = date(2015, 3, 1)
    always = make_person(tree["branch_a1"])
    history(always, (old, Status.FULL))
    joined = make_person(tree["branch_a2"], status=Status.APPLICANT)
    history(joined, (old, Status.APPLICANT), (months[3] + timedelta(days=4), Status.PROBATIONARY),
            (months[8], Status.FULL))
    left = make_person(tree["school_b"])
    history(left, (old, Status.FULL), (months[6], Status.TRANSFERRED_OUT))
    cancelled = make_person(tree["group_a1"], status=Status.CANDIDATE)
    history(cancelled, (old, Status.CANDIDATE), (months[2], Status.PROBATIONARY), (months[5], Status.CANCELLED))
    outside = make_person(make_org(None, "别的区"))
    history(outside, (old, Status.FULL))

    dash = build(tree["district"], today)
    people = [always, joined, left, cancelled]
    assert dash.members_series == [replay(people, end) for end in dash.month_ends]
    # always: every month; joined: from month 3; left: up to month 5; cancelled: months 2–4.
    assert dash.members_series[0] == 2 and dash.members_series[3] == 4 and dash.members_series[-1] == 2
    assert build(tree["school_a"], today).members_series == [replay(people[:2] + people[3:], end)
                                                              for end in dash.month_ends]


def test_members_now_per_unit_are_the_party_members_on_the_roster(tree):
    for org, statuses in ((tree["branch_a1"], [Status.FULL, Status.FULL, Status.PROBATIONARY, Status.ACTIVIST]),
                          (tree["group_a1"], [Status.FULL]),
                          (tree["school_b"], [Status.FULL, Status.REMOVED, Status.APPLICANT])):
        for status in statuses:
            make_person(org, status=status)
    dash = build(tree["district"])
    for org in (tree["school_a"], tree["school_b"]):
        people = Person.objects.filter(org__path__startswith=org.path)
        assert unit(dash, org).members == people.filter(status__in=PARTY_MEMBER_STATUSES).count()
        assert unit(dash, org).probationary == people.filter(status=Status.PROBATIONARY).count()
    assert (dash.total.full, dash.total.probationary) == (4, 1)


def test_organisations_over_time_count_foundings_and_dissolutions(tree):
    today = timezone.localdate()
    months = dashboard.window(today)
    make_org(tree["school_a"], "新建党支部", OrgKind.BRANCH, founded_on=months[4] + timedelta(days=9))
    Organisation.objects.filter(pk=tree["branch_a2"].pk).update(dissolved_on=months[7] + timedelta(days=14))
    dash = build(tree["district"], today)
    everything = list(Organisation.objects.filter(path__startswith=tree["district"].path)
                      .exclude(pk=tree["district"].pk))
    for i, end in enumerate(dash.month_ends):
        alive = [o for o in everything if o.founded_on <= end and (o.dissolved_on is None or o.dissolved_on > end)]
        for kind, series in dash.org_series.items():
            assert series[i] == sum(1 for o in alive if o.kind == kind)
    branches = dash.org_series[OrgKind.BRANCH]
    assert branches[0] == 3 and branches[5] == 4 and branches[-1] == 3
    assert dash.orgs_now == 6   # area, school_a, branch_a1, the new branch, group_a1, school_b
    assert set(dash.org_series) == {OrgKind.AREA_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.GROUP}


# --- compliance -------------------------------------------------------------------------------------------------

def with_committee(branch):
    for i in range(3):
        CommitteePost.objects.create(org=branch, person=make_person(branch), started_on=date(2015, 1, 1),
                                     post=CommitteePost.Post.SECRETARY if i == 0 else CommitteePost.Post.MEMBER)
    return branch


def held(org, kind, day):
    return Meeting.objects.create(org=org, type=kind, status=Meeting.Status.HELD, theme="会议", date=day)


@pytest.fixture
def meetings(tree):
    """支委会 in every other month of this year so far in branch_a1; 主题党日 every month in school_b."""
    today = timezone.localdate()
    with_committee(tree["branch_a1"])
    for month in range(1, today.month + 1, 2):
        held(tree["branch_a1"], "committee", date(today.year, month, 1))
    for month in range(1, today.month + 1):
        held(tree["school_b"], "theme_day", date(today.year, month, 1))
    held(tree["group_a1"], "group", date(today.year, 1, 1))
    return today


def test_compliance_per_unit_is_the_compliance_matrix_of_that_unit(tree, meetings):
    today = meetings
    dash = build(tree["district"], today)
    for org in (tree["school_a"], tree["school_b"]):
        matrix = build_matrix(subtree(org), org, today.year, today)
        assert (unit(dash, org).met, unit(dash, org).missed) == (matrix.met, matrix.missed)
    whole = build_matrix(subtree(tree["district"]), tree["district"], today.year, today)
    assert (dash.total.met, dash.total.missed) == (whole.met, whole.missed)
    assert dash.total.met > 0


def test_a_branch_dashboard_judges_each_meeting_type_and_month_as_the_single_type_matrix(tree, meetings):
    today = meetings
    branch = tree["branch_a1"]
    dash = build(branch, today)
    orgs = subtree(branch)
    for kind in ("committee", "assembly", "theme_day", "group"):
        met, missed, _ = dash.total.by_type[kind]
        matrix = build_matrix(orgs, branch, today.year, today, kind)
        expected_met, expected_missed = [0] * 12, [0] * 12
        for row in matrix.rows:
            month = 0
            for cell in row.cells:
                for i in range(month, month + cell.colspan):
                    expected_met[i] += cell.status == MET
                    expected_missed[i] += cell.status == MISSED
                month += cell.colspan
        assert (met, missed) == (expected_met, expected_missed), kind
    data = dashboard.chart_data(dash)["compliance"]
    committee = next(y for y, row in enumerate(data["rows"]) if row["name"] == "支委会")
    january = next(c for c in data["cells"] if c["value"][:2] == [0, committee])
    if today.month > 1:   # January is over: its committee meeting was held
        assert january["value"][2] == 100.0
        assert january["url"] == (f"{reverse('life:meetings')}?org={branch.pk}&type=committee"
                                  f"&start={today.year}-01-01&end={today.year}-01-31")


def test_compliance_heatmap_lists_units_worst_first_and_links_to_their_dashboards(tree, meetings):
    today = meetings
    dash = build(tree["district"], today)
    data = dashboard.chart_data(dash)["compliance"]
    rates = [row["rate"] for row in data["rows"]]
    known = [r for r in rates if r is not None]
    assert known == sorted(known) and rates[len(known):] == [None] * (len(rates) - len(known))
    names = {row["name"]: y for y, row in enumerate(data["rows"])}
    assert [row["url"] for row in data["rows"]] == [org_url(tree["school_a" if row["name"] == "实验中学党总支"
                                                            else "school_b"]) for row in data["rows"]]
    for cell in data["cells"]:
        org = tree["school_a"] if cell["value"][1] == names["实验中学党总支"] else tree["school_b"]
        assert "url" not in cell
        u = unit(dash, org)
        assert cell["value"][2] == dashboard.percent(u.month_met[cell["value"][0]],
                                                     u.month_met[cell["value"][0]] + u.month_missed[cell["value"][0]])
    assert len(data["months"]) == today.month


# --- dues -------------------------------------------------------------------------------------------------------

def bill(person, month, org, paid=False):
    payment = None
    if paid:
        payment = DuesPayment.objects.create(person=person, org=org, paid_on=month, amount=Decimal("10.00"))
    return DuesBill.objects.create(person=person, month=month, org=org, category="employed",
                                   standard_amount=Decimal("10.00"), amount=Decimal("10.00"), payment=payment)


def test_dues_collection_rate_by_month_and_per_unit_counts_paid_bills(tree):
    today = timezone.localdate()
    months = dashboard.window(today)
    a, b, c = make_person(tree["branch_a1"]), make_person(tree["branch_a2"]), make_person(tree["school_b"])
    for i, month in enumerate(months):
        bill(a, month, tree["branch_a1"], paid=True)
        bill(b, month, tree["branch_a2"], paid=i % 3 == 0)
        bill(c, month, tree["school_b"], paid=i % 2 == 0)
    bill(a, months[0] - timedelta(days=40), tree["branch_a1"])   # before the window
    dash = build(tree["district"], today)
    bills = DuesBill.objects.all()
    assert dash.dues_series == [(bills.filter(month=m).count(), bills.filter(month=m, payment__isnull=False).count())
                                for m in months]
    this_year = bills.filter(month__year=today.year)
    for org in (tree["school_a"], tree["school_b"]):
        mine = this_year.filter(org__path__startswith=org.path)
        u = unit(dash, org)
        assert (u.bills, u.paid_bills) == (mine.count(), mine.filter(payment__isnull=False).count())
        assert u.dues == dashboard.percent(u.paid_bills, u.bills)
    points = dashboard.chart_data(dash)["dues"]["points"]
    assert points[-1]["url"] == f"{reverse('dues:home')}?org={tree['district'].pk}&month={months[-1]:%Y-%m}"
    assert points[0]["value"] == dashboard.percent(dash.dues_series[0][1], dash.dues_series[0][0])


# --- pipeline ---------------------------------------------------------------------------------------------------

def open_file(org, steps, state=DevelopmentFile.State.OPEN):
    person = make_person(org, status=Status.APPLICANT)
    file = DevelopmentFile.objects.create(person=person, org=org, applied_on=date(2024, 1, 10), state=state)
    for n in steps:
        DevelopmentStep.objects.create(file=file, number=n, date=date(2024, 1, 10) + timedelta(days=n))
    return file


def test_pipeline_stages_are_the_boards_columns(tree):
    open_file(tree["branch_a1"], [1, 2])
    open_file(tree["branch_a1"], [1, 2, 3, 4])
    open_file(tree["branch_a2"], list(range(1, 8)))
    open_file(tree["branch_a2"], list(range(1, 18)))
    open_file(tree["school_b"], [1])
    open_file(tree["school_b"], list(range(1, 26)), state=DevelopmentFile.State.DONE)
    today = timezone.localdate()
    dash = build(tree["district"], today)
    for org in (tree["school_a"], tree["school_b"]):
        board = pipeline_selectors.board(DevelopmentFile.objects.filter(org__path__startswith=org.path), today)
        assert unit(dash, org).stages == {key: len(files) for key, _, files in board}
    assert dash.total.pipeline == 5
    data = dashboard.chart_data(dash)["pipeline"]
    assert data["rows"] == ["实验中学党总支", "城南小学党支部"]   # most open files first
    assert data["urls"] == [org_url(tree["school_a"]), org_url(tree["school_b"])]
    assert [s["data"] for s in data["series"]] == [[1, 1], [1, 0], [1, 0], [1, 0]]
    branch = dashboard.chart_data(build(tree["branch_a2"], today))["pipeline"]
    assert [s["value"] for s in branch["stages"]] == [0, 0, 1, 1]
    assert branch["stages"][0]["url"] == f"{reverse('pipeline:board')}?org={tree['branch_a2'].pk}"


# --- service ----------------------------------------------------------------------------------------------------

def test_service_work_by_type_and_per_unit_over_the_window(tree):
    today = timezone.localdate()
    start = dashboard.window(today)[0]
    for org, kind, day in ((tree["branch_a1"], "volunteer", today), (tree["branch_a1"], "volunteer", start),
                           (tree["group_a1"], "red", today), (tree["school_b"], "volunteer", today),
                           (tree["school_b"], "red", start - timedelta(days=1))):
        Activity.objects.create(org=org, kind=kind, title="活动", date=day, extra_participants=3)
    CareVisit.objects.create(org=tree["school_b"], date=today, recipient_kind="veteran", recipients=2)
    dash = build(tree["district"], today)
    assert unit(dash, tree["school_a"]).activities == 3
    assert unit(dash, tree["school_b"]).activities == 1
    items = {i["name"]: i for i in dashboard.chart_data(dash)["service"]["items"]}
    assert items["志愿服务"]["value"] == 3 and items["志愿服务"]["person_times"] == 9
    assert items["红色实践"]["value"] == 1
    assert items["慰问"]["value"] == 1 and items["家访"]["value"] == 0
    assert items["志愿服务"]["url"] == (f"{reverse('service:home')}?org={tree['district'].pk}&start={start}"
                                    f"&end={today}&kind=volunteer")
    assert items["慰问"]["url"].startswith(f"{reverse('service:care')}?org={tree['district'].pk}&")


# --- ranking ----------------------------------------------------------------------------------------------------

def test_ranking_sorts_by_the_chosen_figure_with_units_without_a_value_last(tree):
    make_person(tree["school_b"])
    make_person(tree["school_b"])
    make_person(tree["branch_a1"])
    dash = build(tree["district"])
    assert [u.org.pk for u in dash.ranked("members")] == [tree["school_b"].pk, tree["school_a"].pk]
    assert [u.org.pk for u in dash.ranked("dues")] == [tree["school_a"].pk, tree["school_b"].pk]   # path order
    assert [u.org.pk for u in dash.ranked("nonsense")] == [u.org.pk for u in dash.ranked("compliance")]


# --- the page: scope, links, content ---------------------------------------------------------------------------

def test_each_role_opens_the_dashboard_of_its_own_organisation(client, tree):
    for role, org in ((Role.VIEWER, tree["district"]), (Role.DISCIPLINE, tree["area"]),
                      (Role.SECRETARY, tree["school_a"]), (Role.SECRETARY, tree["branch_a1"]),
                      (Role.ORG_ADMIN, tree["school_b"])):
        login(client, role, org)
        response = client.get(HOME)
        assert response.status_code == 200
        assert response.context["dash"].root.pk == org.pk
        assert f'data-testid="dashboard-root">{org.name}<' in response.content.decode()


def test_a_school_secretary_sees_the_school_and_its_branches_and_nothing_outside(client, tree):
    login(client, Role.SECRETARY, tree["school_a"])
    assert client.get(org_url(tree["branch_a2"])).status_code == 200
    for outside in (tree["school_b"], tree["area"], tree["district"]):
        assert client.get(org_url(outside)).status_code == 404
    assert client.get(reverse("reports:dashboard_org", args=[999999])).status_code == 404


def test_a_branch_secretary_sees_only_the_branch(client, tree):
    login(client, Role.SECRETARY, tree["branch_a1"])
    assert client.get(org_url(tree["branch_a1"])).status_code == 200
    assert client.get(org_url(tree["group_a1"])).status_code == 200
    for outside in (tree["branch_a2"], tree["school_a"], tree["school_b"]):
        assert client.get(org_url(outside)).status_code == 404


def test_members_and_administrators_have_no_dashboard_and_anonymous_users_must_log_in(client, tree):
    login(client, Role.MEMBER, tree["branch_a1"])
    assert client.get(HOME).status_code == 403
    assert client.get(org_url(tree["branch_a1"])).status_code == 404
    client.force_login(make_user(admin_role="system"))
    assert client.get(HOME).status_code == 403
    client.logout()
    response = client.get(HOME)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_dissolved_organisation_has_no_dashboard(client, tree):
    Organisation.objects.filter(pk=tree["branch_a2"].pk).update(dissolved_on=date(2020, 1, 1))
    login(client, Role.VIEWER, tree["district"])
    assert client.get(org_url(tree["branch_a2"])).status_code == 404


def test_breadcrumbs_show_only_the_ancestors_in_the_users_scope(client, tree):
    login(client, Role.VIEWER, tree["district"])
    html = client.get(org_url(tree["branch_a1"])).content.decode()
    for org in (tree["district"], tree["area"], tree["school_a"]):
        assert f'href="{org_url(org)}"' in html
    login(client, Role.SECRETARY, tree["school_a"])
    response = client.get(org_url(tree["branch_a1"]))
    assert [o.pk for o in response.context["ancestors"]] == [tree["school_a"].pk]


def test_a_user_with_several_organisations_can_switch_between_them(client, tree):
    user = make_user(None, Role.SECRETARY, tree["branch_a1"])
    RoleAssignment.objects.create(user=user, org=tree["school_b"], role=Role.VIEWER)
    client.force_login(user)
    response = client.get(HOME)
    assert [o.pk for o in response.context["roots"]] == [tree["branch_a1"].pk, tree["school_b"].pk]
    assert client.get(org_url(tree["school_b"])).status_code == 200
    assert client.get(org_url(tree["branch_a2"])).status_code == 404


def test_the_page_links_every_figure_to_the_filtered_records(client, tree, meetings):
    make_person(tree["branch_a1"])
    login(client, Role.VIEWER, tree["district"])
    response = client.get(HOME, {"sort": "members"})
    html = response.content.decode()
    today, district, school = meetings, tree["district"], tree["school_a"]
    for href in (f"{reverse('members:roster')}?org={district.pk}&amp;status=members",
                 f"{reverse('compliance:matrix')}?org={district.pk}&amp;year={today.year}",
                 f"{reverse('dues:publication')}?org={district.pk}&amp;year={today.year}",
                 f"{reverse('pipeline:board')}?org={district.pk}",
                 f"{reverse('members:roster')}?org={school.pk}&amp;status=members",
                 f"{reverse('pipeline:board')}?org={school.pk}",
                 org_url(school)):
        assert f'href="{href}"' in html, href
    ranking = re.findall(r'<tr data-org="(\d+)"', html)
    assert ranking == [str(tree["school_a"].pk), str(tree["school_b"].pk)]


def test_chart_data_is_embedded_as_json_and_no_script_runs_inline(client, tree):
    login(client, Role.VIEWER, tree["district"])
    html = client.get(HOME).content.decode()
    block = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    assert data["root"] == {"id": tree["district"].pk, "name": tree["district"].name}
    assert set(data) >= {"members", "compliance", "pipeline", "dues", "service"}
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="' in tag or 'type="application/json"' in tag, tag
    assert "/static/vendor/echarts/echarts.min.js" in html and "/static/reports/dashboard.js" in html


def test_an_empty_district_renders_with_empty_figures(client):
    district = make_org(None, "空的教育工委")
    login(client, Role.VIEWER, district)
    response = client.get(HOME)
    assert response.status_code == 200
    assert response.context["total"].members == 0 and response.context["dash"].units == []
    assert 'data-testid="ranking"' not in response.content.decode()


# --- query count ------------------------------------------------------------------------------------------------

# session, user, roles (scope), root organisations, subtree + ancestors; members over time, organisations over
# time, members now; the matrix (overrides, committees, meeting grid); dues by month, publication (2); pipeline;
# service summary (8) and activities per unit; the session save (savepoint, update, release). An organisation's
# own dashboard fetches that organisation first (one more).
DASHBOARD_QUERIES = 27
ORG_DASHBOARD_QUERIES = DASHBOARD_QUERIES + 1


def test_the_dashboard_of_a_small_tree_issues_a_fixed_number_of_queries(client, tree, meetings,
                                                                       django_assert_num_queries):
    open_file(tree["branch_a1"], [1, 2, 3])
    login(client, Role.VIEWER, tree["district"])
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(HOME).status_code == 200
    for org in (tree["district"], tree["school_a"], tree["branch_a1"]):
        with django_assert_num_queries(ORG_DASHBOARD_QUERIES):
            assert client.get(org_url(org)).status_code == 200


def test_the_dashboard_of_the_whole_demo_district_issues_the_same_number_of_queries(client,
                                                                                   django_assert_num_queries):
    from dangjian.core.registry import extend_demo
    from dangjian.demo.builder import build as build_demo
    from dangjian.demo.plans import DEMO_REGION_CODE, DEMO_SEED, demo_plan

    result = build_demo(demo_plan(), seed=DEMO_SEED, region_code=DEMO_REGION_CODE)
    extend_demo(result, seed=DEMO_SEED, years=1)
    login(client, Role.VIEWER, result.root)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(HOME)
    dash = response.context["dash"]
    assert len(dash.units) > 20 and dash.total.members > 500
    assert dash.total.met > 0 and dash.total.bills > 0 and dash.total.pipeline > 0
    assert dash.total.members == Person.objects.filter(status__in=PARTY_MEMBER_STATUSES).count()
    school = dash.units[0].org
    branch = next(o for o in Organisation.objects.filter(path__startswith=school.path, kind=OrgKind.BRANCH))
    for org in (school, branch):
        with django_assert_num_queries(ORG_DASHBOARD_QUERIES):
            assert client.get(org_url(org)).status_code == 200


def test_axis_labels_drop_the_prefix_all_rows_share():
    assert dashboard.short_names(["阳光中学初一年级党支部", "阳光中学初二年级党支部"]) == ["初一年级党支部", "初二年级党支部"]
    assert dashboard.short_names(["东关镇中学党支部", "西山镇中学党支部"]) == ["东关镇中学党支部", "西山镇中学党支部"]
    assert dashboard.short_names(["实验中学党总支"]) == ["实验中学党总支"]
    assert dashboard.short_names(["一中党支部", "一中党支部二"]) == ["一中党支部", "一中党支部二"]   # nothing left
