"""Record factories the vanguard tests and matrices share (no tests here)."""

from datetime import timedelta

from django.utils import timezone

from dangjian.vanguard import services
from dangjian.vanguard.services import school_year_of
from tests.factories import make_person

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
KINDS = ["pairs", "posts", "lessons", "reviews", "articles", "honours"]


AUTO = object()


def sample(what, actor, org, person=AUTO, **overrides):
    """One valid record of `what` in `org` (person: a Person of the org, made if not given; None: none)."""
    person = make_person(org) if person is AUTO else person
    today = timezone.localdate()
    if what == "pairs":
        fields = dict(mentor=person, apprentice_name=overrides.pop("apprentice_name", f"青年教师{person.pk}"),
                      subject="语文", school_year=school_year_of(today), goals="一年内上好一节区级公开课")
        return services.mentor_pair_create(actor=actor, org=org, **fields | overrides)
    if what == "posts":
        fields = dict(kind="safety", name="二楼东楼梯口", place="教学楼二楼", time_slot="周一 7:30-8:00", member=person,
                      starts_on=today - timedelta(days=30))
        return services.duty_post_create(actor=actor, org=org, **fields | overrides)
    if what == "lessons":
        fields = dict(teacher=person, date=today, title="《荷塘月色》", subject="语文", kind="demo", level="district",
                      result="")
        return services.lesson_create(actor=actor, org=org, **fields | overrides)
    if what == "reviews":
        fields = dict(person=person, date=today, role="attend", lesson_title="《背影》")
        return services.lesson_review_create(actor=actor, org=org, **fields | overrides)
    if what == "articles":
        fields = dict(title="党员教师送教下乡", date=today, platform="wechat", level="school", url="",
                      authors=[person], author_names="")
        return services.article_create(actor=actor, org=org, **fields | overrides)
    if what == "honours":
        fields = dict(title="优秀共产党员", kind="excellent_member", level="district", date=today, issuer="区教育工委",
                      person=person)
        return services.honour_create(actor=actor, org=org, **fields | overrides)
    raise KeyError(what)
