"""The organisation set-up findings (DOMAIN §1): branch size, committee, and rule overrides
inherited down the tree."""

from datetime import date

import pytest

from dangjian.accounts.models import AdminRole
from dangjian.compliance.engine import findings_for
from dangjian.compliance.rulebook import Severity, rules_by_id
from dangjian.compliance.services import rule_override_set
from dangjian.members.models import Status
from dangjian.orgs.models import CommitteePost, Organisation, OrgKind
from tests.factories import make_org, make_person, make_user

ON = date(2025, 6, 30)
MIN_FULL = "org.branch_min_full"
COMMITTEE_REQUIRED = "org.branch_committee_required"
MAX_MEMBERS = "org.branch_max_members"
COMMITTEE_SIZE = "org.committee_size"

pytestmark = pytest.mark.django_db


def staff(org, full=0, probationary=0, **status_counts):
    """Put people on a branch's roster: `full` 正式党员, `probationary` 预备党员, and any other statuses."""
    people = [make_person(org, status=Status.FULL) for _ in range(full)]
    people += [make_person(org, status=Status.PROBATIONARY) for _ in range(probationary)]
    for status, n in status_counts.items():
        people += [make_person(org, status=status) for _ in range(n)]
    return people


def seat(org, people, started_on=date(2024, 1, 1), ended_on=None):
    """Committee seats held by these people (the first is 书记, the others 委员)."""
    for i, person in enumerate(people):
        CommitteePost.objects.create(org=org, person=person, started_on=started_on, ended_on=ended_on,
                                     post=CommitteePost.Post.SECRETARY if i == 0 else CommitteePost.Post.MEMBER)


def findings(*orgs):
    return findings_for([Organisation.objects.get(pk=o.pk) for o in orgs], on=ON, only=["orgs"])


def rule_ids(org, *orgs):
    return {f.rule_id for f in findings(org, *orgs) if f.org_id == org.pk}


@pytest.fixture
def sysadmin():
    return make_user(admin_role=AdminRole.SYSTEM)


@pytest.fixture
def branch(tree):
    return tree["branch_a1"]


# --- 支条 第四条: at least 3 正式党员 ---------------------------------------------------------------

def test_branch_with_two_full_members_is_flagged_however_many_probationary(branch):
    staff(branch, full=2, probationary=4)
    assert MIN_FULL in rule_ids(branch)


def test_branch_with_three_full_members_is_not_flagged(branch):
    staff(branch, full=3)
    assert MIN_FULL not in rule_ids(branch)


def test_probationary_and_non_members_do_not_count_towards_the_minimum(branch):
    staff(branch, full=2, probationary=1, activist=3, candidate=2)
    [finding] = [f for f in findings(branch) if f.rule_id == MIN_FULL]
    assert "正式党员2人" in finding.message
    assert finding.severity == Severity.ERROR


def test_people_who_left_the_roster_do_not_count(branch):
    staff(branch, full=2, transferred_out=3, deceased=1)
    assert MIN_FULL in rule_ids(branch)


# --- 支条 第六章: committee at ≥7 正式党员 -------------------------------------------------------------

def test_branch_with_seven_full_members_and_no_committee_is_flagged(branch):
    staff(branch, full=7)
    assert COMMITTEE_REQUIRED in rule_ids(branch)


def test_branch_with_six_full_members_needs_no_committee(branch):
    staff(branch, full=6, probationary=3)
    ids = rule_ids(branch)
    assert COMMITTEE_REQUIRED not in ids
    assert COMMITTEE_SIZE not in ids


def test_branch_with_seven_full_members_and_a_three_person_committee_is_not_flagged(branch):
    people = staff(branch, full=7)
    seat(branch, people[:3])
    assert rule_ids(branch) == set()


def test_seats_ended_before_the_check_date_do_not_count(branch):
    people = staff(branch, full=7)
    seat(branch, people[:3], ended_on=date(2025, 1, 31))
    assert COMMITTEE_REQUIRED in rule_ids(branch)


def test_seats_starting_after_the_check_date_do_not_count(branch):
    people = staff(branch, full=7)
    seat(branch, people[:3], started_on=date(2025, 7, 1))
    assert COMMITTEE_REQUIRED in rule_ids(branch)


def test_a_group_leader_is_not_a_committee_seat(tree, branch):
    people = staff(branch, full=7)
    CommitteePost.objects.create(org=tree["group_a1"], person=people[0], post=CommitteePost.Post.GROUP_LEADER,
                                 started_on=date(2024, 1, 1))
    assert COMMITTEE_REQUIRED in rule_ids(branch)


