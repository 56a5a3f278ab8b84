"""Findings over scopes too large to check on every visit: the nightly run is stored and the 工作台, the 问题清单,
the organisation page and the API read it (compliance.selectors.findings_in); small scopes stay live."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.compliance import services
from dangjian.compliance.engine import findings_for
from dangjian.compliance.models import FindingRun, StoredFinding
from dangjian.compliance.selectors import _groups
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Organisation, OrgKind, Role
from tests.factories import make_org, make_person, make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(settings):
    """The district's 7 organisations count as a large scope; one school (3 organisations + a 党小组) does not."""
    settings.FINDINGS_LIVE_MAX_ORGS = 4


def _live(root):
    return findings_for(list(Organisation.objects.subtree_of(root).active()))


def _populate(tree):
    for org in (tree["school_b"], tree["branch_a1"], tree["branch_a2"]):
        make_person(org)
    make_person(tree["branch_a1"], status="probationary")


def _district_user(client, tree):
    user = make_user("district_admin", Role.ORG_ADMIN, tree["district"])
    client.force_login(user)
    return user


def test_a_small_scope_is_checked_live_and_a_fixed_problem_goes_at_once(client, tree, large):
    make_person(tree["school_b"])
    services.findings_store(on=timezone.localdate())   # a stored run exists, but a school's scope is small
    client.force_login(make_user("school_admin", Role.ORG_ADMIN, tree["school_b"]))
    before = client.get("/").context
    assert before["findings"].live and before["findings"].run is None
    assert "org.branch_min_full" in {g["rule"].id for g in before["finding_groups"]}   # 1 full member, fewer than 3
    make_person(tree["school_b"])
    make_person(tree["school_b"])
    after = client.get("/").context
    assert "org.branch_min_full" not in {g["rule"].id for g in after["finding_groups"]}


def test_a_large_scope_without_a_stored_run_says_so(client, tree, large):
    _populate(tree)
    _district_user(client, tree)
    response = client.get("/")
    findings = response.context["findings"]
    assert not findings.live and findings.missing
    assert response.context["findings_total"] == 0
    body = response.content.decode()
    assert "目前还没有检查结果" in body and "dangjian findings --store" in body


def test_the_home_page_of_a_large_scope_shows_the_stored_run_as_the_engine_would(client, tree, large):
    _populate(tree)
    run = services.findings_store(on=timezone.localdate())
    _district_user(client, tree)
    response = client.get("/")
    assert response.context["findings"].run == run
    expected = _groups(_live(tree["district"]))
    assert response.context["finding_groups"] == expected
    assert response.context["findings_total"] == sum(g["count"] for g in expected) == run.finding_count
    body = response.content.decode()
    assert "每日检查结果" in body and f"共检查 {run.org_count} 个组织" in body


def test_the_stored_run_is_the_day_it_was_taken_until_the_next_one(client, tree, large):
    _populate(tree)
    services.findings_store(on=timezone.localdate())
    _district_user(client, tree)
    total = client.get("/").context["findings_total"]
    make_person(tree["school_b"])   # 城南小学 now has 2 full members: still a problem, but a new record
    make_org(tree["area"], "新建小学党支部", OrgKind.BRANCH)   # a branch without members: new findings
    assert client.get("/").context["findings_total"] == total   # the page reads the run, not the records
    services.findings_store(on=timezone.localdate())
    assert client.get("/").context["findings_total"] == len(_live(tree["district"])) != total


def test_the_findings_list_pages_filters_and_counts_the_stored_run_like_the_live_list(client, tree, large, settings):
    settings.PAGE_SIZE = 5
    _populate(tree)
    services.findings_store(on=timezone.localdate())
    live = _live(tree["district"])
    _district_user(client, tree)
    url = f"/rules/findings/?org={tree['district'].pk}"
    first = client.get(url)
    assert not first.context["findings"].live
    assert first.context["total"] == len(live)
    assert [f.subject for f in first.context["page"]] == [f.subject for f in live[:5]]
    second = client.get(url + "&page=2")
    assert [(f.org_name, f.subject) for f in second.context["page"]] == [(f.org_name, f.subject) for f in live[5:10]]
    counts = first.context["counts"]
    assert counts == {key: sum(1 for f in live if f.severity == key) for key in ("overdue", "soon", "info")}
    rule = live[-1].rule_id
    by_rule = client.get(url + f"&rule={rule}&severity={live[-1].severity}")
    wanted = [f for f in live if f.rule_id == rule and f.severity == live[-1].severity]
    assert by_rule.context["total"] == len(wanted)
    assert [f.subject for f in by_rule.context["page"]] == [f.subject for f in wanted[:5]]
    assert "每日检查结果" in first.content.decode()


