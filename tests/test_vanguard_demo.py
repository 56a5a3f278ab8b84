"""The vanguard demo records: plausible, deterministic, and carrying the seed reports' figures."""

from datetime import date

import pytest
from django.db import transaction

from dangjian.demo.builder import REFERENCE_DATE, build
from dangjian.demo.plans import DEMO_REGION_CODE, DEMO_SEED, DEMO_SEED000_SCHOOL, DEMO_SEED001_BRANCH, demo_plan
from dangjian.vanguard import demo, selectors
from dangjian.vanguard.models import Article, DutyPost, Honour, Lesson, LessonReview, MentorPair

pytestmark = pytest.mark.django_db
MODELS = (MentorPair, DutyPost, Lesson, LessonReview, Article, Honour)


def snapshot():
    """Every record as text (related records by name), independent of database ids."""
    out = {}
    for model in MODELS:
        fields = [f.name for f in model._meta.concrete_fields if f.name not in ("id", "created_at", "updated_at")]
        out[model.__name__] = sorted(str([str(getattr(obj, name)) for name in fields]) for obj in model.objects.all())
    return out


def load():
    result = build(demo_plan(), seed=DEMO_SEED, region_code=DEMO_REGION_CODE)
    demo.extend(result, seed=DEMO_SEED, years=1)
    return result


def check_figures(result):
    """The seed reports' figures, and nothing dated on or after the reference date."""
    year = (date(2025, 9, 1), date(2026, 8, 31))
    seed001 = selectors.summary(result.orgs[DEMO_SEED001_BRANCH], *year)
    assert seed001["lessons"]["total"] == 162 and seed001["lesson_reviews"]["total"] == 338
    assert seed001["posts"]["by_kind"]["safety"] == 23 and seed001["mentor_pairs"] >= 5
    seed000 = selectors.summary(result.orgs[DEMO_SEED000_SCHOOL], *year)
    assert seed000["articles"]["by_platform"]["xuexi"] == 5
    assert seed000["honours"]["people"]["by_kind"]["quality_lesson"] == 13
    assert seed000["honours"]["people"]["by_kind"]["famous_teacher"] + \
        seed000["honours"]["people"]["by_kind"]["famous_head"] == 7
    assert seed000["honours"]["people"]["by_kind"]["star_teacher"] == 10
    for model in (Lesson, LessonReview, Article, Honour):
        assert not model.objects.filter(date__gte=REFERENCE_DATE).exists()
    assert result.counts["vanguard_lessons"] == Lesson.objects.count() > 500
    assert Article.authors.through.objects.exists()


def test_demo_carries_the_seed_figures_and_is_deterministic_from_the_seed():
    snapshots = []
    for i in range(2):
        with transaction.atomic():
            result = load()
            if i == 0:
                check_figures(result)
            snapshots.append(snapshot())
            transaction.set_rollback(True)
    assert snapshots[0] == snapshots[1] and len(snapshots[0]["Lesson"]) > 500
