"""Demo and synthetic vanguard records for the `years` years before the reference date (2026-09-01).

- 师徒结对: in every branch, about one pair per four members for each school year started in the period (and the
  2026-2027 pairs of the ceremony on the reference date); mentors are mostly 骨干教师, apprentices young teachers
  named freely (some linked to a non-member record of the branch).
- Posts: about a third of the members hold a 党员责任区 / 先锋岗 / 示范岗 post; the seed-001 branch (新华小学) puts
  every member on a 安全责任岗 by floor and time slot (seed 001). A few posts ended with the winter term.
- Lessons: a few per member a year; the seed-001 branch gives exactly 162 lessons and records 338 听课评课 in the
  last year (seed 001).
- Articles: every school publishes on its 微信公众号 and website, some on 学习强国 and in the press; the seed-000
  school (阳光中学) has 5 on 学习强国 (seed 000).
- Honours: a few members a year; the seed-000 school has 13 优质课一等奖, 7 名师/名班主任, a monthly 明星教师 and its
  “阳光润德” 党建品牌 (seed 000); some branches are 先进基层党组织 and a few schools 示范点.
Deterministic from `seed`.
"""

import random
from collections import defaultdict
from datetime import date, timedelta

from dangjian.demo.builder import REFERENCE_DATE
from dangjian.demo.names import SURNAMES
from dangjian.demo.plans import DEMO_SEED000_SCHOOL, DEMO_SEED001_BRANCH
from dangjian.demo.subtrees import Subtrees

from .models import Article, DutyPost, Honour, Lesson, LessonReview, MentorPair
from .services import school_year_of

BATCH = 2000
BRANCHES = {"branch", "joint_branch"}
SCHOOLS = {"party_committee", "general_branch", "branch", "joint_branch"}
SUBJECTS = ["语文", "数学", "英语", "科学", "道德与法治", "音乐", "体育", "美术", "信息科技", "物理", "化学", "历史"]
GIVEN = "思雨欣怡梓涵子轩浩然一诺佳怡雨桐晨曦嘉懿俊杰明轩若曦婉清"
LESSON_TITLES = ["认识钟表", "分数的意义", "荷塘月色", "背影", "圆的面积", "光的折射", "春", "小数的加法", "鸡兔同笼",
                 "Unit 3 My Friends", "生命的意义", "长方体的体积", "我们的民族小学", "只有一个地球"]
ARTICLE_TITLES = ["党员教师送教下乡暖人心", "主题党日：重温入党誓词", "党建引领“双减”落地见效", "师徒结对促成长",
                  "党员先锋岗护航开学季", "开展“学党史、强信念”专题学习", "党员志愿者走进社区", "优秀党员教师风采展示"]
FLOORS = ["一楼东侧楼梯口", "一楼西侧楼梯口", "二楼走廊", "三楼走廊", "四楼走廊", "操场东侧", "校门口", "餐厅", "实验楼",
          "图书室"]
SLOTS = ["周一 7:30-8:00", "周二 课间操", "周三 12:00-12:30", "周四 16:30-17:00", "周五 放学"]
POST_NAMES = {"area": ["教研组责任区", "年级责任区", "班级管理责任区"], "vanguard": ["青年党员先锋岗", "课后服务先锋岗"],
              "model": ["师德示范岗", "教学示范岗"]}


def _young_name(rng):
    surname = rng.choice(SURNAMES)[0]
    return surname + "".join(rng.sample(GIVEN, rng.choice([1, 2])))


