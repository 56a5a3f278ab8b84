"""The demo generators' per-organisation lookups are linear in the district, and generate exactly what the old
per-organisation scans over all people / all organisations generated (the scans are kept here as the reference)."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from dangjian.demo import plans
from dangjian.demo.subtrees import Subtrees
from dangjian.orgs.models import Organisation, OrgKind
from dangjian.service import demo as service_demo
from dangjian.service.models import CareVisit, HardshipFile
from dangjian.tasks import demo as tasks_demo
from dangjian.tasks.models import Receipt
from dangjian.terms import demo as terms_demo
from dangjian.terms.models import Candidate, Election
from dangjian.vanguard import demo as vanguard_demo
from dangjian.vanguard.models import Article, Honour


# --- the old algorithms (reference implementations) -----------------------------------------------------------

def reference_electors(org, on, people, starts, paths):
    """terms/demo.py before: every person checked for every organisation with a committee."""
    out = []
    for person, start in zip(people, starts):
        if person.status != "full" or not person.full_member_on or person.full_member_on > on or start > on:
            continue
        if person.org_id == org.pk or (org.kind not in ("branch", "joint_branch")
                                       and paths.get(person.org_id, "").startswith(org.path)):
            out.append(person.pk)
    return out


class ReferenceElectorate:
    calls = 0

    def __init__(self, people, starts, orgs):
        self.people, self.starts = people, starts
        self.paths = {o.pk: o.path for o in orgs}

    def electors(self, org, on):
        ReferenceElectorate.calls += 1
        return reference_electors(org, on, self.people, self.starts, self.paths)


class ScanningSubtrees:
    """service/demo.py and vanguard/demo.py before: `[o for o in orgs if o.path.startswith(school.path)]`."""
    calls = 0

    def __init__(self, orgs):
        self.orgs = list(orgs)

    def within(self, path):
        ScanningSubtrees.calls += 1
        return [o for o in self.orgs if o.path.startswith(path)]


# --- generating and fingerprinting --------------------------------------------------------------------------------

@pytest.fixture
def debug(settings):
    settings.DEBUG = True


class Rollback(Exception):
    pass


def _who(person):
    return (person.name, person.id_number_masked) if person else None


def generated_digest(seed):
    """The elections with their candidates, the care visits, hardship files, articles and honours under one
    seed's root, independent of database ids."""
    root = Organisation.objects.get(code=plans.synth_root_code(seed))
    under = {"org__path__startswith": root.path}
    rows = {
        "elections": sorted(Election.objects.filter(**under).values_list(
            "org__code", "held_on", "method", "seats", "electors_due", "electors_present", "ballots_cast",
            "invalid_ballots", "override_reason", "result_note", "approval_authority", "approval_no", "approved_on")),
        "candidates": sorted(
            (c.election.org.code, _who(c.person), c.votes, c.elected, c.rank or 0, c.post)
            for c in Candidate.objects.filter(election__org__path__startswith=root.path)
            .select_related("election__org", "person")),
        "care": sorted(
            (c.org.code, c.date, c.recipient_kind, c.recipients, c.money, c.goods,
             tuple(sorted(_who(p) for p in c.visitors.all())))
            for c in CareVisit.objects.filter(**under).select_related("org").prefetch_related("visitors")),
        "hardship": sorted(
            (h.org.code, h.name, _who(h.person) or ("", ""), h.opened_on, h.difficulty)
            for h in HardshipFile.objects.filter(**under).select_related("org", "person")),
        "articles": sorted(
            (a.org.code, a.title, a.date, a.platform, a.level, a.author_names,
             tuple(sorted(_who(p) for p in a.authors.all())))
            for a in Article.objects.filter(**under).select_related("org").prefetch_related("authors")),
        "receipts": sorted(Receipt.objects.filter(task__org__path__startswith=root.path).values_list(
            "task__title", "org__code", "answer", "done_on")),
        "answered": sorted(Receipt.objects.filter(task__org__path__startswith=root.path).exclude(answer="")
                           .values_list("task__title", "org__code", "answer", "done_on")),
        "honours": sorted(
            (h.org.code, h.title, h.kind, h.date, _who(h.person) or ("", ""))
            for h in Honour.objects.filter(**under).select_related("org", "person")),
    }
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digest, {name: len(items) for name, items in rows.items()}