def test_a_small_subtree_of_a_large_scope_is_still_checked_live(client, tree, large):
    _populate(tree)
    services.findings_store(on=timezone.localdate())
    _district_user(client, tree)
    response = client.get(f"/rules/findings/?org={tree['school_b'].pk}")
    assert response.context["findings"].live
    assert response.context["total"] == len(_live(tree["school_b"]))


def test_a_past_date_over_a_large_scope_is_refused_with_the_reason(client, tree, large):
    _populate(tree)
    today = timezone.localdate()
    services.findings_store(on=today)
    _district_user(client, tree)
    url = f"/rules/findings/?org={tree['district'].pk}"
    response = client.get(url + f"&on={today - timedelta(days=30):%Y-%m-%d}")
    assert response.status_code == 200
    assert "不能在页面上按任意日期即时检查" in response.content.decode()
    assert response.context["findings"].run.on == today   # the stored run is still shown
    same_day = client.get(url + f"&on={today:%Y-%m-%d}")
    assert not same_day.context["form"].errors and same_day.context["total"] == len(_live(tree["district"]))


def test_stored_pages_take_the_same_queries_however_many_findings(client, tree, large):
    _district_user(client, tree)
    services.findings_store(on=timezone.localdate())
    urls = ["/", f"/rules/findings/?org={tree['district'].pk}", f"/orgs/{tree['district'].pk}/"]
    for url in urls:
        client.get(url)
    small = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        small[url] = len(queries)
    for i in range(6):
        branch = make_org(tree["area"], f"学校{i}党支部", OrgKind.BRANCH)
        make_person(branch)
    run = services.findings_store(on=timezone.localdate())
    assert run.finding_count > 30
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        assert len(queries) == small[url], url


def test_storing_keeps_the_new_run_and_the_one_before_and_is_audited(tree):
    _populate(tree)
    first = services.findings_store(on=date(2026, 10, 1))
    second = services.findings_store(on=date(2026, 10, 2))
    third = services.findings_store(on=date(2026, 10, 3))
    assert list(FindingRun.objects.order_by("pk")) == [second, third]
    assert not StoredFinding.objects.filter(run_id=first.pk).exists()
    assert third.findings.count() == third.finding_count == len(findings_for(list(Organisation.objects.active()),
                                                                            on=date(2026, 10, 3)))
    assert list(third.findings.order_by("position").values_list("position", flat=True)) == list(
        range(third.finding_count))
    entry = AuditLog.objects.filter(object_type="compliance.findingrun", object_id=str(third.pk)).get()
    assert entry.changes["findings"] == third.finding_count and entry.changes["replaced_runs"] == 1


def test_the_organisation_page_of_a_large_subtree_reads_the_run(client, tree, large):
    _populate(tree)
    run = services.findings_store(on=timezone.localdate())
    _district_user(client, tree)
    response = client.get(f"/orgs/{tree['district'].pk}/")
    assert response.context["findings"].run == run
    assert response.context["finding_groups"] == _groups(_live(tree["district"]))
    assert response.context["findings_total"] == run.finding_count


def test_the_api_says_whether_findings_are_live_and_refuses_another_date_over_a_large_scope(client, tree, large):
    _populate(tree)
    today = timezone.localdate()
    services.findings_store(on=today)
    token = token_for(make_user("district_viewer", Role.VIEWER, tree["district"]))
    body = call(client, "get", "/api/findings", token).json()
    assert body["live"] is False and body["on"] == today.isoformat()
    assert body["count"] == len(_live(tree["district"]))
    yesterday = f"{today - timedelta(days=1):%Y-%m-%d}"
    refused = call(client, "get", "/api/findings", token, params={"on": yesterday})
    assert refused.status_code == 422
    assert "不能在页面上按任意日期即时检查" in str(refused.json())
    small = call(client, "get", "/api/findings", token, params={"org": tree["school_b"].pk, "on": yesterday})
    assert small.status_code == 200 and small.json()["live"] is True


def test_the_findings_command_stores_a_run(tree, capsys):
    _populate(tree)
    call_command("findings", "--store", "--on", "2026-11-02")
    run = FindingRun.objects.get()
    assert run.on == date(2026, 11, 2) and run.org_count == Organisation.objects.active().count()
    assert f"保存 {run.finding_count} 条问题" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--store", "--org", "1"], "不能同时指定 --org"),
    ([], "请用 --org 指定组织编号"),
    (["--store", "--on", "2026-13-01"], "YYYY-MM-DD"),
])
def test_the_findings_command_refuses_unclear_arguments(tree, args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("findings", *args)
    assert FindingRun.objects.count() == 0
