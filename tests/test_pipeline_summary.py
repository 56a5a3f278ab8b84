"""pipeline.selectors.summary equals independent counts over the same files and steps; fixed query count."""

import random
from datetime import date, timedelta

import pytest

from dangjian.members.models import Status
from dangjian.pipeline import selectors
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from tests.factories import make_person

pytestmark = pytest.mark.django_db

START, END = date(2025, 9, 1), date(2026, 8, 31)


def seed(tree, rng, n=25):
    orgs = [tree["branch_a1"], tree["branch_a2"], tree["school_b"]]
    for i in range(n):
        org = rng.choice(orgs)
        applied = START + timedelta(days=rng.randint(-700, 300))
        state = rng.choice(list(DevelopmentFile.State.values))
        file = DevelopmentFile.objects.create(
            person=make_person(org, status=Status.APPLICANT), org=org, applied_on=applied, state=state,
            cancelled_on=applied + timedelta(days=rng.randint(0, 700)) if state == "cancelled" else None,
            withdrawn_on=applied + timedelta(days=rng.randint(0, 700)) if state == "withdrawn" else None,
            extension_decided_on=applied + timedelta(days=rng.randint(0, 700)) if rng.random() < 0.2 else None)
        day = applied
        for number in range(1, rng.randint(1, 25) + 1):
            DevelopmentStep.objects.create(file=file, number=number, date=day)
            day += timedelta(days=rng.randint(0, 40))


def test_summary_equals_independent_counts(tree):
    seed(tree, random.Random(4))
    org = tree["school_a"]
    f = selectors.summary(org, START, END)
    inside = lambda o: o.path.startswith(org.path)  # noqa: E731
    steps = [s for s in DevelopmentStep.objects.select_related("file__org")
             if inside(s.file.org) and START <= s.date <= END]
    for number, key in selectors.SUMMARY_STEPS.items():
        assert f[key] == len({s.file_id for s in steps if s.number == number}), key
    files = [x for x in DevelopmentFile.objects.select_related("org") if inside(x.org)]
    within = lambda d: d is not None and START <= d <= END  # noqa: E731
    assert f["extended"] == sum(1 for x in files if within(x.extension_decided_on))
    assert f["cancelled"] == sum(1 for x in files if within(x.cancelled_on))
    assert f["withdrawn"] == sum(1 for x in files if within(x.withdrawn_on))
    assert sum(f[k] for k in selectors.SUMMARY_STEPS.values()) > 0


def test_empty_and_query_count(tree, django_assert_num_queries):
    with django_assert_num_queries(2):
        f = selectors.summary(tree["school_a"], START, END)
    assert f["applications"] == f["admitted"] == f["confirmed"] == 0
    seed(tree, random.Random(2), n=10)
    with django_assert_num_queries(2):
        selectors.summary(tree["school_a"], START, END)