def generate_and_roll_back(seed, **options):
    with pytest.raises(Rollback), transaction.atomic():
        call_command("synth", stdout=StringIO(), seed=seed, **options)
        fingerprint = generated_digest(seed)
        raise Rollback
    return fingerprint


# --- tests --------------------------------------------------------------------------------------------------------

def test_subtrees_are_exactly_the_path_prefix_scan_in_the_same_order(db, debug):
    """Every organisation's subtree (and prefixes that are no organisation's path) from the binary search equals
    the scan over all organisations, in path order, whatever order the organisations were given in."""
    call_command("synth", stdout=StringIO(), schools=12, members=600, seed=41)
    orgs = list(Organisation.objects.all().order_by("-id"))
    subtrees = Subtrees(orgs)
    by_path = sorted(orgs, key=lambda o: o.path)
    prefixes = [o.path for o in orgs] + ["", "0", "ZZZZ", orgs[0].path + "0001", orgs[0].path[:-1]]
    for prefix in prefixes:
        assert subtrees.within(prefix) == [o for o in by_path if o.path.startswith(prefix)], prefix
    root = Organisation.objects.get(code=plans.synth_root_code(41))
    assert len(subtrees.within(root.path)) == Organisation.objects.filter(path__startswith=root.path).count() > 12


def test_electors_are_the_same_people_in_the_same_order_as_the_scan_over_everyone(db, debug):
    """For every electing organisation and a spread of dates, the indexed electorate equals the old scan."""
    from dangjian.demo.builder import build

    plan = plans.synth_plan(schools=12, members=600, seed=42)
    with transaction.atomic():
        result = build(plan, seed=42, region_code=plans.synth_region_code(42))
    starts = [rec.membership_start for rec in result.generated.people]
    paths = {o.pk: o.path for o in result.orgs.values()}
    electorate = terms_demo._Electorate(result.people, starts, result.orgs.values())
    electing = [o for o in result.orgs.values() if o.kind in terms_demo.ELECTING_KINDS]
    kinds = {o.kind for o in electing}
    assert {OrgKind.BRANCH, OrgKind.PARTY_COMMITTEE} <= kinds
    # Dates on which someone becomes a full member or joins a roster: the edges of both conditions.
    dates = (sorted({p.full_member_on for p in result.people if p.full_member_on})[::25]
             + sorted(set(starts))[::25] + [terms_demo.REFERENCE_DATE])
    non_empty = 0
    for org in electing:
        for on in dates:
            expected = reference_electors(org, on, result.people, starts, paths)
            assert electorate.electors(org, on) == expected, (org.code, on)
            non_empty += bool(expected)
    assert non_empty > len(electing)  # the comparison saw real electorates, not only empty ones


def test_synth_generates_the_same_records_as_with_the_old_scans(db, debug, monkeypatch):
    """Elections and candidates (terms), care visits and hardship files (service), articles and honours (vanguard)
    are row for row what the old per-organisation scans produced for the same seed (the task receipts are in the
    fingerprint too: unchanged by the other generators)."""
    options = {"schools": 12, "members": 600, "years": 1}
    indexed = generate_and_roll_back(43, **options)

    monkeypatch.setattr(terms_demo, "_Electorate", ReferenceElectorate)
    monkeypatch.setattr(service_demo, "Subtrees", ScanningSubtrees)
    monkeypatch.setattr(vanguard_demo, "Subtrees", ScanningSubtrees)
    ReferenceElectorate.calls = ScanningSubtrees.calls = 0
    scanned = generate_and_roll_back(43, **options)

    assert ReferenceElectorate.calls > 0 and ScanningSubtrees.calls > 0  # the reference really ran
    assert indexed == scanned
    counts = indexed[1]
    assert all(counts[name] > 0 for name in ("elections", "candidates", "care", "articles", "honours")), counts


def test_task_answers_written_in_batches_are_those_of_one_update(db, debug, monkeypatch):
    """tasks/demo.py answers the receipts with bulk_update in batches (one UPDATE … CASE over all of them is
    quadratic): the same answers and dates as one statement, the deliberate late ones included."""
    options = {"schools": 12, "members": 600, "years": 1}
    monkeypatch.setattr(tasks_demo, "UPDATE_BATCH", 2)
    batched = generate_and_roll_back(44, **options)
    monkeypatch.setattr(tasks_demo, "UPDATE_BATCH", None)
    whole = generate_and_roll_back(44, **options)
    assert batched == whole
    assert batched[1]["answered"] > 2  # more receipts answered than one batch holds
