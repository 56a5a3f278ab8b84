"""Demo and synthetic service records for the `years` years before the reference date (2026-09-01), deterministic
from the seed:

- activities: each branch holds one in about 60 % of months (志愿服务 most often, then 主题党日外出活动, 社区双报到 …),
  with 3–10 of its party members (1–4 hours each) and, for community work, some people not on the platform;
- 结对共建: about 60 % of branches are paired with a village or community (a few pairs have ended);
- 帮教对子: one to three per branch and school year; 家访 every month, by category in roughly the proportions of
  seed 001 (学困生 50, 家庭困难 32, 因病 50 of 132), about a third of them visits of a 帮教对子;
- 慰问: each school's top organisation visits 困难职工, 老党员, 生病教师 and 困难学生 a few times a year
  (money in hundreds of 元, sometimes goods);
- 困难职工档案: up to two per school.
"""

import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from dangjian.demo.builder import REFERENCE_DATE
from dangjian.demo.subtrees import Subtrees

BRANCH_KINDS = {"branch", "joint_branch"}
SCHOOL_KINDS = {"party_committee", "general_branch", "branch", "joint_branch"}
ACTIVITY_WEIGHTS = {"volunteer": 30, "theme_day": 20, "community": 15, "pairing": 10, "assistance": 7,
                    "teaching": 8, "red": 8, "other": 2}
TITLES = {
    "volunteer": ["党员志愿服务进社区", "校园周边交通文明劝导", "关爱留守儿童志愿服务", "敬老院志愿服务"],
    "theme_day": ["参观红色教育基地", "重温入党誓词主题党日", "走进革命纪念馆"],
    "community": ["社区双报到：政策宣讲", "社区双报到：家庭教育咨询", "社区环境整治"],
    "pairing": ["村校结对共建活动", "共建单位联合党课", "结对共建文化惠民活动"],
    "assistance": ["“1+1”帮扶：同上一堂党课", "“1+1”帮扶：教研交流"],
    "teaching": ["送教下乡", "名师送课到村小", "支教帮扶课堂"],
    "red": ["红色研学实践", "清明祭英烈", "红色故事宣讲"],
    "other": ["党员先锋行动"],
}
PLACES = {"theme_day": ["马鞍山抗日革命教育基地", "原山艰苦创业纪念馆", "煤矿博物馆党史教育点"],
          "red": ["烈士陵园", "革命纪念馆"], "teaching": ["村小", "乡镇中心学校"]}
VILLAGES = ["东坪村", "西河村", "南岭村", "北山村", "柳树村", "杏花村", "石桥村", "双泉村", "马庄村", "李家村",
            "王家庄村", "青龙村", "白云村", "沙河村", "红旗村"]
COMMUNITIES = ["城南社区", "新华社区", "光明社区", "建设路社区", "和平社区", "幸福里社区", "育才社区", "文化路社区"]
VISIT_WEIGHTS = {"struggling": 38, "hardship": 24, "illness": 20, "behaviour": 12, "other": 6}
CARE_KINDS = ["hardship_staff", "veteran", "sick_teacher", "poor_student"]
GOODS = [("米、面、油", Decimal("150")), ("慰问品", Decimal("200")), ("学习用品", Decimal("120")), ("", Decimal("0"))]
DIFFICULTIES = ["因病致困", "子女就学负担重", "单亲家庭", "家属重病"]
BATCH = 2000


def _weighted(rng, weights):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _months(years):
    first = (REFERENCE_DATE - relativedelta(years=years)).replace(day=1)
    out, d = [], first
    while d < REFERENCE_DATE.replace(day=1):
        out.append(d)
        d += relativedelta(months=1)
    return out


def _day(rng, month):
    last = (month + relativedelta(months=1) - timedelta(days=1)).day
    return min(month.replace(day=rng.randint(1, last)), REFERENCE_DATE - timedelta(days=1))


def _school_year(d):
    first = d.year if d.month >= 9 else d.year - 1
    return f"{first}-{first + 1}"


def _alias(rng):
    letters = "ABCDEFGHJKLMNPQRSTWXYZ"
    return "".join(rng.choice(letters) for _ in range(rng.choice((2, 3)))) + "同学"


