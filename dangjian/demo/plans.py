"""The two configurations of the builder: the fixed demo district and the scalable synthetic one.

Both describe schools the same way (`school_plan`), so a synthetic district has the shapes of the demo:
school 党委 with grade branches, 党小组 and a 离退休党支部; 党总支 with 3–4 branches; single 党支部;
联合党支部 for small schools.
"""

import math
import random
from datetime import date

from . import names
from .builder import (
    AREA_COMMITTEE, BRANCH, GENERAL_BRANCH, GROUP, JOINT_BRANCH, PARTY_COMMITTEE, WORK_COMMITTEE, Cohort, OrgPlan,
)

DEMO_ROOT_CODE = "DEMO-DISTRICT"
DEMO_SEED = 20260901
DEMO_REGION_CODE = "370302"
# The two schools that mirror the seed reports, and the two deliberate set-up problems.
DEMO_SEED000_SCHOOL = "DEMO-S02"        # 阳光中学党总支 (seed 000)
DEMO_SEED001_BRANCH = "DEMO-S03"        # 新华小学党支部 (seed 001): 22 正式 + 1 预备, 14 applicants
DEMO_TOO_SMALL_BRANCH = "DEMO-S09"      # only 2 正式党员
DEMO_NO_COMMITTEE_BRANCH = "DEMO-S13"   # ≥7 正式党员, no committee

MIN_BRANCH_PEOPLE = 4


def synth_root_code(seed):
    return f"SYNTH-{seed}"


def synth_region_code(seed):
    # Real area codes never start with 9: synthetic ID numbers cannot collide with the demo's, and
    # different seeds (0–99 999) get different area codes.
    return f"9{seed:05d}"


# --- shapes shared by both configurations --------------------------------------------------------------

def _stage(school_name):
    if "幼儿园" in school_name:
        return "kindergarten"
    if "小学" in school_name:
        return "primary"
    if "九年一贯" in school_name:
        return "nine_year"
    return "secondary"


FEMALE_SHARE = {"kindergarten": 0.95, "primary": 0.75, "nine_year": 0.65, "secondary": 0.55}
GRADE_BRANCHES = {
    "secondary": ["初一年级党支部", "初二年级党支部", "初三年级党支部"],
    "high": ["高一年级党支部", "高二年级党支部", "高三年级党支部"],
    "primary": ["低年级党支部", "中年级党支部", "高年级党支部"],
    "nine_year": ["小学部党支部", "初中部党支部", "综合党支部"],
    "kindergarten": ["教学党支部", "保教党支部", "综合党支部"],
}
SINGLE_BRANCH_GROUPS = {
    "secondary": ["文科党小组", "理科党小组", "综合党小组"],
    "primary": ["低年级党小组", "高年级党小组", "综合党小组"],
    "nine_year": ["小学部党小组", "初中部党小组", "综合党小组"],
    "kindergarten": ["教学党小组", "保教党小组", "后勤党小组"],
}
GRADE_GROUPS = ["语文组党小组", "数学组党小组", "综合组党小组"]
ADMIN_GROUPS = ["行政党小组", "后勤党小组"]
RETIRED_GROUPS = ["第一党小组", "第二党小组"]


