"""Demo and synthetic elections: each 党委 / 党总支 / 党支部 with a committee gets the election that chose it
(shortly before the seats' start date, approved on that date by the parent organisation), with 差额 candidates,
a quorum above ⅘ and winners above ½ of those present. Two deliberate cases relative to the reference date
(2026-09-01): one branch's term ends 45 days after it (即将到期), another's ended 73 days before it (逾期).
Organisations without a committee have no election on record (无换届记录). Deterministic from `seed`.
"""

import random
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from dangjian.demo.builder import REFERENCE_DATE
from dangjian.demo.subtrees import Subtrees
from dangjian.orgs.models import CommitteePost, Organisation

from .models import ELECTING_KINDS, Candidate, Election
from .services import minimum_candidates

DUE_SOON_BRANCH = "DEMO-S06"     # 育才小学党支部: term ends REFERENCE_DATE + 45 days
OVERDUE_BRANCH = "DEMO-S07"      # 城南小学党支部: term ended REFERENCE_DATE − 73 days
BRANCH_YEARS = 3
PERCENT = 20


class _Electorate:
    """Who has a vote where: the people indexed by organisation once, a subtree's organisations by binary search
    over the sorted paths, so each election reads only its own organisation's (or subtree's) people.

    `electors(org, on)` is the ids of the people with a vote in `org` on `on` (正式党员 by then, on the
    organisation's roster by then): a branch's own people, or everyone in a 党委 / 党总支's subtree, in the order
    of `people`."""

    BRANCH_KINDS = ("branch", "joint_branch")

    def __init__(self, people, starts, orgs):
        self.people, self.starts = people, starts
        self.subtrees = Subtrees(orgs)
        self.by_org = defaultdict(list)
        for index, person in enumerate(people):
            self.by_org[person.org_id].append(index)

    def electors(self, org, on):
        if org.kind in self.BRANCH_KINDS:
            indexes = self.by_org.get(org.pk, [])
        else:
            indexes = sorted(i for o in self.subtrees.within(org.path) for i in self.by_org.get(o.pk, ()))
        out = []
        for i in indexes:
            person = self.people[i]
            if person.status != "full" or not person.full_member_on or person.full_member_on > on \
                    or self.starts[i] > on:
                continue
            out.append(person.pk)
        return out


def _held_on(rng, org, started):
    if org.code == DUE_SOON_BRANCH:
        return REFERENCE_DATE + timedelta(days=45) - relativedelta(years=BRANCH_YEARS)
    if org.code == OVERDUE_BRANCH:
        return REFERENCE_DATE - timedelta(days=73) - relativedelta(years=BRANCH_YEARS)
    return max(org.founded_on, started - timedelta(days=rng.randint(7, 30)))


def extend(result, *, seed, years=1):
    rng = random.Random(f"dangjian-terms-{seed}")
    orgs = {o.pk: o for o in result.orgs.values() if o.kind in ELECTING_KINDS}
    by_path = {o.path: o for o in result.orgs.values()}
    parents = {o.pk: by_path.get(o.path[:-Organisation.steplen]) for o in orgs.values()}
    seats = defaultdict(list)
    for org_id, person_id, post, started in (
            CommitteePost.objects.filter(org_id__in=list(orgs), ended_on__isnull=True,
                                         post__in=CommitteePost.COMMITTEE_POSTS)
            .order_by("org_id", "id").values_list("org_id", "person_id", "post", "started_on")):
        seats[org_id].append((person_id, post, started))
    starts = [rec.membership_start for rec in result.generated.people]
    electorate = _Electorate(result.people, starts, result.orgs.values())
    elections, ballots = [], []
    for org_id in sorted(seats):
        org, holders = orgs[org_id], seats[org_id]
        started = min(s for _, _, s in holders)
        held = _held_on(rng, org, started)
        electors = electorate.electors(org, held)
        holder_ids = [pid for pid, _, _ in holders]
        pool = sorted(set(electors) | set(holder_ids))
        due = len(pool)
        n_seats = len(holders)
        others = [pid for pid in pool if pid not in holder_ids]
        extra = minimum_candidates(n_seats, PERCENT) - n_seats
        chosen = rng.sample(others, min(extra, len(others)))
        present = due - rng.randint(0, due - (due * 4 // 5 + 1))
        invalid = 1 if present > 20 and rng.random() < 0.3 else 0
        marked = present - invalid
        floor = present // 2 + 1
        votes = [max(floor, marked - rng.randint(0, 3)) for _ in holders]
        budget = n_seats * marked - sum(votes)
        loser_votes = []
        for _ in chosen:
            v = min(rng.randint(0, present // 2), max(0, budget))
            budget -= v
            loser_votes.append(v)
        parent = parents.get(org_id)
        approved = max(started, held)
        competitive = len(chosen) == extra
        election = Election(
            org=org, held_on=held, method=Election.Method.COMPETITIVE if competitive else Election.Method.EQUAL,
            seats=n_seats, electors_due=due, electors_present=present, ballots_cast=present, invalid_ballots=invalid,
            override_reason="" if competitive else "党员人数少，经上级党组织同意实行等额选举",
            result_note=(f"应到{due}人，实到{present}人（超过五分之四）；收回选票{present}张，有效{marked}张。"
                         f"得票须超过实到人数的一半（{floor}票及以上）方能当选。"),
            status=Election.Status.APPROVED, approval_authority=parent.name if parent else "上级党组织",
            approval_no=f"组字〔{approved.year}〕{rng.randint(1, 60)}号", approved_on=approved)
        order = sorted(range(n_seats), key=lambda i: -votes[i])
        rank = {i: n + 1 for n, i in enumerate(order)}
        elections.append(election)
        ballots.append([(pid, votes[i], True, rank[i], post) for i, (pid, post, _) in enumerate(holders)]
                       + [(pid, v, False, None, "") for pid, v in zip(chosen, loser_votes)])
    Election.objects.bulk_create(elections, batch_size=500)
    Candidate.objects.bulk_create(
        [Candidate(election=e, person_id=pid, votes=v, elected=won, rank=r, post=post)
         for e, rows in zip(elections, ballots) for pid, v, won, r, post in rows], batch_size=2000)
    result.counts.update(terms_elections=len(elections))