def extend(result, *, seed, years):
    from .models import (Activity, CareVisit, HardshipFile, HomeVisit, MentorPair, Participant, Partnership)

    rng = random.Random(f"dangjian-service-{seed}")
    orgs = sorted(result.orgs.values(), key=lambda o: o.path)
    members, everyone = defaultdict(list), defaultdict(list)
    for p in result.people:
        everyone[p.org_id].append(p)
        if p.status in ("full", "probationary"):
            members[p.org_id].append(p)
    branches = [o for o in orgs if o.kind in BRANCH_KINDS and members[o.pk]]
    # A school's top organisation: a school-level org whose parent is not itself a school-level org.
    by_path = {o.path: o for o in orgs}
    schools = [o for o in orgs if o.kind in SCHOOL_KINDS
               and getattr(by_path.get(o.path[:-o.steplen]), "kind", None) not in SCHOOL_KINDS]
    months = _months(years)
    start = months[0]

    partnerships, partner_of = [], {}
    for branch in branches:
        if rng.random() < 0.6:
            kind = rng.choice(("village", "community"))
            name = rng.choice(VILLAGES if kind == "village" else COMMUNITIES)
            since = start - timedelta(days=rng.randint(30, 900))
            until = None if rng.random() > 0.1 else _day(rng, rng.choice(months))
            partnerships.append(Partnership(org=branch, partner_name=name, partner_kind=kind, since=since,
                                            until=until, note="党建引领，村（社区）校共建"))
            partner_of[branch.pk] = name
    Partnership.objects.bulk_create(partnerships, batch_size=BATCH)

    activities, chosen = [], []
    for branch in branches:
        pool = members[branch.pk]
        for month in months:
            if rng.random() > 0.6:
                continue
            kind = _weighted(rng, ACTIVITY_WEIGHTS)
            people = rng.sample(pool, min(len(pool), rng.randint(3, 10)))
            extra = rng.randint(2, 15) if kind in ("volunteer", "community") else 0
            activities.append(Activity(
                org=branch, kind=kind, title=rng.choice(TITLES[kind]), date=_day(rng, month),
                place=rng.choice(PLACES.get(kind, ["校内", "社区服务站", "党员活动室"])),
                partner=partner_of.get(branch.pk, "") if kind in ("pairing", "community") else "",
                extra_participants=extra, extra_hours=Decimal(extra * 2),
                account="组织党员开展活动，发挥党员先锋模范作用。"))
            low, high = (4, 8) if kind == "volunteer" else (2, 6)
            chosen.append([(p, Decimal(rng.randint(low, high)) / 2) for p in people])
    Activity.objects.bulk_create(activities, batch_size=BATCH)
    Participant.objects.bulk_create([Participant(activity=a, person=p, hours=h)
                                     for a, rows in zip(activities, chosen) for p, h in rows], batch_size=BATCH)

    pairs, pairs_of = [], defaultdict(list)
    years_seen = sorted({_school_year(m) for m in months})
    for branch in branches:
        for school_year in years_seen:
            for person in rng.sample(members[branch.pk], min(len(members[branch.pk]), rng.randint(1, 3))):
                pair = MentorPair(org=branch, member=person, student_alias=_alias(rng), school_year=school_year,
                                  category=rng.choice(("struggling", "behaviour", "hardship")),
                                  note="每周谈心一次，家校共育")
                pairs.append(pair)
                pairs_of[(branch.pk, school_year)].append(pair)
    MentorPair.objects.bulk_create(pairs, batch_size=BATCH)

    visits = []
    for branch in branches:
        teachers = everyone[branch.pk]
        for month in months:
            for _ in range(rng.randint(0, 4)):
                day = _day(rng, month)
                own_pairs = pairs_of.get((branch.pk, _school_year(day)))
                if own_pairs and rng.random() < 0.35:
                    pair = rng.choice(own_pairs)
                    visits.append(HomeVisit(org=branch, teacher=pair.member, date=day, category=pair.category,
                                            student_alias=pair.student_alias, pair=pair,
                                            outcome="与家长沟通学习和生活情况，商定家校共育措施。"))
                else:
                    visits.append(HomeVisit(org=branch, teacher=rng.choice(teachers), date=day,
                                            category=_weighted(rng, VISIT_WEIGHTS), student_alias=_alias(rng),
                                            outcome="了解学生家庭情况，反馈在校表现。"))
    HomeVisit.objects.bulk_create(visits, batch_size=BATCH)

    care, care_visitors, files = [], [], []
    subtrees = Subtrees(orgs)
    for school in schools:
        staff = [p for o in subtrees.within(school.path) for p in members[o.pk]][:40]
        for month in months:
            if month.month not in (1, 6, 9, 12) or rng.random() < 0.3:
                continue
            kind = rng.choice(CARE_KINDS)
            goods, value = rng.choice(GOODS)
            care.append(CareVisit(org=school, date=_day(rng, month), recipient_kind=kind,
                                  recipients=rng.randint(1, 5), matters_solved=rng.randint(0, 6),
                                  money=Decimal(rng.randint(2, 20) * 100), goods=goods, goods_value=value,
                                  note="走访慰问，了解困难，帮助解决实际问题。"))
            care_visitors.append(rng.sample(staff, min(len(staff), 2)))
        for _ in range(rng.randint(0, 2)):
            person = rng.choice(staff) if staff and rng.random() < 0.5 else None
            files.append(HardshipFile(org=school, name=person.name if person else rng.choice(["职工甲", "职工乙"]),
                                      person=person, opened_on=start - timedelta(days=rng.randint(0, 400)),
                                      difficulty=rng.choice(DIFFICULTIES), family="家庭收入较低，需长期帮扶。",
                                      assistance="节日走访慰问；协调办理医疗救助。"))
    CareVisit.objects.bulk_create(care, batch_size=BATCH)
    Through = CareVisit.visitors.through
    Through.objects.bulk_create([Through(carevisit_id=c.pk, person_id=p.pk)
                                 for c, people in zip(care, care_visitors) for p in people], batch_size=BATCH)
    HardshipFile.objects.bulk_create(files, batch_size=BATCH)

    counts = result.counts
    counts["service_activities"] = len(activities)
    counts["service_participants"] = sum(len(rows) for rows in chosen)
    counts["service_partnerships"] = len(partnerships)
    counts["service_home_visits"] = len(visits)
    counts["service_care_visits"] = len(care)
