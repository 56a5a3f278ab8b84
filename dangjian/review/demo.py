"""Demo 民主评议 in the seed-001 branch (新华小学党支部): last year's round finished (grades within the ⅓ rule,
one 不合格 with a 限期改正 follow-up that was closed, staff evaluation of the branch) and this year's round open
(自评互评) on the reference date, where the committee members have already self-reviewed and voted and everybody
else (the demo member included: he holds no post) still has it on the to-do list. Deterministic from `seed`.
"""

import hashlib
import random
from datetime import date

from dangjian.demo.builder import REFERENCE_DATE
from dangjian.demo.plans import DEMO_SEED001_BRANCH

from . import rules

WEIGHTS = {"excellent": 0.35, "qualified": 0.58, "basic": 0.05, "unqualified": 0.02}
WEAK = {"excellent": 0.02, "qualified": 0.3, "basic": 0.38, "unqualified": 0.3}
BRANCH_WEIGHTS = {"satisfied": 0.8, "basic": 0.17, "unsatisfied": 0.03}
SELF_REVIEW = ("本年度认真学习党的创新理论，按时参加组织生活，按时足额交纳党费。教学上{a}，"
               "积极参加志愿服务。不足之处：{b}。今后将进一步加强学习，发挥党员先锋模范作用。")
STRENGTHS = ["承担毕业班教学任务，成绩稳中有升", "主动承担公开课和示范课", "带教青年教师，师徒结对效果良好",
             "坚持家访，关心学困生成长", "参与课后服务，认真负责"]
WEAKNESSES = ["理论学习的深度还不够", "批评与自我批评不够大胆", "联系群众还不够主动", "创新意识有待加强"]
COMMENTS = ["工作认真负责，起到了示范作用", "希望多关心青年教师", "建议加强理论学习", "团结同事，乐于助人",
            "课堂教学效果好，家长认可"]


def _pick(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def extend(result, *, seed, years):
    from dangjian.members.models import PARTY_MEMBER_STATUSES

    branch = result.orgs.get(DEMO_SEED001_BRANCH)
    if branch is None:
        return
    rng = random.Random(f"dangjian-review-{seed}")
    members = sorted((p for p in result.people if p.org_id == branch.pk and p.status in PARTY_MEMBER_STATUSES),
                     key=lambda p: (p.name, p.pk))
    if len(members) < 3:
        return
    seats = {result.people[post.person_index].pk for post in result.generated.posts if post.org_code == branch.code}
    year = REFERENCE_DATE.year
    last = _round(branch, year - 1, "closed", date(year - 1, 12, 1), date(year - 1, 12, 31),
                  opened_on=date(year - 1, 12, 1), committee_on=date(year - 1, 12, 24), closed_on=date(year - 1, 12, 30),
                  note="结合年度组织生活会开展")
    _fill(rng, last, members, voters=set(p.pk for p in members[:-1]), self_reviewed={p.pk for p in members},
          staff=rng.randint(18, 26), weak=members[len(members) // 2].pk, finished=True)
    current = _round(branch, year, "evaluating", date(year, 8, 25), date(year, 9, 15), opened_on=date(year, 8, 25),
                     note="本年度民主评议党员，9月15日前完成自评和互评")
    _fill(rng, current, members, voters=seats, self_reviewed=seats, staff=0, weak=None, finished=False)
    result.counts["review_rounds"] = 2
    result.counts["review_subjects"] = 2 * len(members)


def _round(branch, year, status, starts_on, ends_on, **dates):
    from .models import Round

    return Round.objects.create(org=branch, year=year, status=status, starts_on=starts_on, ends_on=ends_on, **dates)


def _fill(rng, round_, members, *, voters, self_reviewed, staff, weak, finished):
    from .models import Comment, FollowUp, Grade, StaffCode, Subject, Tally, Voter

    subjects = Subject.objects.bulk_create([
        Subject(round=round_, person=p, probationary=p.status == "probationary",
                self_review=SELF_REVIEW.format(a=rng.choice(STRENGTHS), b=rng.choice(WEAKNESSES))
                if p.pk in self_reviewed else "",
                self_review_on=round_.opened_on if p.pk in self_reviewed else None) for p in members])
    counts = {s.pk: {f"{src}_{g}": 0 for src in ("peer", "staff") for g in Grade.values} for s in subjects}
    comments = []

    def ballot(source, exclude=None):
        for s in subjects:
            if s.person_id == exclude:
                continue
            grade = _pick(rng, WEAK if s.person_id == weak else WEIGHTS)
            counts[s.pk][f"{source}_{grade}"] += 1
            if rng.random() < 0.08:
                comments.append(Comment(round=round_, subject=s, source=source, text=rng.choice(COMMENTS)))

    for p in members:
        if p.pk in voters:
            ballot("peer", exclude=p.pk)
    branch_counts = {"satisfied": 0, "basic": 0, "unsatisfied": 0}
    for _ in range(staff):
        ballot("staff")
        branch_counts[_pick(rng, BRANCH_WEIGHTS)] += 1
    Tally.objects.bulk_create([Tally(subject=s, **counts[s.pk]) for s in subjects])
    Voter.objects.bulk_create([Voter(round=round_, person=p, voted=p.pk in voters) for p in members])
    StaffCode.objects.bulk_create([
        StaffCode(round=round_, used=i < staff,
                  digest=hashlib.sha256(f"demo-{round_.year}-{rng.random()}".encode()).hexdigest())
        for i in range(staff + 4 if staff else 0)])
    Comment.objects.bulk_create(comments)
    if staff:
        type(round_).objects.filter(pk=round_.pk).update(**{f"staff_{k}": v for k, v in branch_counts.items()})
    if not finished:
        return
    # Grades: 不合格 for the weak member, 优秀 for the most-named others up to the ⅓ limit less one.
    limit = rules.excellent_limit(len(subjects), {"numerator": 1, "denominator": 3}) - 1
    ranked = sorted((s for s in subjects if s.person_id != weak),
                    key=lambda s: (-counts[s.pk]["peer_excellent"] - counts[s.pk]["staff_excellent"], s.pk))
    excellent = {s.pk for s in ranked[:limit]}
    for s in subjects:
        grade = Grade.UNQUALIFIED if s.person_id == weak else Grade.EXCELLENT if s.pk in excellent else Grade.QUALIFIED
        s.proposed_grade = s.final_grade = grade
    Subject.objects.bulk_update(subjects, ["proposed_grade", "final_grade"])
    unqualified = next(s for s in subjects if s.person_id == weak)
    FollowUp.objects.create(subject=unqualified, measure=FollowUp.Measure.CORRECTION,
                            due_on=date(round_.year + 1, 3, 31), detail="支部书记谈话提醒，限期三个月改正，党小组跟踪帮助",
                            closed_on=date(round_.year + 1, 3, 20), outcome="经教育已改正，按时参加组织生活")
