"""life.selectors.summary equals independent counts over the same records; fixed query count."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from dangjian.life import selectors
from dangjian.life.models import Attendance, Meeting, MeetingType, StudyLog, StudyTask
from tests.factories import make_person

pytestmark = pytest.mark.django_db

START, END = date(2025, 9, 1), date(2026, 8, 31)


def seed(tree, rng, n=60):
    """Meetings of every type and status around the period in school_a's subtree and in school_b, with attendance;
    study tasks and logs."""
    orgs = [tree["school_a"], tree["branch_a1"], tree["branch_a2"], tree["group_a1"], tree["school_b"]]
    people = {o.pk: [make_person(o) for _ in range(3)] for o in orgs}
    for i in range(n):
        org = rng.choice(orgs)
        kind = rng.choice(MeetingType.values)
        meeting = Meeting.objects.create(
            org=org, type=kind, theme=f"会议{i}", date=START + timedelta(days=rng.randint(-40, 400)),
            status=rng.choice([Meeting.Status.HELD, Meeting.Status.HELD, Meeting.Status.PLANNED,
                               Meeting.Status.CANCELLED]),
            by_secretary=kind == MeetingType.LECTURE and rng.random() < 0.5)
        for person in rng.sample(people[org.pk], rng.randint(0, 3)):
            Attendance.objects.create(meeting=meeting, person=person, status=rng.choice(Attendance.Status.values))
    for i in range(8):
        org = rng.choice(orgs)
        starts = START + timedelta(days=rng.randint(-60, 380))
        task = StudyTask.objects.create(org=org, title=f"学习{i}", starts_on=starts, due_on=starts + timedelta(days=30))
        for person in rng.sample(people[org.pk], rng.randint(0, 3)):
            StudyLog.objects.create(person=person, task=task, date=starts + timedelta(days=rng.randint(0, 30)),
                                    hours=Decimal(rng.randint(1, 6)) / 2)
    for i in range(10):
        org = rng.choice(orgs)
        StudyLog.objects.create(person=rng.choice(people[org.pk]), date=START + timedelta(days=rng.randint(-30, 390)),
                                hours=Decimal("1.5"))


def test_summary_equals_independent_counts(tree):
    seed(tree, random.Random(7))
    org = tree["school_a"]
    f = selectors.summary(org, START, END)

    def inside(o):
        return o.path.startswith(org.path)

    held = [m for m in Meeting.objects.select_related("org")
            if inside(m.org) and m.status == Meeting.Status.HELD and START <= m.date <= END]
    assert held, "the seed must put meetings in the period"
    for row in f["meetings"]["by_type"]:
        assert row["count"] == sum(1 for m in held if m.type == row["key"]), row
    assert f["meetings"]["total"] == len(held)
    assert f["meetings"]["secretary_lectures"] == sum(1 for m in held if m.type == "lecture" and m.by_secretary)
    rows = [a for a in Attendance.objects.select_related("meeting") if a.meeting in held]
    present = [a for a in rows if a.status == Attendance.Status.PRESENT]
    assert f["attendance"]["expected"] == len(rows)
    assert f["attendance"]["present"] == len(present)
    assert f["attendance"]["people"] == len({a.person_id for a in present})
    theme = [a for a in present if a.meeting.type == MeetingType.THEME_DAY]
    assert f["theme_days"] == {"count": sum(1 for m in held if m.type == MeetingType.THEME_DAY),
                               "person_times": len(theme), "people": len({a.person_id for a in theme})}
    months = f["meetings"]["by_month"]
    assert [m["month"] for m in months] == [date(2025 + (9 + i - 1) // 12, (9 + i - 1) % 12 + 1, 1) for i in range(12)]
    for m in months:
        assert m["count"] == sum(1 for x in held if (x.date.year, x.date.month) == (m["month"].year, m["month"].month))
        assert m["present"] == sum(1 for a in present if a.meeting.date.replace(day=1) == m["month"])
    assert sum(m["count"] for m in months) == len(held)

    logs = [g for g in StudyLog.objects.select_related("person__org") if inside(g.person.org) and START <= g.date <= END]
    assert f["study"]["completions"] == sum(1 for g in logs if g.task_id)
    assert f["study"]["self_logs"] == sum(1 for g in logs if not g.task_id)
    assert Decimal(f["study"]["hours"]) == sum((g.hours for g in logs), Decimal(0))
    assert f["study"]["people"] == len({g.person_id for g in logs})
    assert f["study"]["tasks_issued"] == sum(1 for t in StudyTask.objects.select_related("org")
                                             if inside(t.org) and START <= t.starts_on <= END)


def test_period_edges_are_inclusive_and_other_schools_are_left_out(tree):
    for day in (START - timedelta(days=1), START, END, END + timedelta(days=1)):
        Meeting.objects.create(org=tree["branch_a1"], type=MeetingType.ASSEMBLY, theme="边界", date=day,
                               status=Meeting.Status.HELD)
    Meeting.objects.create(org=tree["school_b"], type=MeetingType.ASSEMBLY, theme="别校", date=START,
                           status=Meeting.Status.HELD)
    f = selectors.summary(tree["school_a"], START, END)
    assert f["meetings"]["total"] == 2


def test_empty_period_gives_zeros(tree):
    f = selectors.summary(tree["school_a"], START, END)
    assert f["meetings"]["total"] == 0 and f["attendance"]["rate"] is None
    assert all(m["count"] == 0 for m in f["meetings"]["by_month"])
    assert f["study"]["hours"] == 0 and f["theme_days"]["person_times"] == 0


def test_query_count_does_not_grow_with_the_data(tree, django_assert_num_queries):
    with django_assert_num_queries(7):
        selectors.summary(tree["school_a"], START, END)
    seed(tree, random.Random(3), n=40)
    with django_assert_num_queries(7):
        selectors.summary(tree["school_a"], START, END)


def test_the_secretary_lectures_figure_links_to_exactly_those_meetings(tree, client):
    from django.urls import reverse

    from dangjian.orgs.models import Role
    from dangjian.reports import figures
    from tests.factories import make_user

    seed(tree, random.Random(11))
    org = tree["school_a"]
    report = figures.collect(org, START, END)
    figure = next(f for section in report.sections for f in section.figures if f.key == "meetings.secretary_lectures")
    assert "secretary=1" in figure.url
    client.force_login(make_user(role=Role.SECRETARY, org=org))
    filtered, filters = selectors.meeting_list(make_user(role=Role.VIEWER, org=org),
                                               {"org": str(org.pk), "secretary": "1", "status": "held",
                                                "start": START.isoformat(), "end": END.isoformat()})
    assert filters["secretary"] and filtered.count() == figure.value
    assert all(m.type == MeetingType.LECTURE and m.by_secretary for m in filtered)
    page = client.get(figure.url).content.decode()
    assert "仅书记讲党课" in page
