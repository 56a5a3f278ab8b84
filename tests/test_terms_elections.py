"""Recording, approving, deleting elections and extending terms: the rules, the committee seats, the audit trail
and the scope."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.compliance.engine import findings_for
from dangjian.compliance.services import rule_override_set
from dangjian.core.models import AuditLog
from dangjian.members.models import Status
from dangjian.orgs.models import CommitteePost, Organisation, Role
from dangjian.terms import selectors, services, todos
from dangjian.terms.models import Candidate, Election, TermExtension
from tests.factories import make_user
from tests.life_helpers import member

pytestmark = pytest.mark.django_db

HELD = date(2024, 6, 15)


def branch_with_members(tree, n=9, org_key="branch_a2"):
    org = tree[org_key]
    people = [member(org, name=f"党员{chr(0x4e00 + i)}") for i in range(n)]
    return org, people


def record(actor, org, people, *, seats=3, votes=(9, 8, 7, 1), present=9, held=HELD, **kw):
    return services.election_record(actor=actor, org=org, held_on=held, method=kw.pop("method", "competitive"),
                                    seats=seats, electors_present=present, ballots_cast=kw.pop("cast", present),
                                    candidates=list(zip(people, votes)), **kw)


@pytest.fixture
def writer(tree):
    return make_user(role=Role.SECRETARY, org=tree["school_a"])


def test_electors_due_are_full_members_on_the_date_without_probationers_or_party_probation(tree, writer):
    org, people = branch_with_members(tree, 9)
    member(org, status=Status.PROBATIONARY, full_member_on=None)
    member(org, under_party_probation=True)
    member(org, started=date(2024, 7, 1))                        # joined the branch after the election
    member(org, full_member_on=date(2024, 6, 16))                 # 转正 the day after: no vote yet
    election = record(writer, org, people[:4])
    assert election.electors_due == 9
    elected = election.candidates.filter(elected=True).order_by("rank")
    assert [c.person_id for c in elected] == [p.pk for p in people[:3]]
    row = AuditLog.objects.get(object_type="terms.election", event="create")
    assert row.changes["after"]["electors_due"] == 9


def test_present_above_due_because_probationers_were_counted_is_refused_and_nothing_saved(tree, writer):
    org, people = branch_with_members(tree, 9)
    member(org, status=Status.PROBATIONARY, full_member_on=None)
    with pytest.raises(ValidationError, match="预备党员"):
        record(writer, org, people[:4], present=10, votes=(10, 9, 8, 1))
    assert not Election.objects.exists() and not Candidate.objects.exists()


def test_a_candidate_who_is_not_a_full_member_of_the_organisation_is_refused(tree, writer):
    org, people = branch_with_members(tree, 9)
    probationer = member(org, status=Status.PROBATIONARY, full_member_on=None)
    outsider = member(tree["branch_a1"])
    for person in (probationer, outsider):
        with pytest.raises(ValidationError, match=f"{person.name}不是本组织在选举日有被选举权的正式党员"):
            record(writer, org, [*people[:3], person])
    assert not Election.objects.exists()


def test_quorum_of_exactly_four_fifths_is_refused(tree, writer):
    org, people = branch_with_members(tree, 10)
    with pytest.raises(ValidationError, match="五分之四"):
        record(writer, org, people[:4], present=8, votes=(8, 7, 6, 1))
    assert record(writer, org, people[:4], present=9).electors_due == 10


def test_future_dates_duplicates_and_non_electing_kinds_are_refused(tree, writer):
    org, people = branch_with_members(tree, 9)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        record(writer, org, people[:4], held=date(2999, 1, 1))
    record(writer, org, people[:4])
    with pytest.raises(ValidationError, match="已有选举记录") as exc:
        record(writer, org, people[:4])
    assert exc.value.error_dict["held_on"][0].code == "conflict"
    with pytest.raises(ValidationError, match="不进行换届选举"):
        record(writer, tree["group_a1"], people[:4])


def test_writers_outside_the_scope_and_readers_cannot_record(tree):
    org, people = branch_with_members(tree, 9)
    outside, reader = make_user(role=Role.SECRETARY, org=tree["school_b"]), make_user(role=Role.VIEWER, org=tree["school_a"])
    for user in (outside, reader):
        with pytest.raises(PermissionDenied):
            record(user, org, people[:4])


def test_competitive_ratio_is_configurable_through_the_rulebook(tree, writer):
    org, people = branch_with_members(tree, 9)
    rule_override_set(actor=make_user(admin_role="system"), org=tree["school_a"], rule_id="terms.competitive",
                      enabled=False, params={}, reason="上级同意等额选举")
    assert record(writer, org, people[:3], method="equal", votes=(9, 8, 7)).seats == 3


def approve(writer, election, on=date(2024, 7, 1)):
    return services.election_approve(actor=writer, election=election, approval_authority="第一片区党委",
                                     approval_no="片党〔2024〕8号", approved_on=on)


def test_approval_needs_one_secretary_then_ends_old_seats_and_writes_the_new_committee(tree, writer):
    org, people = branch_with_members(tree, 9)
    old = CommitteePost.objects.create(org=org, person=people[8], post="secretary", started_on=date(2021, 6, 1))
    election = record(writer, org, people[:4])
    with pytest.raises(ValidationError, match="书记"):
        approve(writer, election)
    winners = {c.person_id: c for c in election.candidates.filter(elected=True)}
    with pytest.raises(ValidationError, match="书记须为1人（现为2人）"):
        services.election_posts_set(actor=writer, election=election, posts={
            winners[people[0].pk].pk: "secretary", winners[people[1].pk].pk: "secretary",
            winners[people[2].pk].pk: "member"})
    services.election_posts_set(actor=writer, election=election, posts={
        winners[people[0].pk].pk: "secretary", winners[people[1].pk].pk: "organisation",
        winners[people[2].pk].pk: "propaganda"})
    with pytest.raises(ValidationError, match="不能早于选举日期"):
        approve(writer, election, on=date(2024, 6, 1))
    approve(writer, election)
    old.refresh_from_db()
    assert old.ended_on == date(2024, 7, 1)
    seats = {s.person_id: s.post for s in CommitteePost.objects.filter(org=org, ended_on__isnull=True)}
    assert seats == {people[0].pk: "secretary", people[1].pk: "organisation", people[2].pk: "propaganda"}
    election.refresh_from_db()
    assert election.is_approved and election.approval_no == "片党〔2024〕8号"
    with pytest.raises(ValidationError, match="已批复"):
        services.election_delete(actor=writer, election=election)
    assert AuditLog.objects.filter(object_type="orgs.committeepost").count() == 4


def test_single_seat_winner_is_the_secretary_by_default(tree, writer):
    org, people = branch_with_members(tree, 5)
    election = record(writer, org, people[:2], seats=1, present=5, votes=(4, 1))
    assert election.candidates.get(elected=True).post == "secretary"
    approve(writer, election)
    assert CommitteePost.objects.get(org=org, ended_on__isnull=True).person == people[0]


def test_delete_before_approval_is_audited_with_what_was_deleted(tree, writer):
    org, people = branch_with_members(tree, 9)
    election = record(writer, org, people[:4])
    services.election_delete(actor=writer, election=election)
    assert not Election.objects.exists() and not Candidate.objects.exists()
    row = AuditLog.objects.get(object_type="terms.election", event="delete")
    assert row.changes["before"]["candidates"][0]["person"] == people[0].name


def test_extension_at_most_one_year_needs_approval_to_count(tree, writer):
    org, people = branch_with_members(tree, 9)
    election = record(writer, org, people[:4], held=date(2022, 6, 15))
    with pytest.raises(ValidationError, match="不超过12个月"):
        services.extension_request(actor=writer, election=election, extended_to=date(2026, 6, 16), reason="学校撤并")
    with pytest.raises(ValidationError, match="须晚于本届任期届满日"):
        services.extension_request(actor=writer, election=election, extended_to=date(2025, 6, 15), reason="学校撤并")
    extension = services.extension_request(actor=writer, election=election, extended_to=date(2026, 6, 15),
                                           reason="学校撤并")
    on = date(2025, 6, 16)
    assert selectors.term_of(org, on).state == selectors.State.OVERDUE      # requested only
    with pytest.raises(ValidationError, match="批准文号"):
        services.extension_approve(actor=writer, extension=extension, approval_authority="片区党委", approval_no="",
                                   approved_on=date(2025, 6, 1))
    services.extension_approve(actor=writer, extension=extension, approval_authority="片区党委",
                               approval_no="片党〔2025〕3号", approved_on=date(2025, 6, 1))
    assert selectors.term_of(org, on).state == selectors.State.EXTENDED
    assert selectors.term_of(org, date(2026, 6, 16)).state == selectors.State.OVERDUE
    assert TermExtension.objects.get().status == "approved"
    assert AuditLog.objects.filter(object_type="terms.termextension").count() == 2


def test_findings_at_the_thresholds_and_for_organisations_without_record(tree, writer):
    org, people = branch_with_members(tree, 9)
    record(writer, org, people[:4], held=date(2022, 6, 15))
    orgs = Organisation.objects.subtree_of(tree["school_a"])

    def found(on):
        return {(f.org_id, f.rule_id) for f in findings_for(orgs, on=on, only=["terms"])}

    assert (org.pk, "terms.notice") not in found(date(2025, 3, 16))
    assert (org.pk, "terms.notice") in found(date(2025, 3, 17))
    assert (org.pk, "terms.due_soon") in found(date(2025, 4, 16))
    assert (org.pk, "terms.due_soon") in found(date(2025, 6, 15))
    assert (org.pk, "terms.overdue") in found(date(2025, 6, 16))
    without = {(tree["school_a"].pk, "terms.no_record"), (tree["branch_a1"].pk, "terms.no_record")}
    assert without <= found(date(2025, 1, 1))
    assert not any(o == tree["group_a1"].pk for o, _ in found(date(2025, 1, 1)))
    assert (org.pk, "terms.no_record") in found(date(2022, 6, 14))   # as of a day before the election


def test_todos_show_writers_terms_due_within_90_days(tree, writer):
    org, people = branch_with_members(tree, 9)
    record(writer, org, people[:4], held=date(2022, 6, 15))
    assert todos.todos_for(writer, date(2025, 3, 16)) == []
    items = todos.todos_for(writer, date(2025, 3, 17))
    assert len(items) == 1 and "还有90天" in items[0].title and not items[0].overdue
    assert todos.todos_for(writer, date(2025, 6, 16))[0].overdue
    assert todos.todos_for(make_user(role=Role.VIEWER, org=tree["school_a"]), date(2025, 6, 16)) == []


def test_summary_counts_elections_on_time_late_and_overdue(tree, writer):
    org, people = branch_with_members(tree, 9)
    record(writer, org, people[:4], held=date(2021, 6, 15))
    record(writer, org, people[:4], held=date(2024, 6, 15))   # on the term end: on time
    other, others = branch_with_members(tree, 9, "branch_a1")
    record(writer, other, others[:4], held=date(2020, 3, 1))
    record(writer, other, others[:4], held=date(2024, 3, 1))  # a year late
    result = selectors.summary(tree["school_a"], date(2024, 1, 1), date(2024, 12, 31))
    assert result == {"held": 2, "on_time": 1, "late": 1, "overdue": 0, "without_record": 1}
    assert selectors.summary(tree["school_a"], date(2023, 1, 1), date(2023, 12, 31))["overdue"] == 1
