"""The demo's 民主评议: last year finished within the rules, this year open, the demo member has it to do."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from dangjian.accounts.models import User
from dangjian.compliance.engine import findings_for
from dangjian.core.worklist import todos_for
from dangjian.demo.builder import REFERENCE_DATE
from dangjian.demo.plans import DEMO_SEED001_BRANCH
from dangjian.orgs.models import Organisation
from dangjian.review import rules, selectors
from dangjian.review.models import Grade, Round

pytestmark = pytest.mark.django_db


def test_demo_rounds(settings):
    settings.DEBUG = True
    call_command("demo", stdout=StringIO())
    branch = Organisation.objects.get(code=DEMO_SEED001_BRANCH)
    last = Round.objects.get(org=branch, year=REFERENCE_DATE.year - 1)
    current = Round.objects.get(org=branch, year=REFERENCE_DATE.year)
    assert (last.status, current.status) == (Round.Status.CLOSED, Round.Status.EVALUATING)
    reviewed = last.subjects.filter(exempt=False).count()
    grades = dict(selectors.distribution(last))
    assert sum(grades.values()) == reviewed and grades["不合格"] == 1
    assert grades["优秀"] <= rules.excellent_limit(reviewed, {"numerator": 1, "denominator": 3})
    assert last.subjects.get(final_grade=Grade.UNQUALIFIED).follow_up.closed_on is not None
    figures = selectors.summary(branch, date(REFERENCE_DATE.year - 1, 1, 1), date(REFERENCE_DATE.year - 1, 12, 31))
    assert figures["rounds_closed"] == 1 and figures["staff_ballots"] > 0
    member = User.objects.get(username="member")
    assert [t.title for t in todos_for(member, REFERENCE_DATE) if t.kind == "评议"] == [
        f"完成民主评议自评、互评：{branch.name} {REFERENCE_DATE.year}年度"]
    assert not [f for f in findings_for([branch], on=REFERENCE_DATE, only=["review"])]