def _split(total, weights):
    """Split `total` into integer parts proportional to `weights` (largest remainder)."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _branch(code, name, unit_name, founded_on, people, *, group_labels, group_prefix, retired=False,
            female_share=0.65, committee="auto"):
    """A 党支部, with 党小组 when it is large (≥14 党员: 2 groups, ≥30: 3)."""
    cohort = Cohort.split(people, retired=retired)
    members = cohort.full + cohort.probationary
    n_groups = min(3 if members >= 30 else 2 if members >= 14 else 0, len(group_labels))
    groups = [OrgPlan(code=f"{code}-G{i + 1}", name=f"{group_prefix}{group_labels[i]}", kind=GROUP,
                      founded_on=founded_on, unit_name=unit_name)
              for i in range(n_groups)]
    return OrgPlan(code=code, name=name, kind=BRANCH, founded_on=founded_on, unit_name=unit_name, children=groups,
                   cohort=cohort, committee=committee, female_share=female_share)


def school_plan(code, school, kind, people, founded_on, *, high_school=False):
    """One school's organisation: 党委 / 党总支 with branches, or a single 党支部."""
    stage = _stage(school)
    female = FEMALE_SHARE[stage]
    grades = GRADE_BRANCHES["high" if high_school else stage]
    if kind == PARTY_COMMITTEE:
        retired, admin = max(MIN_BRANCH_PEOPLE + 3, people // 10), max(MIN_BRANCH_PEOPLE, people * 3 // 20)
        grade_sizes = _split(people - retired - admin, [1, 1, 1])
        children = [_grade_branch(code, i, school, grades[i], founded_on, n, female)
                    for i, n in enumerate(grade_sizes)]
        children.append(_branch(f"{code}-B4", f"{school}行政后勤党支部", school, founded_on, admin,
                                group_labels=ADMIN_GROUPS, group_prefix=school, female_share=female))
        children.append(_branch(f"{code}-B5", f"{school}离退休党支部", school, founded_on, retired,
                                group_labels=RETIRED_GROUPS, group_prefix=f"{school}离退休", retired=True,
                                female_share=female))
        return OrgPlan(code=code, name=f"{school}党委", kind=PARTY_COMMITTEE, founded_on=founded_on,
                       unit_name=school, children=children, female_share=female)
    if kind == GENERAL_BRANCH:
        with_admin = people >= 50
        sizes = _split(people, [1, 1, 1, 0.6] if with_admin else [1, 1, 1])
        children = [_grade_branch(code, i, school, grades[i], founded_on, n, female)
                    for i, n in enumerate(sizes[:3])]
        if with_admin:
            children.append(_branch(f"{code}-B4", f"{school}行政后勤党支部", school, founded_on, sizes[3],
                                    group_labels=ADMIN_GROUPS, group_prefix=school, female_share=female))
        return OrgPlan(code=code, name=f"{school}党总支", kind=GENERAL_BRANCH, founded_on=founded_on,
                       unit_name=school, children=children, female_share=female)
    return _branch(code, f"{school}党支部", school, founded_on, people, group_labels=SINGLE_BRANCH_GROUPS[stage],
                   group_prefix=school, female_share=female)


def _grade_branch(code, i, school, grade, founded_on, people, female):
    return _branch(f"{code}-B{i + 1}", f"{school}{grade}", school, founded_on, people, group_labels=GRADE_GROUPS,
                   group_prefix=f"{school}{grade.removesuffix('党支部')}", female_share=female)


def joint_plan(code, name, units, people, founded_on):
    """A 联合党支部 of several small schools, one 党小组 per school."""
    node = _branch(code, name, "、".join(units)[:100], founded_on, people, group_labels=[], group_prefix="",
                   female_share=0.7)
    node.kind = JOINT_BRANCH
    if node.cohort.full + node.cohort.probationary >= len(units) * 2:
        node.children = [OrgPlan(code=f"{code}-G{i + 1}", name=f"{u}党小组", kind=GROUP, founded_on=founded_on,
                                 unit_name=u) for i, u in enumerate(units)]
    return node


def _area(code, name, founded_on, schools):
    return OrgPlan(code=code, name=name, kind=AREA_COMMITTEE, founded_on=founded_on, unit_name=name.removesuffix("党委"),
                   children=schools)


# --- the demo district ------------------------------------------------------------------------------------

# (code suffix, school, kind, people, founded_on, high school?)
_DEMO_SCHOOLS = {
    "DEMO-A1": ("城区片区党委", [
        ("S01", "青山区第一中学", PARTY_COMMITTEE, 150, date(2017, 6, 28), True),
        ("S02", "青山区阳光中学", GENERAL_BRANCH, 72, date(2017, 9, 12), False),
        ("S03", "青山区新华小学", BRANCH, 37, date(2017, 5, 16), False),
        ("S04", "青山区实验小学", GENERAL_BRANCH, 64, date(2018, 3, 20), False),
        ("S05", "青山区第二中学", GENERAL_BRANCH, 58, date(2017, 11, 7), False),
        ("S06", "青山区育才小学", BRANCH, 26, date(2018, 4, 10), False),
        ("S07", "青山区城南小学", BRANCH, 21, date(2018, 5, 22), False),
        ("S08", "青山区第一幼儿园", BRANCH, 15, date(2019, 3, 5), False),
        ("S09", "青山区特殊教育学校", BRANCH, 4, date(2019, 6, 18), False),
        ("S10", "青山区职业中等专业学校", BRANCH, 33, date(2018, 9, 26), False),
    ]),
    "DEMO-A2": ("东部片区党委", [
        ("S11", "青山区第三中学", PARTY_COMMITTEE, 130, date(2017, 7, 4), True),
        ("S12", "东关镇中学", GENERAL_BRANCH, 55, date(2018, 1, 16), False),
        ("S13", "东关镇中心小学", BRANCH, 16, date(2018, 3, 13), False),
        ("S14", "柳林镇中学", BRANCH, 30, date(2018, 4, 24), False),
        ("S15", "柳林镇中心小学", BRANCH, 22, date(2018, 5, 8), False),
        ("S16", "东关镇中心幼儿园", BRANCH, 9, date(2019, 4, 16), False),
        ("S17", "河口镇中学", BRANCH, 27, date(2018, 6, 5), False),
        ("S18", "河口镇中心小学", BRANCH, 19, date(2018, 6, 12), False),
        ("S20", "桃园小学", BRANCH, 12, date(2019, 5, 14), False),
    ]),
    "DEMO-A3": ("西部片区党委", [
        ("S21", "青山区第四中学", PARTY_COMMITTEE, 120, date(2017, 7, 11), True),
        ("S22", "西山镇中学", GENERAL_BRANCH, 52, date(2018, 2, 27), False),
        ("S23", "西山镇中心小学", BRANCH, 24, date(2018, 3, 27), False),
        ("S24", "杨集镇中学", BRANCH, 28, date(2018, 4, 17), False),
        ("S25", "杨集镇中心小学", BRANCH, 18, date(2018, 5, 29), False),
        ("S26", "石门镇中学", BRANCH, 25, date(2018, 6, 19), False),
        ("S27", "石门镇中心小学", BRANCH, 17, date(2018, 9, 11), False),
        ("S29", "青山区第五中学", GENERAL_BRANCH, 60, date(2017, 12, 5), False),
        ("S30", "西山镇九年一贯制学校", BRANCH, 31, date(2018, 10, 16), False),
    ]),
}
_DEMO_JOINT = {
    "DEMO-A2": ("S19", "东关镇农村小学联合党支部", ["王庄小学", "李家村小学", "刘家小学"], 14, date(2019, 9, 3)),
    "DEMO-A3": ("S28", "石门镇农村学校联合党支部", ["北岭小学", "前进小学", "红星小学", "西山镇中心幼儿园"], 16,
                date(2019, 9, 10)),
}


def demo_plan():
    """The fixed demo district: 区委教育工委 → 3 片区党委 → 30 schools (≈1 200 people)."""
    areas = []
    for area_code, (area_name, schools) in _DEMO_SCHOOLS.items():
        nodes = [school_plan(f"DEMO-{suffix}", school, kind, people, founded, high_school=high)
                 for suffix, school, kind, people, founded, high in schools]
        if area_code in _DEMO_JOINT:
            suffix, name, units, people, founded = _DEMO_JOINT[area_code]
            nodes.append(joint_plan(f"DEMO-{suffix}", name, units, people, founded))
        nodes.sort(key=lambda n: n.code)
        areas.append(_area(area_code, area_name, date(2017, 3, 1), nodes))
    office = _branch("DEMO-JG", "区教育和体育局机关党支部", "青山区教育和体育局", date(2016, 6, 15), 20,
                     group_labels=["机关第一党小组", "机关第二党小组"], group_prefix="", female_share=0.5)
    root = OrgPlan(code=DEMO_ROOT_CODE, name="青山区委教育工委", kind=WORK_COMMITTEE, founded_on=date(2016, 5, 20),
                   unit_name="青山区教育和体育局", children=[office, *areas])

    # Seed 001: a primary-school branch with 23 members (22 正式, 1 预备) and 14 teachers who applied.
    seed001 = root.find(DEMO_SEED001_BRANCH)
    seed001.cohort = Cohort(full=22, probationary=1, candidate=1, activist=4, applicant=9, non_member=0)
    seed001.children = [
        OrgPlan(code=f"{seed001.code}-G{i + 1}", name=f"青山区新华小学{label}", kind=GROUP,
                founded_on=seed001.founded_on, unit_name=seed001.unit_name)
        for i, label in enumerate(["低年级党小组", "高年级党小组", "综合党小组"])
    ]
    # Deliberate set-up problems, so the findings engine has something to show.
    small = root.find(DEMO_TOO_SMALL_BRANCH)
    small.cohort = Cohort(full=2, probationary=1, activist=1)
    small.committee = "secretary"
    root.find(DEMO_NO_COMMITTEE_BRANCH).committee = "none"
    return root


# --- the synthetic district --------------------------------------------------------------------------------

KIND_WEIGHTS = [(PARTY_COMMITTEE, 8), (GENERAL_BRANCH, 17), (BRANCH, 65), (JOINT_BRANCH, 10)]
KIND_SIZE = {PARTY_COMMITTEE: (4.5, 7.0), GENERAL_BRANCH: (2.2, 3.5), BRANCH: (0.5, 1.6), JOINT_BRANCH: (0.5, 0.9)}
KIND_MIN = {PARTY_COMMITTEE: 5 * MIN_BRANCH_PEOPLE + 3, GENERAL_BRANCH: 3 * MIN_BRANCH_PEOPLE,
            BRANCH: MIN_BRANCH_PEOPLE, JOINT_BRANCH: MIN_BRANCH_PEOPLE}
DOWNGRADE = {PARTY_COMMITTEE: GENERAL_BRANCH, GENERAL_BRANCH: BRANCH, JOINT_BRANCH: BRANCH}


def synth_plan(*, schools, members, seed):
    """A synthetic district of `schools` schools and `members` people (every Person row counts)."""
    if schools < 1:
        raise ValueError("学校数至少为1。")
    if members < schools * MIN_BRANCH_PEOPLE:
        raise ValueError(f"人员数至少应为学校数的{MIN_BRANCH_PEOPLE}倍（{schools * MIN_BRANCH_PEOPLE}人）。")
    rng = random.Random(f"dangjian-plan-{seed}")
    kinds_, weights_ = zip(*KIND_WEIGHTS)
    kinds = [rng.choices(kinds_, weights_)[0] for _ in range(schools)]
    weights = [rng.uniform(*KIND_SIZE[k]) for k in kinds]

    def allocate():
        mins = [KIND_MIN[k] for k in kinds]
        return [m + extra for m, extra in zip(mins, _split(members - sum(mins), weights))]

    while sum(KIND_MIN[k] for k in kinds) > members:  # too few people for the big shapes: downgrade the largest
        i = max(range(schools), key=lambda i: KIND_MIN[kinds[i]])
        kinds[i] = DOWNGRADE[kinds[i]]
    sizes = allocate()

    root_code = synth_root_code(seed)
    n_areas = max(1, min(12, math.ceil(schools / 10)))
    used_names = set()
    areas = [[] for _ in range(n_areas)]
    for i, (kind, size) in enumerate(zip(kinds, sizes)):
        code = f"{root_code}-S{i + 1:03d}"
        town = names.TOWNS[i % len(names.TOWNS)]
        founded = date(2017 + rng.randint(0, 2), rng.randint(3, 11), rng.randint(1, 28))
        if kind == JOINT_BRANCH:
            units = [_unique(f"{town}{v}小学", used_names) for v in rng.sample(names.VILLAGES, 3)]
            node = joint_plan(code, _unique(f"{town}农村小学联合党支部", used_names), units, size, founded)
        else:
            options = (["中学", "第二中学"] if kind == PARTY_COMMITTEE
                       else ["中学", "中心小学", "实验小学", "第二中学"] if kind == GENERAL_BRANCH
                       else names.SCHOOL_TYPES)
            school = _unique_school(town, options, rng, used_names)
            node = school_plan(code, school, kind, size, founded, high_school=kind == PARTY_COMMITTEE)
        areas[i * n_areas // schools].append(node)
    area_nodes = [_area(f"{root_code}-A{j + 1}", f"第{_cn(j + 1)}片区党委", date(2017, 3, 1), nodes)
                  for j, nodes in enumerate(areas) if nodes]
    return OrgPlan(code=root_code, name=f"模拟区委教育工委（种子{seed}）", kind=WORK_COMMITTEE,
                   founded_on=date(2016, 5, 20), unit_name=f"模拟区教育和体育局（种子{seed}）", children=area_nodes)


def _unique(name, used):
    candidate, k = name, 2
    while candidate in used:
        candidate = f"{name}{k}"
        k += 1
    used.add(candidate)
    return candidate


def _unique_school(town, options, rng, used):
    for kind in rng.sample(options, len(options)):
        name = f"{town}{kind}"
        if name not in used:
            used.add(name)
            return name
    k = 2
    while f"{town}第{_cn(k)}小学" in used:
        k += 1
    name = f"{town}第{_cn(k)}小学"
    used.add(name)
    return name


def _cn(n):
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)