def _day(rng, start, end):
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def extend(result, *, seed, years):
    rng = random.Random(f"dangjian-vanguard-{seed}")
    first, last = REFERENCE_DATE - timedelta(days=365 * years), REFERENCE_DATE - timedelta(days=1)
    orgs = sorted(result.orgs.values(), key=lambda o: o.path)
    members, others = defaultdict(list), defaultdict(list)
    for person in result.people:
        (members if person.status in ("full", "probationary") else others)[person.org_id].append(person)
    branches = [o for o in orgs if o.kind in BRANCHES and members[o.pk]]
    by_path = {o.path: o for o in orgs}
    schools = [o for o in orgs if o.kind in SCHOOLS and o.depth > 1
               and by_path[o.path[:-o.steplen]].kind in ("work_committee", "area_committee")]
    seed001, seed000 = result.orgs.get(DEMO_SEED001_BRANCH), result.orgs.get(DEMO_SEED000_SCHOOL)
    school_years = sorted({school_year_of(d) for d in (first, last, REFERENCE_DATE)})
    rows = defaultdict(list)
    authors = []

    for branch in branches:
        people = members[branch.pk]
        backbone = [p for p in people if p.is_backbone] or people
        for year in school_years:
            taken = set()
            for _ in range(max(1, len(people) // 4)):
                mentor = rng.choice(backbone)
                young = [p for p in others[branch.pk] if p.pk not in taken]
                linked = rng.choice(young) if young and rng.random() < 0.3 else None
                name = linked.name if linked else _young_name(rng)
                if (mentor.pk, name) in taken:
                    continue
                taken |= {(mentor.pk, name), linked.pk if linked else None}
                rows[MentorPair].append(MentorPair(
                    org=branch, mentor=mentor, apprentice=linked, apprentice_name=name, school_year=year,
                    subject=rng.choice(SUBJECTS), goals="一学期内独立上好一节校级公开课，掌握班级管理方法",
                    outcome=rng.choice(["", "徒弟在校级评优课中获一等奖", "徒弟完成区级公开课"])))

        term = date(int(school_years[-2 if len(school_years) > 1 else -1][:4]), 9, 1)
        for i, person in enumerate(people):
            if branch is seed001:
                kind, name = "safety", f"{FLOORS[i % len(FLOORS)]}安全岗"
            elif rng.random() < 0.33:
                kind = rng.choice(["area", "vanguard", "model"])
                name = rng.choice(POST_NAMES[kind])
            else:
                kind = None
            if kind:
                ended = rng.random() < 0.1
                rows[DutyPost].append(DutyPost(
                    org=branch, kind=kind, name=name, place=FLOORS[i % len(FLOORS)] if kind == "safety" else "",
                    time_slot=SLOTS[i % len(SLOTS)] if kind == "safety" else "", member=person,
                    starts_on=max(term, first), ends_on=date(term.year + 1, 1, 20) if ended else None))

        lessons = 162 * years if branch is seed001 else sum(rng.choice([0, 1, 1, 2, 3]) for _ in people) * years
        reviews = 338 * years if branch is seed001 else sum(rng.choice([0, 2, 3, 5]) for _ in people) * years
        for i in range(lessons):
            rows[Lesson].append(Lesson(
                org=branch, teacher=rng.choice(people), date=_day(rng, first, last), title=rng.choice(LESSON_TITLES),
                subject=rng.choice(SUBJECTS), kind=rng.choice(["demo", "demo", "observation", "contest", "open"]),
                level=rng.choice(["school", "school", "school", "district", "district", "city"]),
                result=rng.choice(["", "", "", "一等奖", "二等奖"])))
        for i in range(reviews):
            rows[LessonReview].append(LessonReview(
                org=branch, person=rng.choice(people), date=_day(rng, first, last),
                role="evaluate" if i % 3 == 0 else "attend", lesson_title=rng.choice(LESSON_TITLES)))

    in_branches = Subtrees(branches)
    school_people = {s.pk: [p for b in in_branches.within(s.path) for p in members[b.pk]] for s in schools}
    for school in schools:
        people = school_people[school.pk]
        plan = [("wechat", "school")] * rng.randint(4, 10) + [("website", "school")] * rng.randint(2, 5)
        plan += [("press", rng.choice(["district", "city"]))] * rng.randint(0, 3)
        plan += [("xuexi", "province")] * (5 if school is seed000 else rng.choice([0, 0, 1]))
        for platform, level in plan:
            article = Article(org=school, title=rng.choice(ARTICLE_TITLES), date=_day(rng, first, last),
                              platform=platform, level=level, author_names="" if people else "学校宣传组")
            rows[Article].append(article)
            authors.append((article, rng.sample(people, min(len(people), rng.choice([1, 1, 2])))))
        for person in people:
            if rng.random() < 0.04:
                rows[Honour].append(_honour(rng, school, first, last, "优秀共产党员", "excellent_member", "district",
                                            "区教育工委", person=person))
        if school is seed000 and people:
            for person in rng.sample(people, min(13, len(people))):
                rows[Honour].append(_honour(rng, school, first, last, "区优质课一等奖", "quality_lesson", "district",
                                            "区教育和体育局", person=person))
            for i, person in enumerate(rng.sample(people, min(7, len(people)))):
                kind = "famous_teacher" if i < 4 else "famous_head"
                rows[Honour].append(_honour(rng, school, first, last, "首届区名师" if i < 4 else "首届区名班主任", kind,
                                            "district", "区教育和体育局", person=person))
            month = date(first.year, first.month, 1)
            while month <= last:
                if month.month not in (7, 8):
                    rows[Honour].append(Honour(org=school, title=f"{month.month}月明星教师", kind="star_teacher",
                                               level="school", date=month + timedelta(days=27), month=month,
                                               issuer=school.unit_name or school.name, person=rng.choice(people)))
                month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            rows[Honour].append(_honour(rng, school, first, last, "“阳光润德”党建品牌", "brand", "district",
                                        "区教育工委", recipient_org=school))
        elif rng.random() < 0.1:
            rows[Honour].append(_honour(rng, school, first, last, "党建工作示范点", "demo_site", "district", "区教育工委",
                                        recipient_org=school))
    for branch in branches:
        if branch is seed001 or rng.random() < 0.08:
            rows[Honour].append(_honour(rng, branch, first, last, "先进基层党组织", "advanced_org", "district",
                                        "区教育工委", recipient_org=branch))

    for model in (MentorPair, DutyPost, Lesson, LessonReview, Article, Honour):
        model.objects.bulk_create(rows[model], batch_size=BATCH)
    through = Article.authors.through
    through.objects.bulk_create([through(article_id=a.pk, person_id=p.pk) for a, people in authors for p in people],
                                batch_size=BATCH)
    result.counts.update(vanguard_pairs=len(rows[MentorPair]), vanguard_posts=len(rows[DutyPost]),
                         vanguard_lessons=len(rows[Lesson]), vanguard_reviews=len(rows[LessonReview]),
                         vanguard_articles=len(rows[Article]), vanguard_honours=len(rows[Honour]))


def _honour(rng, org, first, last, title, kind, level, issuer, **recipient):
    return Honour(org=org, title=title, kind=kind, level=level, date=_day(rng, first, last), issuer=issuer,
                  **recipient)
