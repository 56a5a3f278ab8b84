"""The demo's elections: consistent with the committees, one term due soon and one overdue on the reference
date, organisations without a committee listed as without record."""

from dangjian.compliance.engine import findings_for
from dangjian.demo import plans
from dangjian.demo.builder import REFERENCE_DATE
from dangjian.orgs.models import CommitteePost, Organisation
from dangjian.terms import demo as terms_demo
from dangjian.terms.models import Election
from dangjian.terms.services import ELECTION
from tests.test_demo import demo  # noqa: F401 (the class-scoped demo fixture)


class TestDemoElections:
    def test_every_committee_was_elected_by_the_rules(self, db, demo):  # noqa: F811
        elections = list(Election.objects.filter(org__path__startswith=demo.path).prefetch_related("candidates"))
        assert len(elections) > 40
        for e in elections:
            winners = [c for c in e.candidates.all() if c.elected]
            assert ELECTION.quorum.met(e.electors_present, e.electors_due)
            assert all(ELECTION.passing.met(c.votes, e.electors_present) for c in winners)
            assert all(c.votes < min(w.votes for w in winners) for c in e.candidates.all() if not c.elected)
            seats = set(CommitteePost.objects.filter(org=e.org, ended_on__isnull=True,
                                                     post__in=CommitteePost.COMMITTEE_POSTS)
                        .values_list("person_id", "post"))
            assert {(c.person_id, c.post) for c in winners} == seats
            if e.method == "competitive":
                assert len(e.candidates.all()) >= -(-e.seats * 6 // 5)

    def test_one_term_due_soon_one_overdue_and_no_record_where_no_committee(self, db, demo):  # noqa: F811
        findings = findings_for(Organisation.objects.subtree_of(demo), on=REFERENCE_DATE, only=["terms"])
        got = {(Organisation.objects.get(pk=f.org_id).code, f.rule_id) for f in findings}
        assert (terms_demo.DUE_SOON_BRANCH, "terms.due_soon") in got
        assert (terms_demo.OVERDUE_BRANCH, "terms.overdue") in got
        assert (plans.DEMO_NO_COMMITTEE_BRANCH, "terms.no_record") in got
        assert {rule for _, rule in got} == {"terms.due_soon", "terms.overdue", "terms.no_record"}
