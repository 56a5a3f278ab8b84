"""书记 ≥ 1 year 党龄 (支条 第二十三条): an election naming a younger 书记 is refused with the rule named."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dangjian.compliance.models import RuleOverride
from dangjian.terms import rules, services
from dangjian.terms.models import Candidate, Election

pytestmark = pytest.mark.django_db


def _election(tree, secretary_full_on):
    from tests.factories import make_person

    org = tree["school_b"]
    person = make_person(org, name="候选书记", full_member_on=secretary_full_on, joined_on=date(2020, 1, 1))
    election = Election.objects.create(org=org, held_on=date(2026, 6, 1), method="competitive", seats=1,
                                       electors_due=5, electors_present=5, ballots_cast=5)
    candidate = Candidate.objects.create(election=election, person=person, votes=5, elected=True, rank=1,
                                         post="member")
    return election, candidate


@pytest.mark.parametrize("full_on, ok", [(date(2025, 6, 2), False), (date(2025, 6, 1), True),
                                         (date(2025, 5, 31), True)])
def test_secretary_party_age_at_its_edge(tree, full_on, ok):
    election, candidate = _election(tree, full_on)
    if ok:
        services.election_posts_set(actor=None, election=election, posts={candidate.pk: "secretary"})
        services.election_approve(actor=None, election=election, approval_authority="片区党委",
                                  approval_no="片〔2026〕1号", approved_on=date(2026, 6, 10))
        assert Election.objects.get(pk=election.pk).status == Election.Status.APPROVED
    else:
        with pytest.raises(ValidationError, match="不能担任书记.*不满1年.*支条 第二十三条"):
            services.election_posts_set(actor=None, election=election, posts={candidate.pk: "secretary"})
        assert Candidate.objects.get(pk=candidate.pk).post == "member"


def test_approval_also_refuses_and_the_rule_is_configurable(tree):
    election, candidate = _election(tree, date(2026, 1, 1))
    Candidate.objects.filter(pk=candidate.pk).update(post="secretary")
    with pytest.raises(ValidationError, match="支条 第二十三条"):
        services.election_approve(actor=None, election=election, approval_authority="片区党委",
                                  approval_no="片〔2026〕1号", approved_on=date(2026, 6, 10))
    assert Election.objects.get(pk=election.pk).status != Election.Status.APPROVED
    RuleOverride.objects.create(org=tree["area"], rule_id=rules.SECRETARY_PARTY_AGE, enabled=False, params={},
                                reason="特殊情况经上级批准")
    services.election_approve(actor=None, election=election, approval_authority="片区党委",
                              approval_no="片〔2026〕1号", approved_on=date(2026, 6, 10))
