"""members.selectors.summary: the roster at the end date (memberships and status history), against independent
counts; fixed query count."""

import random
from datetime import date, timedelta

import pytest

from dangjian.members import selectors
from dangjian.members.models import OrgMembership, Person, Status, StatusEvent
from tests.factories import make_person

pytestmark = pytest.mark.django_db

START, END = date(2025, 9, 1), date(2026, 8, 31)


def with_history(org, statuses, moves=()):
    """A person whose status history is [(status, date)] and whose memberships are [(org, start, end)]."""
    person = make_person(org, status=statuses[-1][0])
    for status, day in statuses:
        StatusEvent.objects.create(person=person, status=status, effective_on=day)
    for where, started, ended in moves or [(org, statuses[0][1], None)]:
        OrgMembership.objects.create(person=person, org=where, started_on=started, ended_on=ended)
    return person


def status_at(person, on):
    events = sorted((e for e in person.status_events.all() if e.effective_on <= on),
                    key=lambda e: (e.effective_on, e.pk))
    if not person.status_events.exists():
        return person.status
    return events[-1].status if events else None


def org_at(person, on):
    rows = list(person.memberships.all())
    if not rows:
        return person.org
    for m in rows:
        if m.started_on <= on and (m.ended_on is None or m.ended_on > on):
            return m.org
    return None


def test_roster_at_end_equals_independent_counts(tree):
    rng = random.Random(11)
    a1, a2, b = tree["branch_a1"], tree["branch_a2"], tree["school_b"]
    for org in (a1, a2, b):
        for _ in range(4):
            make_person(org, status=rng.choice([Status.FULL, Status.PROBATIONARY, Status.APPLICANT, Status.ACTIVIST]))
    # 预备 at the end date, 正式 only after it
    with_history(a1, [(Status.PROBATIONARY, date(2025, 10, 1)), (Status.FULL, END + timedelta(days=1))])
    # 正式 on the end date itself
    with_history(a1, [(Status.PROBATIONARY, date(2024, 1, 1)), (Status.FULL, END)])
    # moved from school_b into branch_a2 during the period
    with_history(a2, [(Status.FULL, date(2015, 1, 1))], [(b, date(2015, 1, 1), date(2026, 3, 1)),
                                                          (a2, date(2026, 3, 1), None)])
    # moved out of branch_a2 after the end date: still counted here
    with_history(b, [(Status.FULL, date(2015, 1, 1))], [(a2, date(2015, 1, 1), END + timedelta(days=2)),
                                                         (b, END + timedelta(days=2), None)])
    # transferred out (ended) during the period: no longer counted as a member
    with_history(a1, [(Status.FULL, date(2015, 1, 1)), (Status.TRANSFERRED_OUT, date(2026, 5, 1))],
                 [(a1, date(2015, 1, 1), date(2026, 5, 1))])
    # on the roster only after the end date
    with_history(a1, [(Status.APPLICANT, END + timedelta(days=5))])

    org = tree["school_a"]
    f = selectors.summary(org, START, END)
    expected = {}
    for person in Person.objects.prefetch_related("status_events", "memberships__org").select_related("org"):
        where, status = org_at(person, END), status_at(person, END)
        if where is not None and status is not None and where.path.startswith(org.path):
            expected[status] = expected.get(status, 0) + 1
    assert {row["key"]: row["count"] for row in f["by_status"] if row["count"]} == expected
    assert f["full"] == expected.get(Status.FULL, 0)
    assert f["probationary"] == expected.get(Status.PROBATIONARY, 0)
    assert f["members"] == f["full"] + f["probationary"]
    assert f["pipeline"] == sum(expected.get(s, 0) for s in (Status.APPLICANT, Status.ACTIVIST, Status.CANDIDATE))


def test_status_on_the_end_date_counts(tree):
    with_history(tree["branch_a1"], [(Status.PROBATIONARY, date(2024, 1, 1)), (Status.FULL, END)])
    assert selectors.summary(tree["school_a"], START, END)["full"] == 1
    assert selectors.summary(tree["school_a"], START, END - timedelta(days=1))["probationary"] == 1


def test_query_count_is_fixed(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.summary(tree["school_a"], START, END)
    for _ in range(5):
        make_person(tree["branch_a1"])
    with django_assert_num_queries(1):
        selectors.summary(tree["school_a"], START, END)
