"""`dangjian synth`: a synthetic district of the requested size, built by the demo's builder."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.compliance.engine import findings_for
from dangjian.core import idnumber
from dangjian.core.models import AuditLog
from dangjian.demo import plans
from dangjian.demo.builder import REFERENCE_DATE, generate
from dangjian.members.models import OrgMembership, Person, StatusEvent
from dangjian.orgs.models import Organisation, OrgKind


def synth(**options):
    out = StringIO()
    call_command("synth", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def root_of(seed):
    return Organisation.objects.get(code=plans.synth_root_code(seed))


def people_under(root):
    return Person.objects.filter(org__path__startswith=root.path)


def test_synth_creates_the_requested_number_of_people_and_schools_in_a_valid_tree(db, debug):
    output = synth(schools=6, members=180, seed=7)
    root = root_of(7)
    assert people_under(root).count() == 180
    assert Organisation.objects.filter(path__startswith=root.path, depth=3).count() == 6
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    assert OrgMembership.objects.filter(person__org__path__startswith=root.path).count() == 180
    assert StatusEvent.objects.filter(person__org__path__startswith=root.path, note="建档").count() == 180
    assert "180" in output and plans.synth_root_code(7) in output


def test_synth_district_has_the_demo_shapes_and_no_setup_findings(db, debug):
    synth(schools=40, members=1600, seed=3)
    root = root_of(3)
    kinds = Counter(Organisation.objects.filter(path__startswith=root.path).values_list("kind", flat=True))
    for kind in (OrgKind.AREA_COMMITTEE, OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH,
                 OrgKind.JOINT_BRANCH, OrgKind.GROUP):
        assert kinds[kind] > 0, kind
    assert findings_for(Organisation.objects.subtree_of(root), on=REFERENCE_DATE, only=["orgs"]) == []


def test_synth_runs_next_to_the_demo_and_other_seeds_without_clashes(db, debug):
    call_command("demo", stdout=StringIO())
    synth(schools=3, members=60, seed=1)
    synth(schools=4, members=90, seed=2)
    roots = Organisation.objects.filter(depth=1)
    assert set(roots.values_list("code", flat=True)) == {plans.DEMO_ROOT_CODE, "SYNTH-1", "SYNTH-2"}
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    assert people_under(root_of(1)).count() == 60
    assert people_under(root_of(2)).count() == 90
    numbers = [p.get_id_number() for p in people_under(root_of(2))]
    assert all(idnumber.validate(n) is None for n in numbers)
    assert all(n.startswith(plans.synth_region_code(2)) for n in numbers)


def test_same_seed_twice_is_refused_and_changes_nothing(db, debug):
    synth(schools=3, members=60, seed=5)
    people, audit_rows = Person.objects.count(), AuditLog.objects.count()
    with pytest.raises(CommandError, match="已存在"):
        synth(schools=3, members=60, seed=5)
    assert Person.objects.count() == people
    assert AuditLog.objects.count() == audit_rows


def test_synth_writes_one_import_audit_row(db, debug):
    before = AuditLog.objects.count()
    synth(schools=3, members=60, seed=9)
    assert AuditLog.objects.count() == before + 1
    entry = AuditLog.objects.order_by("-id").first()
    assert entry.event == "import" and "模拟数据" in entry.object_repr


def test_synth_years_reach_back_that_many_years_of_meetings_and_bills(db, debug):
    from dateutil.relativedelta import relativedelta

    from dangjian.dues.models import DuesBill
    from dangjian.life.models import Meeting

    synth(schools=2, members=40, seed=11, years=3)
    root = root_of(11)
    assert people_under(root).count() == 40
    first_meeting = Meeting.objects.filter(org__path__startswith=root.path).order_by("date").first().date
    assert first_meeting >= REFERENCE_DATE - relativedelta(years=3)
    assert first_meeting < REFERENCE_DATE - relativedelta(years=2)
    assert DuesBill.objects.filter(person__org__path__startswith=root.path).exists()


@pytest.mark.parametrize("options, message", [
    ({"schools": 5, "members": 10}, "至少"),
    ({"schools": 0, "members": 10}, "--schools"),
    ({"schools": 2, "members": 40, "years": 0}, "--years"),
    ({"schools": 2, "members": 40, "seed": 100000}, "--seed"),
])
def test_bad_arguments_are_refused_with_a_chinese_message_and_change_nothing(db, debug, options, message):
    with pytest.raises(CommandError, match=message):
        synth(**options)
    assert not Organisation.objects.exists()


def test_synth_refuses_without_debug_unless_forced(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        synth(schools=2, members=40, seed=4)
    assert not Organisation.objects.exists()
    synth(schools=2, members=40, seed=4, force=True)
    assert people_under(root_of(4)).count() == 40


def test_same_seed_generates_the_same_people_and_another_seed_does_not():
    def digest(seed):
        plan = plans.synth_plan(schools=5, members=200, seed=seed)
        return generate(plan, seed=seed, region_code=plans.synth_region_code(seed)).digest()

    assert digest(21) == digest(21)
    assert digest(21) != digest(22)


def test_demo_and_synth_share_one_builder():
    """The demo is one configuration of the builder; a synth plan is another, with the same kinds of nodes."""
    demo_kinds = {node.kind for node in plans.demo_plan().walk()}
    synth_kinds = {node.kind for node in plans.synth_plan(schools=60, members=2400, seed=1).walk()}
    assert demo_kinds == synth_kinds
