"""Demo/synthetic 发展党员 files: one per person in the pipeline, steps in order and consistent with the status
and dates, a few deadlines due soon or overdue on the reference date; deterministic and fast."""

import time
from collections import defaultdict

import pytest

from dangjian.compliance.engine import findings_for
from dangjian.compliance.rulebook import Severity
from dangjian.demo.builder import REFERENCE_DATE, build
from dangjian.demo.plans import synth_plan, synth_region_code
from dangjian.members.models import Person
from dangjian.orgs.models import Organisation
from dangjian.pipeline import demo
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from dangjian.pipeline.steps import board_stage

pytestmark = pytest.mark.django_db

STAGE_OF_STATUS = {"applicant": "applicant", "activist": "activist", "candidate": "candidate",
                   "probationary": "probationary"}


def district(seed=7, members=400):
    result = build(synth_plan(schools=6, members=members, seed=seed), seed=seed, region_code=synth_region_code(seed))
    started = time.perf_counter()
    demo.extend(result, seed=seed, years=1)
    return result, time.perf_counter() - started


def test_every_pipeline_person_gets_one_file_consistent_with_the_status():
    result, seconds = district()
    people = {p.pk: p for p in Person.objects.filter(status__in=demo.PIPELINE)}
    files = list(DevelopmentFile.objects.all())
    assert len(files) == len(people) == result.counts["development_files"] > 20
    steps = defaultdict(list)
    for s in DevelopmentStep.objects.order_by("date", "number", "id"):
        steps[s.file_id].append(s)
    for f in files:
        person, rows = people[f.person_id], steps[f.pk]
        numbers = [s.number for s in rows]
        assert numbers == sorted(numbers), (person.name, numbers)
        assert sorted(set(numbers)) == list(range(1, max(numbers) + 1)), (person.name, numbers)
        assert [n for n in numbers if numbers.count(n) > 1 and n != 6] == []
        assert rows[0].date == f.applied_on and all(s.date <= REFERENCE_DATE for s in rows)
        assert board_stage(set(numbers)) == STAGE_OF_STATUS[person.status], (person.status, numbers)
        if person.status == "probationary":
            assert next(s.date for s in rows if s.number == 15) == person.joined_on
        if person.status in ("activist", "candidate"):
            assert next(s.date for s in rows if s.number == (3 if person.status == "activist" else 7)) \
                == person.status_since
    assert seconds < 5


def test_some_deadlines_are_due_soon_or_overdue_on_the_reference_date():
    district()
    found = findings_for(Organisation.objects.all(), on=REFERENCE_DATE, only=["pipeline"])
    severities = {f.severity for f in found}
    assert Severity.SOON in severities and Severity.OVERDUE in severities


def test_demo_files_are_deterministic():
    result, _ = district(seed=11, members=250)

    def rows():
        return list(DevelopmentStep.objects.order_by("file__person_id", "number", "date")
                    .values_list("file__person_id", "number", "date", "talker_id", "approval_no"))

    first = rows()
    DevelopmentStep.objects.all().delete()
    DevelopmentFile.objects.all().delete()
    demo.extend(result, seed=11, years=1)
    assert rows() == first
