"""Demo and synthetic 发展党员 files for the people in the pipeline (入党申请人, 积极分子, 发展对象, 预备党员),
consistent with their status and dates, computed against the demo reference date (never today):

- 申请人: step ① on the applied date; ② the talk 5–25 days later — except for applications of the last 30 days
  (talk due soon) and one in eight of the last 31–45 days (talk overdue on the reference date);
- 积极分子: ①–⑤ and a 培养教育考察 every 5–6 months since the activist date (the next review falls due at some point
  of the following six months; one in ten has skipped the last one, so it is overdue);
- 发展对象: ①–⑦ a full year after becoming an activist, then ⑧–⑪ as far as time allows;
- 预备党员: ①–⑰ ending with the 支部大会 on the joined date and approval 3–8 weeks later, then ⑱–㉑ as time allows
  (those admitted 11–12 months before the reference date have their 转正 discussion due soon).
People of the branch who are 正式党员 serve as talker, 培养联系人 and 入党介绍人. Where the builder's dates leave
less than a year between activist and 发展对象, the step is stored as an override with its reason (history).
Deterministic from `seed`; two bulk inserts.
"""

import random
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from dangjian.demo.builder import REFERENCE_DATE

from .models import DevelopmentFile, DevelopmentStep

BATCH = 2000
PIPELINE = ("applicant", "activist", "candidate", "probationary")


def _reviews(rng, start, end):
    out, d = [], start
    while True:
        d = d + relativedelta(months=5) + timedelta(days=rng.randint(0, 25))
        if d >= end:
            return out
        out.append(d)


def _timeline(rng, person, ref):
    """[(number, date, extra)] for one person."""
    applied = person.applied_on or person.status_since or ref
    talk = applied + timedelta(days=rng.randint(5, 25))
    status = person.status
    steps = [(1, applied, {})]
    age = (ref - applied).days
    if status == "applicant":
        if talk <= ref and not (age <= 30 or (age <= 45 and rng.random() < 0.125)):
            steps.append((2, talk, {}))
        return steps
    if status == "activist":
        activist = person.status_since
    elif status == "candidate":
        candidate = person.status_since
        activist = candidate - relativedelta(years=1) - timedelta(days=rng.randint(0, 30))
    else:
        assembly = person.joined_on
        candidate = assembly - relativedelta(months=4) - timedelta(days=rng.randint(0, 30))
        activist = candidate - relativedelta(years=1) - timedelta(days=rng.randint(0, 30))
    short_year = False
    if activist <= talk:
        activist, short_year = talk + timedelta(days=7), True
    steps += [(2, talk, {}), (3, activist, {}), (4, activist + timedelta(days=7), {"approval_no": "备"}),
              (5, activist + timedelta(days=10), {"contacts": True})]
    end = ref if status == "activist" else candidate
    reviews = _reviews(rng, activist, end) or [min(end, activist + timedelta(days=30))]
    if status == "activist" and len(reviews) > 1 and rng.random() < 0.1:
        reviews = reviews[:-1]
    steps += [(6, d, {}) for d in reviews]
    if status == "activist":
        return steps
    steps.append((7, candidate, {"override": short_year or candidate < activist + relativedelta(years=1)}))
    stage3 = [(8, 5, {"approval_no": "备"}), (9, 10, {"sponsors": True}), (10, 30, {"conclusion": True}),
              (11, 50, {"training": True})]
    if status == "candidate":
        steps += [(n, candidate + timedelta(days=d), x) for n, d, x in stage3 if candidate + timedelta(days=d) <= ref]
        return steps
    steps += [(n, min(candidate + timedelta(days=d), assembly), x) for n, d, x in stage3]
    approval = assembly + timedelta(days=min(rng.randint(20, 55), max(0, (ref - assembly).days)))
    steps += [(12, assembly - timedelta(days=40), {}),
              (13, assembly - timedelta(days=20), {"publicity": True, "approval_no": ""}),
              (14, assembly - timedelta(days=10), {}), (15, assembly, {}),
              (16, assembly + timedelta(days=min(10, (approval - assembly).days)), {"talker_name": "上级党委组织员"}),
              (17, approval, {"approval_no": "批"})]
    later = [(18, approval + timedelta(days=10), {"approval_no": "备"}), (19, approval + timedelta(days=12), {}),
             (20, approval + timedelta(days=20), {}), (21, assembly + relativedelta(months=6), {})]
    steps += [(n, d, x) for n, d, x in later if d <= ref]
    return steps


def extend(result, *, seed, years):
    rng = random.Random(f"pipeline-{seed}")
    ref = REFERENCE_DATE
    full_of = defaultdict(list)
    for p in result.people:
        if p.status == "full" and not p.under_party_probation:
            full_of[p.org_id].append(p.pk)
    candidates = [p for p in result.people if p.status in PIPELINE]
    files = [DevelopmentFile(person_id=p.pk, org_id=p.org_id, applied_on=p.applied_on or p.status_since or ref)
             for p in candidates]
    DevelopmentFile.objects.bulk_create(files, batch_size=BATCH)
    rows = []
    for p, f in zip(candidates, files):
        members = full_of.get(p.org_id, [])
        one = members[0] if members else None
        two = members[1] if len(members) > 1 else None
        for number, d, extra in _timeline(rng, p, ref):
            row = DevelopmentStep(file_id=f.pk, number=number, date=d)
            if number == 2:
                row.talker_id = one
                row.talker_name = "" if one else "党支部书记"
            if number == 16:
                row.talker_name = extra["talker_name"]
            if extra.get("contacts"):
                row.contact_1_id, row.contact_2_id = one, two
            if extra.get("sponsors"):
                row.sponsor_1_id, row.sponsor_2_id = one, two
            if extra.get("conclusion"):
                row.conclusion = "经函调和查阅档案，政治审查合格。"
            if extra.get("training"):
                row.training_days, row.training_hours = 3, 24
            if extra.get("publicity"):
                row.publicity_start, row.publicity_end = d - timedelta(days=10), d - timedelta(days=3)
            if extra.get("approval_no"):
                row.approval_no = f"{extra['approval_no']}字〔{d.year}〕{rng.randint(1, 99)}号"
                row.approval_date = d
            if extra.get("override"):
                row.overridden = True
                row.override_reason = "历史材料补录：培养期以纸质档案为准"
                row.override_rules = ["pipeline.activist_year"]
            rows.append(row)
    DevelopmentStep.objects.bulk_create(rows, batch_size=BATCH)
    result.counts["development_files"] = len(files)
    result.counts["development_steps"] = len(rows)
