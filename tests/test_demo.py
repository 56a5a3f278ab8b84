"""`dangjian demo`: the deterministic, idempotent demo district and its accounts."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F
from django.test import override_settings
from django.urls import reverse

from dangjian.accounts.models import User
from dangjian.compliance.engine import findings_for
from dangjian.core import crypto, idnumber
from dangjian.core.models import AuditLog
from dangjian.demo import plans
from dangjian.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from dangjian.demo.builder import REFERENCE_DATE, generate, people_digest
from dangjian.members.models import PIPELINE_STATUSES, OrgMembership, Person, Status, StatusEvent
from dangjian.orgs.models import CommitteePost, Organisation, OrgKind, Role, RoleAssignment
from tests.factories import make_user

Post = CommitteePost.Post


def load_demo(**options):
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


TEST_FIELD_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # the key tests/conftest.py sets for each test


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once per test class inside a transaction that is rolled back after the class.

    Each test still runs in its own savepoint (the `db` fixture), so writes in one test do not leak."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True, FIELD_ENCRYPTION_KEY=TEST_FIELD_KEY):
        crypto.reset_keys()
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_demo()
            yield Organisation.objects.get(code=plans.DEMO_ROOT_CODE)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            crypto.reset_keys()


def demo_people(root):
    return Person.objects.filter(org__path__startswith=root.path)


def table_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def digest_of_database():
    return people_digest(Person.objects.filter(org__code__startswith="DEMO-")
                         .values_list("name", "id_number_masked", "status"))


# --- the loaded demo (loaded once for the class) -----------------------------------------------------------

class TestLoadedDemo:
    def test_demo_builds_a_district_of_three_areas_and_about_thirty_schools(self, db, demo):
        kinds = {}
        for org in Organisation.objects.subtree_of(demo):
            kinds[org.kind] = kinds.get(org.kind, 0) + 1
        assert demo.kind == OrgKind.WORK_COMMITTEE and demo.depth == 1
        assert kinds[OrgKind.AREA_COMMITTEE] == 3
        assert kinds[OrgKind.PARTY_COMMITTEE] == 3
        assert kinds[OrgKind.GENERAL_BRANCH] == 6
        assert kinds[OrgKind.JOINT_BRANCH] == 2
        assert kinds[OrgKind.GROUP] > 50
        schools = Organisation.objects.filter(path__startswith=demo.path, depth=3)
        assert 28 <= schools.count() <= 32
        assert all(org.code.startswith("DEMO-") for org in Organisation.objects.subtree_of(demo))
        assert Organisation.objects.find_problems() == ([], [], [], [], [])

    def test_demo_people_are_about_1200_with_one_membership_and_one_status_event_each(self, db, demo):
        people = demo_people(demo)
        total = people.count()
        assert 1100 <= total <= 1300
        assert OrgMembership.objects.filter(person__in=people).count() == total
        assert StatusEvent.objects.filter(person__in=people, note="建档").count() == total
        assert not OrgMembership.objects.filter(person__in=people).exclude(org_id=F("person__org_id")).exists()
        statuses = set(people.values_list("status", flat=True))
        assert statuses == {Status.FULL, Status.PROBATIONARY, Status.CANDIDATE, Status.ACTIVIST, Status.APPLICANT,
                            Status.NON_MEMBER}
        assert people.filter(status=Status.FULL).count() > 0.75 * total
        assert people.exclude(ethnicity="汉族").exists()
        assert people.filter(occupation="retired").exists()

    def test_demo_id_numbers_are_valid_and_match_birth_date_and_gender(self, db, demo):
        for person in demo_people(demo):
            number = person.get_id_number()
            assert idnumber.validate(number) is None
            assert idnumber.birth_date(number) == person.birth_date
            assert idnumber.gender(number) == person.gender
            assert person.id_number_masked == idnumber.mask(number)
            assert person.get_phone().startswith("1") and len(person.get_phone()) == 11

    def test_demo_dates_follow_the_status_rules_relative_to_the_reference_date(self, db, demo):
        one_year_ago = REFERENCE_DATE - relativedelta(years=1)
        for person in demo_people(demo).select_related("org", "group"):
            age = relativedelta(REFERENCE_DATE, person.birth_date).years
            assert 23 <= age <= 80
            if person.occupation != "retired":
                assert age <= 60
            if person.status == Status.FULL:
                assert person.full_member_on == person.joined_on + relativedelta(years=1)
                assert person.full_member_on <= REFERENCE_DATE
            elif person.status == Status.PROBATIONARY:
                assert one_year_ago < person.joined_on <= REFERENCE_DATE
                assert person.full_member_on is None
            elif person.status in PIPELINE_STATUSES:
                assert person.applied_on is not None and person.joined_on is None
                assert relativedelta(person.applied_on, person.birth_date).years >= 18
            if person.group_id is not None:
                assert person.group.kind == OrgKind.GROUP
                assert person.group.path[: -Organisation.steplen] == person.org.path  # a 党小组 of their own branch
                assert person.status in (Status.FULL, Status.PROBATIONARY)

    def test_seed_001_primary_school_branch_has_22_full_1_probationary_and_14_applicants(self, db, demo):
        branch = Organisation.objects.get(code=plans.DEMO_SEED001_BRANCH)
        assert branch.kind == OrgKind.BRANCH and "小学" in branch.name
        people = Person.objects.filter(org=branch)
        assert people.filter(status=Status.FULL).count() == 22
        assert people.filter(status=Status.PROBATIONARY).count() == 1
        applied = people.filter(status__in=PIPELINE_STATUSES, applied_on__isnull=False)
        assert applied.count() == 14
        assert Organisation.objects.get_children(branch).filter(kind=OrgKind.GROUP).count() >= 2

    def test_seed_000_school_is_a_general_branch_with_branches_and_groups(self, db, demo):
        school = Organisation.objects.get(code=plans.DEMO_SEED000_SCHOOL)
        assert school.kind == OrgKind.GENERAL_BRANCH
        branches = Organisation.objects.get_children(school)
        assert 3 <= branches.count() <= 4
        assert all(b.kind == OrgKind.BRANCH for b in branches)
        assert Organisation.objects.filter(path__startswith=school.path, kind=OrgKind.GROUP).exists()
        seats = set(CommitteePost.objects.filter(org=school).values_list("post", flat=True))
        assert {Post.SECRETARY, Post.ORGANISATION, Post.PROPAGANDA, Post.DISCIPLINE} <= seats

    def test_committees_follow_branch_size_and_groups_have_leaders(self, db, demo):
        for branch in Organisation.objects.filter(path__startswith=demo.path, kind__in=[OrgKind.BRANCH,
                                                                                          OrgKind.JOINT_BRANCH]):
            full = Person.objects.filter(org=branch, status=Status.FULL).count()
            seats = list(CommitteePost.objects.filter(org=branch).select_related("person"))
            assert all(seat.person.org_id == branch.pk and seat.person.status == Status.FULL for seat in seats)
            posts = {seat.post for seat in seats}
            if branch.code == plans.DEMO_NO_COMMITTEE_BRANCH:
                assert full >= 7 and not seats
            elif full >= 7:
                assert {Post.SECRETARY, Post.ORGANISATION, Post.PROPAGANDA, Post.DISCIPLINE} <= posts
                assert 3 <= len(seats) <= 7
            else:
                assert posts == {Post.SECRETARY}
            if branch.code != plans.DEMO_NO_COMMITTEE_BRANCH:
                for group in Organisation.objects.get_children(branch):
                    leaders = CommitteePost.objects.filter(org=group, post=Post.GROUP_LEADER)
                    assert leaders.count() == 1
                    assert leaders.get().person.group_id == group.pk

    def test_findings_show_exactly_the_two_deliberate_setup_problems(self, db, demo):
        findings = findings_for(Organisation.objects.subtree_of(demo), on=REFERENCE_DATE, only=["orgs"])
        got = {(Organisation.objects.get(pk=f.org_id).code, f.rule_id) for f in findings}
        assert got == {(plans.DEMO_TOO_SMALL_BRANCH, "org.branch_min_full"),
                       (plans.DEMO_NO_COMMITTEE_BRANCH, "org.branch_committee_required")}

    def test_second_run_changes_nothing_and_says_so(self, db, demo):
        counts, audit_rows = table_counts(), AuditLog.objects.count()
        output = load_demo()
        assert "未做任何更改" in output
        assert table_counts() == counts
        assert AuditLog.objects.count() == audit_rows

    def test_every_demo_account_logs_in_with_the_documented_password(self, db, demo, client):
        for account in DEMO_ACCOUNTS:
            user = User.objects.get(username=account.username)
            assert not user.must_change_password
            assert user.admin_role == account.admin_role
            response = client.post(reverse("accounts:login"), {"username": account.username, "password": DEMO_PASSWORD})
            assert response.status_code == 302, account.username
            assert client.session["_auth_user_id"] == str(user.pk)
            client.post(reverse("accounts:logout"))

    def test_administrators_hold_no_organisation_roles(self, db, demo):
        for username in ("sysadmin", "secadmin", "auditor"):
            user = User.objects.get(username=username)
            assert user.admin_role
            assert not RoleAssignment.objects.filter(user=user).exists()
            assert not Person.objects.filter(user=user).exists()

    def test_member_account_is_linked_to_a_person_of_its_branch_and_sees_only_itself(self, db, demo):
        user = User.objects.get(username="member")
        person = Person.objects.get(user=user)
        assert person.status == Status.FULL
        assignment = RoleAssignment.objects.get(user=user)
        assert assignment.role == Role.MEMBER and assignment.org_id == person.org_id
        assert list(Person.objects.visible_to(user)) == [person]

    def test_branch_secretary_is_the_secretary_of_the_seed_001_branch(self, db, demo):
        user = User.objects.get(username="branch_secretary")
        branch = Organisation.objects.get(code=plans.DEMO_SEED001_BRANCH)
        secretary = CommitteePost.objects.get(org=branch, post=Post.SECRETARY).person
        assert secretary.user_id == user.pk
        assert RoleAssignment.objects.filter(user=user, org=branch, role=Role.SECRETARY).exists()
        assert set(Person.objects.visible_to(user)) == set(Person.objects.filter(org=branch))

    def test_accounts_see_their_documented_scope(self, db, demo):
        everyone = demo_people(demo).count()
        assert Person.objects.visible_to(User.objects.get(username="district_viewer")).count() == everyone
        assert Person.objects.visible_to(User.objects.get(username="discipline")).count() == everyone
        school = Organisation.objects.get(code=plans.DEMO_SEED000_SCHOOL)
        school_admin = User.objects.get(username="school_admin")
        assert set(Person.objects.visible_to(school_admin)) == set(
            Person.objects.filter(org__path__startswith=school.path))
        assert Person.objects.get(user=school_admin).org.path.startswith(school.path)
        area = Organisation.objects.get(code="DEMO-A1")
        assert Person.objects.visible_to(User.objects.get(username="area1_secretary")).count() == Person.objects.filter(
            org__path__startswith=area.path).count()
        assert not Person.objects.visible_to(User.objects.get(username="auditor")).exists()


# --- loading -----------------------------------------------------------------------------------------------

def test_a_load_writes_one_import_audit_row_and_ends_with_the_account_table(db, settings):
    settings.DEBUG = True
    before = AuditLog.objects.count()
    output = load_demo()
    assert AuditLog.objects.count() == before + 1
    entry = AuditLog.objects.order_by("-id").first()
    assert entry.event == "import" and entry.object_repr == "演示数据"
    table = output[output.index("演示账户"):]
    assert "用户名" in table and "能看到什么" in table and DEMO_PASSWORD in table
    for account in DEMO_ACCOUNTS:
        assert account.username in table


# --- idempotence and determinism ----------------------------------------------------------------------------

def test_two_loads_into_fresh_databases_give_identical_names_and_id_numbers(db, settings):
    settings.DEBUG = True

    class Rollback(Exception):
        pass

    digests = []
    for _ in range(2):
        with pytest.raises(Rollback), transaction.atomic():
            load_demo()
            digests.append(digest_of_database())
            raise Rollback
        assert not Organisation.objects.filter(code=plans.DEMO_ROOT_CODE).exists()
    generated = generate(plans.demo_plan(), seed=plans.DEMO_SEED, region_code=plans.DEMO_REGION_CODE).digest()
    assert digests[0] == digests[1] == generated


def test_generation_does_not_depend_on_the_process_or_hash_seed():
    code = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'dangjian.settings'); django.setup();"
            "from dangjian.demo import plans; from dangjian.demo.builder import generate;"
            "print(generate(plans.demo_plan(), seed=plans.DEMO_SEED, region_code=plans.DEMO_REGION_CODE).digest())")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "DANGJIAN_TESTING": "1"}
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    here = generate(plans.demo_plan(), seed=plans.DEMO_SEED, region_code=plans.DEMO_REGION_CODE).digest()
    assert other.stdout.strip() == here


# --- refusals ------------------------------------------------------------------------------------------------

def test_refuses_without_debug_unless_forced(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        load_demo()
    assert not Organisation.objects.exists()
    assert not User.objects.exists()
    load_demo(force=True)
    assert Organisation.objects.filter(code=plans.DEMO_ROOT_CODE).exists()


def test_refuses_when_a_demo_username_is_taken_and_changes_nothing(db, settings):
    settings.DEBUG = True
    make_user("district_admin")
    with pytest.raises(CommandError, match="district_admin"):
        load_demo()
    assert not Organisation.objects.exists()
    assert not Person.objects.exists()


def test_the_console_script_refuses_in_production_with_a_non_zero_exit(tmp_path):
    env = {**os.environ, "DEBUG": "0", "DANGJIAN_TESTING": "0", "SECRET_KEY": "x" * 50,
           "DATABASE_URL": f"sqlite:///{tmp_path}/refuse.sqlite3", "DANGJIAN_VAR_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "dangjian.cli", "demo"], env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "拒绝载入演示数据" in proc.stderr
