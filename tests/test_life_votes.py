"""Vote thresholds at their edges (DOMAIN §3, §6) and impossible tallies."""

import pytest
from django.core.exceptions import ValidationError

from dangjian.life.models import MeetingType
from dangjian.life.services import VOTE_RULES, evaluate_vote

A = MeetingType.ASSEMBLY


def ev(kind="admission", mt=A, due=9, present=9, yes=0, no=0, abstain=0, wy=0, wn=0):
    return evaluate_vote(kind=kind, meeting_type=mt, due=due, present=present, yes=yes, no=no, abstain=abstain,
                         written_yes=wy, written_no=wn)


def test_quorum_needs_more_than_half_of_due_voters():
    assert not ev(present=4, yes=4).quorum_met
    assert ev(present=5, yes=5).quorum_met
    assert not ev(due=10, present=5, yes=5).quorum_met  # 5 is not more than half of 10
    assert ev(due=10, present=6, yes=6).quorum_met


def test_admission_passes_on_yes_more_than_half_of_voters_due_not_present():
    assert not ev(present=9, yes=4, no=5).passed
    assert ev(present=9, yes=5, no=4).passed
    assert not ev(present=5, yes=4, no=1).passed  # 4 of 5 present is a majority of those present, not of due


def test_written_yes_opinions_of_absent_voters_count_for_admission():
    assert ev(present=5, yes=4, no=1, wy=1).passed
    assert not ev(present=5, yes=4, no=1, wn=1).passed


def test_confirmation_uses_the_admission_rule():
    assert not ev("confirmation", present=9, yes=4, no=5).passed
    assert ev("confirmation", present=9, yes=5, no=4).passed


def test_decision_passes_on_yes_more_than_half_of_due():
    assert not ev("decision", present=9, yes=4, no=5).passed
    assert ev("decision", present=9, yes=5, abstain=4).passed


def test_decision_refuses_written_opinions():
    with pytest.raises(ValidationError, match="不计书面意见"):
        ev("decision", present=5, yes=5, wy=1)


def test_election_quorum_is_more_than_four_fifths():
    assert not ev("election", due=10, present=8, yes=8).quorum_met
    assert ev("election", due=10, present=9, yes=9).quorum_met
    assert not ev("election", due=10, present=8, yes=8).passed


def test_election_winner_needs_more_than_half_of_present():
    assert not ev("election", due=10, present=10, yes=5, no=5).passed
    assert ev("election", due=10, present=10, yes=6, no=4).passed


def test_cadre_in_school_party_meeting_needs_two_thirds_present():
    S = MeetingType.SCHOOL_PARTY
    assert not ev("cadre", S, due=9, present=5, yes=5).quorum_met
    assert ev("cadre", S, due=9, present=6, yes=6).quorum_met  # 6 of 9 is exactly two thirds: 以上 includes it
    assert not ev("cadre", S, due=9, present=6, yes=4, no=2).passed
    assert ev("cadre", S, due=9, present=6, yes=5, no=1).passed


def test_cadre_elsewhere_uses_half():
    assert ev("cadre", MeetingType.COMMITTEE, due=9, present=5, yes=5).quorum_met


def test_no_pass_without_quorum_even_with_enough_written_yes():
    outcome = ev(present=4, yes=4, wy=5)
    assert not outcome.quorum_met and not outcome.passed


@pytest.mark.parametrize("kwargs, message", [
    (dict(present=5, yes=3, no=2, abstain=1), "不能超过实到"),
    (dict(due=9, present=10, yes=1), "不能超过应到"),
    (dict(present=7, yes=7, wy=2, wn=1), "书面意见数"),
    (dict(present=5, yes=-1), "不小于0"),
    (dict(due=0, present=0), "没有应到"),
])
def test_impossible_tallies_are_refused_in_chinese(kwargs, message):
    with pytest.raises(ValidationError, match=message):
        ev(**kwargs)


def test_rule_note_names_the_source_and_fits_the_field():
    note = ev(present=9, yes=5).rule_note
    assert "细则" in note and len(note) <= 200
    assert all(rule.source for rule in VOTE_RULES.values())