# --- 支条 第四条: generally ≤50 members (warning) ------------------------------------------------------

def test_branch_with_fifty_one_members_gets_a_warning(branch):
    people = staff(branch, full=40, probationary=11)
    seat(branch, people[:5])
    [finding] = [f for f in findings(branch) if f.rule_id == MAX_MEMBERS]
    assert finding.severity == Severity.SOON == "soon"
    assert "党员51人" in finding.message


def test_branch_with_fifty_members_gets_no_warning(branch):
    people = staff(branch, full=40, probationary=10, activist=5)
    seat(branch, people[:5])
    assert rule_ids(branch) == set()


# --- 支条 第六章: committee of 3 to 7 seats ----------------------------------------------------------

@pytest.mark.parametrize("seats, flagged", [(1, True), (2, True), (3, False), (7, False), (8, True)])
def test_committee_size_outside_three_to_seven_is_flagged(branch, seats, flagged):
    people = staff(branch, full=9)
    seat(branch, people[:seats])
    assert (COMMITTEE_SIZE in rule_ids(branch)) is flagged


def test_committee_size_is_not_checked_below_seven_full_members(branch):
    people = staff(branch, full=6, probationary=2)
    seat(branch, people[:2])  # 书记 and one more: fine for a branch without a committee
    assert rule_ids(branch) == set()


def test_a_person_holding_two_posts_is_one_seat(branch):
    people = staff(branch, full=7)
    seat(branch, people[:2])
    CommitteePost.objects.create(org=branch, person=people[1], post=CommitteePost.Post.PROPAGANDA,
                                 started_on=date(2024, 1, 1))
    [finding] = [f for f in findings(branch) if f.rule_id == COMMITTEE_SIZE]
    assert "现有2人" in finding.message


# --- which organisations are checked ----------------------------------------------------------------

def test_dissolved_branches_are_not_checked(tree):
    gone = make_org(tree["school_a"], "已撤销支部", OrgKind.BRANCH)
    staff(gone, full=1)
    Organisation.objects.filter(pk=gone.pk).update(dissolved_on=date(2024, 12, 31))
    assert findings(gone) == []


def test_general_branches_and_groups_are_not_checked(tree):
    staff(tree["school_a"], full=1)
    staff(tree["group_a1"], full=1)
    assert findings(tree["school_a"], tree["group_a1"], tree["area"], tree["district"]) == []


def test_joint_branches_are_checked(tree):
    joint = make_org(tree["area"], "联合党支部", OrgKind.JOINT_BRANCH)
    staff(joint, full=2)
    assert MIN_FULL in rule_ids(joint)


def test_an_empty_branch_is_flagged_and_nothing_crashes(branch):
    assert rule_ids(branch) == {MIN_FULL}


def test_every_finding_names_its_rule_and_source(tree):
    small, large = tree["branch_a1"], tree["branch_a2"]
    staff(small, full=2)
    people = staff(large, full=45, probationary=6)
    seat(large, people[:8])
    result = findings(small, large)
    assert {f.rule_id for f in result} == {MIN_FULL, MAX_MEMBERS, COMMITTEE_SIZE}
    for f in result:
        assert f.rule_id in rules_by_id()
        assert f.source == rules_by_id()[f.rule_id].source
        assert f.source.startswith("支条 第")
        assert f.org_name and f.message
    assert {f.source for f in result} == {"支条 第四条", "支条 第六章"}


def test_errors_come_before_warnings(tree):
    staff(tree["branch_a2"], full=2)
    people = staff(tree["branch_a1"], full=51)
    seat(tree["branch_a1"], people[:3])
    result = findings(tree["branch_a1"], tree["branch_a2"])
    assert [f.severity for f in result] == [Severity.ERROR, Severity.WARNING]


# --- overrides inherited down the tree ---------------------------------------------------------------

def test_override_on_general_branch_applies_to_its_branches_only(tree, sysadmin):
    for org in (tree["branch_a1"], tree["branch_a2"], tree["school_b"]):
        staff(org, full=4)
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                      params={"min_full": 5}, reason="本校规定")
    result = findings(tree["branch_a1"], tree["branch_a2"], tree["school_b"])
    assert {(f.org_id, f.rule_id) for f in result} == {(tree["branch_a1"].pk, MIN_FULL),
                                                        (tree["branch_a2"].pk, MIN_FULL)}
    assert all("少于5人" in f.message for f in result)


