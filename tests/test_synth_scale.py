"""`dangjian synth --scale N` and the batched writing of the life app's records (what the growth benchmark runs)."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from dangjian.core.management.commands import synth as synth_command
from dangjian.demo import plans
from dangjian.life import demo as life_demo
from dangjian.life.models import Attendance, Meeting, Vote
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation, OrgKind


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def tiny_district(monkeypatch):
    """One "district" of 3 schools and 60 people instead of 300 and 12 000, so --scale runs in a test."""
    monkeypatch.setattr(synth_command, "DISTRICT_SCHOOLS", 3)
    monkeypatch.setattr(synth_command, "DISTRICT_MEMBERS", 60)


def synth(**options):
    out = StringIO()
    call_command("synth", stdout=out, **options)
    return out.getvalue()


def root_of(seed):
    return Organisation.objects.get(code=plans.synth_root_code(seed))


def schools_under(root):
    return Organisation.objects.filter(path__startswith=root.path, depth=root.depth + 2)


class Rollback(Exception):
    pass


def district_digest(seed):
    """Everything generated under one seed's root: people, meetings with their attendance, votes (ids relative)."""
    root = root_of(seed)
    h = hashlib.sha256()
    people = Person.objects.filter(org__path__startswith=root.path)
    for row in people.order_by("id_number_index").values_list("name", "id_number_masked", "status", "org__code",
                                                              "group__code"):
        h.update(repr(row).encode())
    meetings = Meeting.objects.filter(org__path__startswith=root.path)
    for row in meetings.order_by("org__code", "date", "type", "id").values_list("org__code", "type", "date",
                                                                               "theme", "host__name"):
        h.update(repr(row).encode())
    attendance = Attendance.objects.filter(meeting__in=meetings)
    for row in attendance.order_by("meeting__org__code", "meeting__date", "meeting__type", "meeting_id",
                                   "person__name").values_list("person__name", "status", "leave_approved"):
        h.update(repr(row).encode())
    votes = Vote.objects.filter(meeting__in=meetings)
    for row in votes.order_by("meeting__org__code", "meeting__date").values_list(
            "voters_due", "voters_present", "yes", "no", "quorum_met", "passed"):
        h.update(repr(row).encode())
    return h.hexdigest(), people.count(), meetings.count(), attendance.count()


def generate_and_roll_back(**options):
    with pytest.raises(Rollback), transaction.atomic():
        synth(**options)
        digest = district_digest(options["seed"])
        raise Rollback
    return digest


def test_scale_multiplies_the_district_in_schools_and_people(db, debug, tiny_district):
    output = synth(scale=1, seed=31)
    one = root_of(31)
    assert Person.objects.filter(org__path__startswith=one.path).count() == 60
    assert schools_under(one).count() == 3
    assert "学校 3 所" in output and "人员 60 人" in output

    synth(scale=4, seed=32)
    four = root_of(32)
    assert Person.objects.filter(org__path__startswith=four.path).count() == 240
    assert schools_under(four).count() == 12
    assert Meeting.objects.filter(org__path__startswith=four.path).count() > \
        3 * Meeting.objects.filter(org__path__startswith=one.path).count()


def test_scale_one_is_the_size_of_a_real_district():
    assert (synth_command.DISTRICT_SCHOOLS, synth_command.DISTRICT_MEMBERS) == (300, 12_000)


@pytest.mark.parametrize("options, message", [
    ({"scale": 0}, "--scale"),
    ({"scale": 2, "schools": 3}, "不能同时使用"),
    ({"scale": 2, "members": 60}, "不能同时使用"),
])
def test_bad_scale_is_refused_with_a_chinese_message_and_changes_nothing(db, debug, tiny_district, options,
                                                                        message):
    with pytest.raises(CommandError, match=message):
        synth(seed=33, **options)
    assert not Organisation.objects.exists()


def test_verbose_run_reports_the_time_of_each_step(db, debug, tiny_district):
    output = synth(scale=1, seed=34, verbosity=2)
    assert "组织、人员与班子" in output and "dangjian.life.demo" in output and "ANALYZE" in output


def test_same_seed_generates_the_same_district_and_another_seed_does_not(db, debug, tiny_district):
    first = generate_and_roll_back(scale=2, seed=35, years=2)
    again = generate_and_roll_back(scale=2, seed=35, years=2)
    assert first == again
    assert first[1] == 120 and first[2] > 0 and first[3] > first[2]
    other = generate_and_roll_back(scale=2, seed=36, years=2)
    assert other[0] != first[0]


def test_meetings_written_in_small_batches_are_the_same_as_in_one(db, debug, tiny_district, monkeypatch):
    whole = generate_and_roll_back(scale=2, seed=37, years=2)
    monkeypatch.setattr(life_demo, "BATCH_ROWS", 25)  # a flush every few meetings
    batched = generate_and_roll_back(scale=2, seed=37, years=2)
    assert batched == whole


def test_the_designated_branch_still_gets_its_deliberate_gaps(db, debug, tiny_district):
    """The committee lookup became a set of ids: the first branch with a committee still misses its assembly."""
    synth(scale=4, seed=38, years=1)
    root = root_of(38)
    branches = Organisation.objects.filter(path__startswith=root.path, kind__in=[OrgKind.BRANCH,
                                                                                 OrgKind.JOINT_BRANCH])
    assert Vote.objects.filter(meeting__org__in=branches, quorum_met=False).exists()
