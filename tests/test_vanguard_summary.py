"""selectors.summary against independent counts; the points sources; fixed query counts."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.orgs.models import Role
from dangjian.points.sources import all_sources
from dangjian.vanguard import selectors
from dangjian.vanguard.models import Article, DutyPost, Honour, Lesson, LessonReview, Level, MentorPair
from dangjian.vanguard.services import school_year_of
from tests.factories import make_person, make_user
from tests.test_vanguard_factories import sample

pytestmark = pytest.mark.django_db


def populate(tree, rng, n):
    """n random records of every kind in school_a's branches and in school_b (which must not be counted)."""
    today = timezone.localdate()
    orgs = [tree["branch_a1"], tree["branch_a2"], tree["group_a1"], tree["school_b"]]
    writer = make_user(role=Role.SECRETARY, org=tree["district"])
    people = {org.pk: [make_person(org) for _ in range(3)] for org in orgs}
    years = [school_year_of(today), school_year_of(today - timedelta(days=400))]
    for i in range(n):
        org = rng.choice(orgs)
        person = rng.choice(people[org.pk])
        when = today - timedelta(days=rng.randrange(0, 500))
        sample("pairs", writer, org, person, apprentice_name=f"徒弟{i}", school_year=rng.choice(years))
        ends = rng.choice([None, when + timedelta(days=rng.randrange(0, 200))])
        sample("posts", writer, org, person, kind=rng.choice(DutyPost.Kind.values), starts_on=when, ends_on=ends)
        sample("lessons", writer, org, person, date=when, kind=rng.choice(Lesson.Kind.values),
               level=rng.choice(Level.values), result=rng.choice(["", "一等奖"]))
        sample("reviews", writer, org, person, date=when, role=rng.choice(LessonReview.Role.values))
        sample("articles", writer, org, person, date=when, platform=rng.choice(Article.Platform.values),
               level=rng.choice(Level.values))
        if rng.random() < 0.5:
            sample("honours", writer, org, person, date=when, level=rng.choice(Level.values),
                   kind=rng.choice(["excellent_member", "famous_teacher", "other"]))
        else:
            sample("honours", writer, org, None, date=when, level=rng.choice(Level.values),
                   kind=rng.choice(["advanced_org", "brand", "demo_site"]), recipient_org=org)
    return today


def test_summary_equals_independent_counts(tree):
    today = populate(tree, random.Random(6), 40)
    org, start, end = tree["school_a"], today - timedelta(days=365), today
    f = selectors.summary(org, start, end)

    def inside(qs):
        return [r for r in qs if r.org.path.startswith(org.path)]

    def dated(model):
        return [r for r in inside(model.objects.select_related("org")) if start <= r.date <= end]

    pairs = [p for p in inside(MentorPair.objects.select_related("org")) if p.school_year == school_year_of(end)]
    assert f["mentor_pairs"] == len(pairs) and f["mentors"] == len({p.mentor_id for p in pairs})
    posts = [p for p in inside(DutyPost.objects.select_related("org"))
             if p.starts_on <= end and (p.ends_on is None or p.ends_on >= start)]
    assert f["posts"]["total"] == len(posts)
    for kind in DutyPost.Kind.values:
        assert f["posts"]["by_kind"][kind] == sum(1 for p in posts if p.kind == kind)
    lessons = dated(Lesson)
    assert f["lessons"]["total"] == len(lessons)
    assert f["lessons"]["awarded"] == sum(1 for r in lessons if r.result)
    for kind in Lesson.Kind.values:
        assert f["lessons"]["by_kind"][kind] == sum(1 for r in lessons if r.kind == kind)
        for level in Level.values:
            assert f["lessons"]["by_kind_level"][kind][level] == sum(
                1 for r in lessons if r.kind == kind and r.level == level)
    reviews = dated(LessonReview)
    assert f["lesson_reviews"]["total"] == len(reviews)
    assert f["lesson_reviews"]["by_role"]["evaluate"] == sum(1 for r in reviews if r.role == "evaluate")
    articles = dated(Article)
    for platform in Article.Platform.values:
        assert f["articles"]["by_platform"][platform] == sum(1 for r in articles if r.platform == platform)
    for level in Level.values:
        assert f["articles"]["by_level"][level] == sum(1 for r in articles if r.level == level)
    honours = dated(Honour)
    people = [h for h in honours if h.person_id]
    orgs = [h for h in honours if h.recipient_org_id]
    assert f["honours"]["total"] == len(honours)
    assert f["honours"]["people"]["total"] == len(people) and f["honours"]["orgs"]["total"] == len(orgs)
    assert f["honours"]["people_honoured"] == len({h.person_id for h in people})
    for level in Level.values:
        assert f["honours"]["people"]["by_level"][level] == sum(1 for h in people if h.level == level)
        assert f["honours"]["orgs"]["by_level"][level] == sum(1 for h in orgs if h.level == level)
    for kind in Honour.Kind.values:
        assert f["honours"]["orgs"]["by_kind"][kind] == sum(1 for h in orgs if h.kind == kind)
    assert f["lessons"]["total"] > 0 and f["honours"]["orgs"]["total"] > 0   # the test data is not empty


