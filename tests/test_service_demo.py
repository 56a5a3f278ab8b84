"""The demo district carries a plausible year of service records before the reference date."""

from dateutil.relativedelta import relativedelta

from dangjian.demo.builder import REFERENCE_DATE
from dangjian.service import selectors
from dangjian.service.models import Activity, CareVisit, HardshipFile, HomeVisit, MentorPair, Participant, Partnership
from tests.test_demo import demo  # noqa: F401 - the class-scoped loaded demo


class TestServiceDemo:
    def test_records_of_every_kind_fall_in_the_year_before_the_reference_date(self, db, demo):  # noqa: F811
        first = REFERENCE_DATE - relativedelta(years=1)
        for model in (Activity, HomeVisit, CareVisit):
            dates = model.objects.filter(org__path__startswith=demo.path).values_list("date", flat=True)
            assert dates and first <= min(dates) and max(dates) < REFERENCE_DATE
        assert Participant.objects.filter(activity__org__path__startswith=demo.path).count() > 1000
        assert Partnership.objects.count() and MentorPair.objects.count() and HardshipFile.objects.count()
        recent = Activity.objects.filter(date__gte=REFERENCE_DATE - relativedelta(months=2)).count()
        assert recent > 10

    def test_every_participant_is_a_party_member_of_the_activitys_branch(self, db, demo):  # noqa: F811
        rows = Participant.objects.select_related("activity", "person")
        assert all(r.person.org_id == r.activity.org_id and r.person.status in ("full", "probationary")
                   for r in rows)
        assert all(len(a) <= 10 and not any(ch.isdigit() for ch in a)
                   for a in HomeVisit.objects.values_list("student_alias", flat=True))

    def test_the_district_summary_counts_the_year(self, db, demo):  # noqa: F811
        figures = selectors.summary(demo, REFERENCE_DATE - relativedelta(years=1), REFERENCE_DATE)
        assert figures["activity_totals"]["count"] == Activity.objects.count()
        assert figures["partnerships"]["branches"] > 10 and figures["home_visits"]["total"] == HomeVisit.objects.count()
        assert figures["care"]["totals"]["money"] > 0