def test_rule_disabled_on_general_branch_is_not_checked_in_its_branches(tree, sysadmin):
    staff(tree["branch_a1"], full=2)
    staff(tree["school_b"], full=2)
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=False,
                      params={}, reason="联合支部过渡期")
    assert MIN_FULL not in rule_ids(tree["branch_a1"], tree["school_b"])
    assert MIN_FULL in rule_ids(tree["school_b"], tree["branch_a1"])


def test_override_high_up_the_tree_reaches_every_branch_below(tree, sysadmin):
    people = staff(tree["school_b"], full=7)
    seat(tree["school_b"], people[:3])
    rule_override_set(actor=sysadmin, org=tree["district"], rule_id=COMMITTEE_SIZE, enabled=True,
                      params={"min_size": 5, "max_size": 7}, reason="区委教育工委要求")
    assert COMMITTEE_SIZE in rule_ids(tree["school_b"])


def test_nearer_override_on_the_branch_wins(tree, sysadmin):
    staff(tree["branch_a1"], full=4)
    staff(tree["branch_a2"], full=4)
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                      params={"min_full": 5}, reason="本校规定")
    rule_override_set(actor=sysadmin, org=tree["branch_a1"], rule_id=MIN_FULL, enabled=True,
                      params={"min_full": 3}, reason="经批准按全国标准")
    assert MIN_FULL not in rule_ids(tree["branch_a1"], tree["branch_a2"])
    assert MIN_FULL in rule_ids(tree["branch_a2"], tree["branch_a1"])


def test_nearer_override_can_switch_a_disabled_rule_back_on(tree, sysadmin):
    staff(tree["branch_a1"], full=2)
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=False,
                      params={}, reason="过渡期")
    rule_override_set(actor=sysadmin, org=tree["branch_a1"], rule_id=MIN_FULL, enabled=True,
                      params={"min_full": 3}, reason="本支部恢复检查")
    assert MIN_FULL in rule_ids(tree["branch_a1"])


def test_threshold_override_moves_the_committee_checks_together(branch, sysadmin):
    people = staff(branch, full=5)
    rule_override_set(actor=sysadmin, org=branch, rule_id=COMMITTEE_REQUIRED, enabled=True,
                      params={"threshold": 5}, reason="本地要求")
    assert COMMITTEE_REQUIRED in rule_ids(branch)
    seat(branch, people[:2])
    assert rule_ids(branch) == {COMMITTEE_SIZE}


# --- fixed number of queries -----------------------------------------------------------------------

def _branches(parent, n):
    branches = []
    for i in range(n):
        b = make_org(parent, f"支部{i}", OrgKind.BRANCH)
        people = staff(b, full=2 + i % 8)
        seat(b, people[: i % 4])
        branches.append(b)
    return branches


@pytest.mark.parametrize("n", [2, 20])
def test_findings_for_issues_a_fixed_number_of_queries(tree, sysadmin, django_assert_num_queries, n):
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                      params={"min_full": 4}, reason="本校规定")
    branches = _branches(tree["school_a"], n)
    rule_override_set(actor=sysadmin, org=branches[0], rule_id=MAX_MEMBERS, enabled=True,
                      params={"max_members": 30}, reason="本支部规定")
    orgs = list(Organisation.objects.filter(pk__in=[b.pk for b in branches] + [tree["school_a"].pk]))
    # 1 query for the overrides (Rulebook), 2 aggregate queries for members and committee seats.
    with django_assert_num_queries(3):
        result = findings_for(orgs, on=ON, only=["orgs"])
    assert {f.org_id for f in result if f.rule_id == MIN_FULL} == {b.pk for b in branches if 2 + branches.index(b) % 8 < 4}


def test_findings_for_without_branches_issues_only_the_rulebook_query(tree, django_assert_num_queries):
    orgs = [tree["district"], tree["area"], tree["school_a"]]
    with django_assert_num_queries(1):
        assert findings_for(orgs, on=ON, only=["orgs"]) == []


def test_rulebook_loads_every_override_in_one_query_when_the_tree_is_wide(tree, sysadmin, monkeypatch,
                                                                          django_assert_num_queries):
    from dangjian.compliance import engine

    staff(tree["branch_a1"], full=4)
    staff(tree["school_b"], full=4)
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                      params={"min_full": 5}, reason="本校规定")
    monkeypatch.setattr(engine, "_MAX_PATHS_IN_QUERY", 1)  # force the "load all overrides" branch
    orgs = [Organisation.objects.get(pk=o.pk) for o in (tree["branch_a1"], tree["school_b"])]
    with django_assert_num_queries(3):
        result = findings_for(orgs, on=ON, only=["orgs"])
    assert {(f.org_id, f.rule_id) for f in result} == {(tree["branch_a1"].pk, MIN_FULL)}