def test_the_seed_001_figures_are_counted_by_date_inclusive(tree):
    """Seed 001: 162 lessons given and 338 lessons attended or evaluated in the year."""
    writer = make_user(role=Role.SECRETARY, org=tree["branch_a1"])
    teacher = make_person(tree["branch_a1"])
    start, end = date(2024, 1, 1), date(2024, 12, 31)
    for i in range(162):
        sample("lessons", writer, tree["branch_a1"], teacher, date=start + timedelta(days=i * 2),
               kind=["demo", "observation", "contest"][i % 3])
    for i in range(338):
        sample("reviews", writer, tree["branch_a1"], teacher, date=end - timedelta(days=i),
               role="attend" if i % 2 else "evaluate")
    sample("lessons", writer, tree["branch_a1"], teacher, date=end + timedelta(days=1))   # the day after: not counted
    sample("reviews", writer, tree["branch_a1"], teacher, date=start - timedelta(days=1))  # the day before: not counted
    f = selectors.summary(tree["branch_a1"], start, end)
    assert f["lessons"]["total"] == 162 and f["lessons"]["by_kind"]["demo"] == 54
    assert f["lesson_reviews"]["total"] == 338 and f["lesson_reviews"]["by_role"] == {"attend": 169, "evaluate": 169}
    assert selectors.summary(tree["school_b"], start, end)["lessons"]["total"] == 0


def test_summary_issues_a_fixed_number_of_queries(tree):
    today = timezone.localdate()
    populate(tree, random.Random(1), 2)
    with CaptureQueriesContext(connection) as small:
        selectors.summary(tree["district"], today - timedelta(days=365), today)
    populate(tree, random.Random(2), 20)
    with CaptureQueriesContext(connection) as large:
        selectors.summary(tree["district"], today - timedelta(days=365), today)
    assert len(small) == len(large) == 7


def test_points_sources_count_lessons_articles_and_honours_per_person(tree):
    sources = all_sources()
    assert {"vanguard.lessons", "vanguard.articles", "vanguard.honours"} <= set(sources)
    assert (sources["vanguard.articles"].label, sources["vanguard.articles"].unit) == ("发表宣传稿件", "篇")
    writer = make_user(role=Role.SECRETARY, org=tree["school_a"])
    a, b = make_person(tree["branch_a1"], name="甲"), make_person(tree["branch_a2"], name="乙")
    day = date(2024, 6, 1)
    sample("lessons", writer, tree["branch_a1"], a, date=day, title="分数的意义")
    sample("lessons", writer, tree["branch_a1"], a, date=day)
    sample("lessons", writer, tree["branch_a1"], a, date=date(2023, 12, 31))
    sample("articles", writer, tree["school_a"], a, date=day, authors=[a, b])
    sample("honours", writer, tree["branch_a2"], b, date=day)
    ids, start, end = [a.pk, b.pk], date(2024, 1, 1), date(2024, 12, 31)
    with CaptureQueriesContext(connection) as queries:
        counts = {key: sources[key].count(ids, start, end) for key in ("vanguard.lessons", "vanguard.articles",
                                                                         "vanguard.honours")}
    assert len(queries) == 3
    assert counts["vanguard.lessons"] == {a.pk: Decimal(2)}
    assert counts["vanguard.articles"] == {a.pk: Decimal(1), b.pk: Decimal(1)}
    assert counts["vanguard.honours"] == {b.pk: Decimal(1)}
    explained = sources["vanguard.lessons"].explain(a, start, end)
    assert len(explained) == 2 and explained[0][0] == day and "分数的意义" in explained[0][1]
    assert sources["vanguard.honours"].explain(b, start, end)[0][2] == Decimal(1)
