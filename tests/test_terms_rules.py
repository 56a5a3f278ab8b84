"""换届 arithmetic at its edges (DOMAIN §6, §8): the ⅘ quorum, the 差额 ratio (ceil rule), winners > ½ of present,
tallies that do not add up, term ends (leap years) and the T−90 / T−60 / overdue thresholds."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dangjian.compliance.engine import Rulebook
from dangjian.orgs.models import OrgKind
from dangjian.terms.selectors import State, judge, term_end
from dangjian.terms.services import count_votes, minimum_candidates


def tally(votes, *, seats=3, due=10, present=9, cast=None, invalid=0, blank=0, method="competitive", override=""):
    return count_votes(seats=seats, due=due, present=present, ballots_cast=present if cast is None else cast,
                       invalid=invalid, blank=blank, votes=votes, method=method, override_reason=override)


def refused(match, votes=(9, 8, 7, 1), **kw):
    with pytest.raises(ValidationError, match=match):
        tally(list(votes), **kw)


# --- quorum: more than ⅘ of the electors due ---------------------------------------------------

def test_exactly_four_fifths_present_is_not_enough():
    refused("五分之四", due=10, present=8)
    assert tally([9, 9, 8, 1], due=10, present=9).winners


def test_four_fifths_of_an_odd_number():
    refused("至少5人", votes=(4, 4, 4, 1), due=6, present=4)   # 4/6 < ⅘
    assert tally([5, 5, 5, 0], due=6, present=5).winners       # 5/6 > ⅘


def test_present_above_due_names_the_elector_rule():
    refused("预备党员", due=10, present=11)


# --- 差额: candidates ≥ seats × 120 %, rounded up -----------------------------------------------

@pytest.mark.parametrize("seats, need", [(1, 2), (3, 4), (5, 6), (7, 9), (10, 12)])
def test_minimum_candidates_rounds_up(seats, need):
    assert minimum_candidates(seats, 20) == need


def test_five_seats_need_six_candidates():
    refused("至少6名候选人", votes=(9, 9, 9, 9, 9), seats=5, method="equal")
    assert len(tally([9, 9, 9, 9, 8, 1], seats=5).winners) == 5


def test_three_seats_with_four_candidates_is_enough_and_with_three_is_equal():
    assert tally([9, 8, 7, 1]).winners == [0, 1, 2]
    refused("等额选举", votes=(9, 8, 7))


def test_equal_election_is_refused_unless_explained():
    refused("差额选举的候选人数", votes=(9, 8, 7), method="equal")
    outcome = tally([9, 8, 7], method="equal", override="上级党组织同意等额选举")
    assert outcome.winners == [0, 1, 2] and "上级党组织同意" in outcome.note


# --- tallies that do not add up ------------------------------------------------------------------

def test_more_ballots_than_present_is_refused():
    refused("收回选票数（10）多于实到", present=9, cast=10)


def test_candidate_with_more_votes_than_ballots_is_refused():
    refused("第1名候选人的得票数（10）", votes=(10, 8, 7, 1), present=9)


def test_invalid_ballots_do_not_count_and_blank_ballots_mark_nobody():
    refused("得票数（9）多于填写了选举人的有效票数（8）", votes=(9, 8, 7, 1), invalid=1)
    refused("得票数（9）多于填写了选举人的有效票数（7）", votes=(9, 7, 7, 1), invalid=1, blank=1)
    refused("无效票与空白票之和", invalid=5, blank=5)


def test_total_votes_cannot_exceed_what_the_ballots_could_carry():
    refused("得票总数（10）多于有效选票所能投出的票数", votes=(5, 5), seats=1, present=9, cast=5)


# --- winners: yes > ½ of present, by votes, up to the seats ------------------------------------

def test_half_of_present_exactly_does_not_win():
    outcome = tally([9, 6, 5, 1], due=10, present=10, cast=10)
    assert outcome.winners == [0, 1]           # 5 of 10 is not more than half
    assert "少于应选名额" in outcome.note


def test_winners_are_ordered_by_votes_and_capped_at_the_seats():
    assert tally([6, 9, 7, 5]).winners == [1, 2, 0]     # 5 votes of 9 present would win, but the seats are full


def test_a_tie_at_the_last_seat_elects_neither():
    outcome = tally([9, 6, 6, 6])
    assert outcome.winners == [0]
    assert "重新投票" in outcome.note


# --- term arithmetic -----------------------------------------------------------------------------

def test_term_end_is_calendar_years_and_leap_days_fall_back():
    assert term_end(date(2022, 6, 15), 3) == date(2025, 6, 15)
    assert term_end(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert term_end(date(2024, 2, 29), 5) == date(2029, 2, 28)
    assert term_end(date(2024, 2, 29), 4) == date(2028, 2, 29)


class _Org:
    def __init__(self, kind):
        self.kind, self.path, self.pk = kind, "0001", 1


def state_on(on, held=date(2022, 6, 15), kind=OrgKind.BRANCH, extended=None):
    org = _Org(kind)
    return judge(org, held, extended, Rulebook([]), on).state


@pytest.mark.parametrize("on, state", [
    (date(2025, 3, 16), State.OK),        # T−91
    (date(2025, 3, 17), State.NOTICE),    # T−90 (DOMAIN §8 example)
    (date(2025, 3, 18), State.NOTICE),
    (date(2025, 4, 15), State.NOTICE),    # T−61
    (date(2025, 4, 16), State.SOON),      # T−60
    (date(2025, 4, 17), State.SOON),
    (date(2025, 6, 14), State.SOON),
    (date(2025, 6, 15), State.SOON),      # the term end itself: still due, not overdue
    (date(2025, 6, 16), State.OVERDUE),   # the day after
])
def test_branch_elected_2022_06_15_thresholds(on, state):
    assert state_on(on) == state


def test_party_committee_term_is_five_years_from_a_leap_day():
    # 2024-02-29 + 5 years = 2029-02-28; T−90 = 2028-11-30.
    assert state_on(date(2028, 11, 29), held=date(2024, 2, 29), kind=OrgKind.PARTY_COMMITTEE) == State.OK
    assert state_on(date(2028, 11, 30), held=date(2024, 2, 29), kind=OrgKind.PARTY_COMMITTEE) == State.NOTICE
    assert state_on(date(2029, 2, 28), held=date(2024, 2, 29), kind=OrgKind.PARTY_COMMITTEE) == State.SOON
    assert state_on(date(2029, 3, 1), held=date(2024, 2, 29), kind=OrgKind.PARTY_COMMITTEE) == State.OVERDUE


def test_general_branch_from_a_leap_day_ends_on_28_february():
    held = date(2024, 2, 29)
    assert state_on(date(2027, 2, 28), held=held, kind=OrgKind.GENERAL_BRANCH) == State.SOON
    assert state_on(date(2027, 3, 1), held=held, kind=OrgKind.GENERAL_BRANCH) == State.OVERDUE


def test_an_approved_extension_moves_the_thresholds():
    extended = date(2025, 12, 15)
    assert state_on(date(2025, 6, 16), extended=extended) == State.EXTENDED
    assert state_on(date(2025, 9, 15), extended=extended) == State.EXTENDED   # T−91 of the extension
    assert state_on(date(2025, 9, 16), extended=extended) == State.NOTICE
    assert state_on(date(2025, 10, 16), extended=extended) == State.SOON
    assert state_on(date(2025, 12, 15), extended=extended) == State.SOON
    assert state_on(date(2025, 12, 16), extended=extended) == State.OVERDUE


def test_no_election_is_listed_as_without_record():
    assert state_on(date(2025, 1, 1), held=None) == State.NONE
