"""Build a whole district (tree, people, committees) in one transaction with bulk inserts.

One builder, two configurations (`plans.demo_plan()` and `plans.synth_plan()`):

1. A *plan* is a tree of `OrgPlan` nodes; branches carry a `Cohort` (how many people of each status).
2. `generate(plan, seed=…)` turns the plan into plain `PersonRecord`s and `PostRecord`s. It is pure Python
   and deterministic: the same plan and seed give the same names, ID numbers and dates on every machine.
3. `materialise(...)` writes everything with `bulk_create`: the tree through treebeard's
   `load_bulk(bulk_create=True)` (paths, depth and numchild consistent), then people, their
   `OrgMembership` and `StatusEvent` ("建档"), committee posts and the organisations' founding events.

Dates are computed against the fixed `REFERENCE_DATE`, never against today.
"""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from dangjian.core import idnumber

from . import names

REFERENCE_DATE = date(2026, 9, 1)
NOTE = "建档"

# OrgKind values (kept as plain strings so the plan has no Django import at module level).
WORK_COMMITTEE = "work_committee"
AREA_COMMITTEE = "area_committee"
PARTY_COMMITTEE = "party_committee"
GENERAL_BRANCH = "general_branch"
BRANCH = "branch"
JOINT_BRANCH = "joint_branch"
GROUP = "group"

FULL = "full"
PROBATIONARY = "probationary"
CANDIDATE = "candidate"
ACTIVIST = "activist"
APPLICANT = "applicant"
NON_MEMBER = "non_member"
STATUS_ORDER = [FULL, PROBATIONARY, CANDIDATE, ACTIVIST, APPLICANT, NON_MEMBER]


@dataclass
class Cohort:
    """How many people of each status a branch has. `retired`: all party members are retirees."""

    full: int = 0
    probationary: int = 0
    candidate: int = 0
    activist: int = 0
    applicant: int = 0
    non_member: int = 0
    retired: bool = False

    @property
    def total(self):
        return sum(self.counts().values())

    def counts(self):
        return {status: getattr(self, status) for status in STATUS_ORDER}

    @classmethod
    def split(cls, n, *, retired=False):
        """A realistic mix for n people: mostly 正式党员, a few 预备党员 and people in the pipeline."""
        if retired:
            return cls(full=n, retired=True)
        shares = [(PROBATIONARY, 0.04), (CANDIDATE, 0.02), (ACTIVIST, 0.04), (APPLICANT, 0.05), (NON_MEMBER, 0.025)]
        counts = {status: int(n * share + 0.5) for status, share in shares}
        rest = n - sum(counts.values())
        while rest < max(3, int(n * 0.75)) and any(counts.values()):  # small branches: keep them viable
            largest = max(counts, key=counts.get)
            counts[largest] -= 1
            rest += 1
        return cls(full=rest, **counts)


@dataclass
class OrgPlan:
    code: str
    name: str
    kind: str
    founded_on: date
    unit_name: str = ""
    children: list = field(default_factory=list)
    cohort: Cohort | None = None
    committee: str = "auto"  # auto | secretary | none
    female_share: float = 0.65

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, code):
        return next(node for node in self.walk() if node.code == code)

    @property
    def groups(self):
        return [child for child in self.children if child.kind == GROUP]


@dataclass
class PersonRecord:
    org_code: str
    group_code: str | None
    name: str
    gender: str
    ethnicity: str
    birth_date: date
    education: str
    occupation: str
    professional_title: str
    is_class_teacher: bool
    is_research_lead: bool
    is_backbone: bool
    is_administrative: bool
    id_number: str
    phone: str
    status: str
    status_since: date
    applied_on: date | None
    joined_on: date | None
    full_member_on: date | None
    membership_start: date


@dataclass
class PostRecord:
    org_code: str
    person_index: int
    post: str
    started_on: date


@dataclass
class Generated:
    plan: OrgPlan
    people: list
    posts: list

    def digest(self):
        """A fingerprint of the generated people (names + masked ID numbers + status), for determinism checks."""
        return people_digest((p.name, idnumber.mask(p.id_number), p.status) for p in self.people)


def people_digest(rows):
    h = hashlib.sha256()
    for row in sorted(rows):
        h.update("|".join(str(v) for v in row).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


# --- generation (pure Python) -------------------------------------------------------------------

class _PeopleFactory:
    def __init__(self, seed, region_code, on):
        self.rng = random.Random(f"dangjian-people-{seed}")
        self.region_code = region_code
        self.on = on
        self.used_names = set()
        self.id_counters = {}
        surnames, weights = zip(*names.SURNAMES)
        self._surnames, self._surname_cum = list(surnames), _cumulative(weights)
        ethnicities, weights = zip(*names.ETHNICITIES)
        self._ethnicities, self._ethnicity_cum = list(ethnicities), _cumulative(weights)

    # small helpers
    def _days(self, lo, hi):
        return timedelta(days=self.rng.randint(lo, hi))

    def _between(self, lo, hi):
        if hi <= lo:
            return lo
        return lo + timedelta(days=self.rng.randint(0, (hi - lo).days))

    def name(self, gender):
        chars = names.MALE_CHARS if gender == "M" else names.FEMALE_CHARS
        for attempt in range(200):
            surname = self.rng.choices(self._surnames, cum_weights=self._surname_cum)[0]
            given = self.rng.choice(chars)
            if self.rng.random() < 0.72 or attempt > 20:
                given += self.rng.choice(chars)
            full = surname + given
            if full not in self.used_names:
                self.used_names.add(full)
                return full
        raise RuntimeError("name space exhausted")

    def id_number(self, birth, gender):
        key = (birth, gender)
        k = self.id_counters.get(key, 0)
        self.id_counters[key] = k + 1
        if k >= 499:
            raise RuntimeError("too many people born on one day")
        order = 2 * k + (1 if gender == "M" else 2)
        body = f"{self.region_code}{birth:%Y%m%d}{order:03d}"
        return body + idnumber.check_digit(body)

    def phone(self):
        return self.rng.choice(names.PHONE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"

    def person(self, *, branch, group_code, status, retired):
        rng, on = self.rng, self.on
        gender = "F" if rng.random() < branch.female_share else "M"
        if retired:
            age = rng.randint(61, 79)
        elif status in (APPLICANT, ACTIVIST, CANDIDATE):
            age = rng.randint(24, 42)
        else:
            age = min(60, max(23, int(rng.triangular(23, 60, 42))))
        birth = on - relativedelta(years=age) - self._days(0, 364)
        adult = birth + relativedelta(years=18)

        applied_on = joined_on = full_member_on = None
        if status == FULL:
            first = birth + relativedelta(years=21)
            last = on - relativedelta(years=1) - timedelta(days=30)
            span_end = min(last, birth + relativedelta(years=rng.choice([26, 30, 35, 40, 48])))
            joined_on = self._between(first, max(first, span_end))
            joined_on = min(joined_on, last)
            full_member_on = joined_on + relativedelta(years=1)
            applied_on = max(adult, joined_on - relativedelta(years=2) - self._days(0, 540))
            status_since = full_member_on
        elif status == PROBATIONARY:
            joined_on = on - self._days(10, 360)
            applied_on = max(adult, joined_on - relativedelta(years=2) - self._days(0, 365))
            status_since = joined_on
        elif status == CANDIDATE:
            applied_on = max(adult, on - relativedelta(years=2) - self._days(30, 700))
            activist_since = applied_on + self._days(60, 180)
            status_since = min(on - timedelta(days=7), activist_since + relativedelta(years=1) + self._days(0, 150))
        elif status == ACTIVIST:
            applied_on = max(adult, on - relativedelta(years=1) - self._days(0, 700))
            status_since = applied_on + self._days(60, 180)
        elif status == APPLICANT:
            applied_on = on - self._days(20, 330)
            status_since = applied_on
        else:  # NON_MEMBER
            status_since = date(on.year - 1, 9, 1)

        start = joined_on or applied_on or status_since
        membership_start = max(start, branch.founded_on)

        occupation, title, education = self._career(rng, age, retired, branch)
        teaching = occupation == "professional"
        return PersonRecord(
            org_code=branch.code,
            group_code=group_code,
            name=self.name(gender),
            gender=gender,
            ethnicity=rng.choices(self._ethnicities, cum_weights=self._ethnicity_cum)[0],
            birth_date=birth,
            education=education,
            occupation=occupation,
            professional_title=title,
            is_class_teacher=teaching and rng.random() < 0.35,
            is_research_lead=teaching and age > 30 and rng.random() < 0.12,
            is_backbone=teaching and age > 28 and rng.random() < 0.2,
            is_administrative=not retired and (occupation == "manager" or rng.random() < 0.07),
            id_number=self.id_number(birth, gender),
            phone=self.phone(),
            status=status,
            status_since=status_since,
            applied_on=applied_on,
            joined_on=joined_on,
            full_member_on=full_member_on,
            membership_start=membership_start,
        )

    def _career(self, rng, age, retired, branch):
        kindergarten = "幼儿园" in branch.unit_name
        if retired:
            occupation = "retired"
        elif branch.unit_name.endswith("局"):  # the district office: civil servants, no teacher titles
            education = rng.choices(["postgraduate", "bachelor", "college"], [25, 70, 5])[0]
            return "manager", "", education
        else:
            roll = rng.random()
            occupation = "worker" if roll < 0.03 else "manager" if roll < 0.06 else "professional"
        if occupation == "worker":
            return occupation, "", rng.choice(["high_school", "secondary", "college"])
        if age < 35:
            education = rng.choices(["postgraduate", "bachelor", "college"], [18, 78, 4 + (20 if kindergarten else 0)])[0]
        elif age < 50:
            education = rng.choices(["postgraduate", "bachelor", "college"], [7, 78, 15 + (20 if kindergarten else 0)])[0]
        else:
            education = rng.choices(["bachelor", "college", "secondary"], [55, 38, 7])[0]
        if age < 28:
            title = "二级教师"
        elif age < 38:
            title = rng.choices(["二级教师", "一级教师"], [35, 65])[0]
        elif age < 48:
            title = rng.choices(["一级教师", "高级教师"], [60, 40])[0]
        else:
            title = rng.choices(["一级教师", "高级教师", "正高级教师"], [40, 58, 2])[0]
        return occupation, title, education


def _cumulative(weights):
    total, out = 0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _term_start(rng, org):
    start = max(org.founded_on, date(2024, 1, 8))
    return start + timedelta(days=rng.randint(0, 600))


def generate(plan, *, seed, region_code, on=REFERENCE_DATE):
    factory = _PeopleFactory(seed, region_code, on)
    post_rng = random.Random(f"dangjian-posts-{seed}")
    people, posts = [], []
    by_code = {}
    for node in plan.walk():
        if node.cohort is None:
            continue
        groups = node.groups
        start = len(people)
        member_slot = 0
        for status, count in node.cohort.counts().items():
            for _ in range(count):
                group_code = None
                if groups and status in (FULL, PROBATIONARY):
                    group_code = groups[member_slot % len(groups)].code
                    member_slot += 1
                people.append(factory.person(branch=node, group_code=group_code, status=status,
                                             retired=node.cohort.retired and status in (FULL, PROBATIONARY)))
        by_code[node.code] = list(range(start, len(people)))

    # Committees: branches (with their 党小组长) first, then school-level 党委/总支.
    for node in plan.walk():
        if node.cohort is not None:
            posts.extend(_branch_posts(post_rng, node, by_code[node.code], people))
    for node in plan.walk():
        if node.kind in (PARTY_COMMITTEE, GENERAL_BRANCH):
            pool = [i for child in node.walk() if child.code in by_code for i in by_code[child.code]]
            seats = ["secretary", "deputy", "organisation", "propaganda", "discipline"]
            started = _term_start(post_rng, node)
            chosen = _pick(post_rng, pool, people, len(seats), started)
            posts.extend(PostRecord(node.code, i, post, started) for i, post in zip(chosen, seats))
    return Generated(plan=plan, people=people, posts=posts)


def _pick(rng, pool, people, k, since, exclude=frozenset()):
    """Up to k distinct 正式党员 from `pool` for seats starting on `since`: preferably serving teachers with
    ≥1 year 党龄 by then (支条 23), administrators first; fall back to anyone full when the branch is small."""
    limit = since - relativedelta(years=1)
    full = [i for i in pool if people[i].status == FULL and i not in exclude]
    seasoned = [i for i in full if people[i].full_member_on <= limit]
    serving = [i for i in seasoned if people[i].occupation != "retired"]
    candidates = next((tier for tier in (serving, seasoned) if len(tier) >= k), full)
    admins = [i for i in candidates if people[i].is_administrative]
    others = [i for i in candidates if not people[i].is_administrative]
    rng.shuffle(admins)
    rng.shuffle(others)
    return (admins + others)[:k]


def _branch_posts(rng, node, indexes, people):
    full = node.cohort.full
    if node.committee == "none":
        seats = []
    elif node.committee == "secretary" or full < 7:
        seats = ["secretary"] if full else []
    else:
        seats = ["secretary", "organisation", "propaganda", "discipline"] + (["deputy"] if full >= 25 else [])
    started = _term_start(rng, node)
    chosen = _pick(rng, indexes, people, len(seats), started)
    out = [PostRecord(node.code, i, post, started) for i, post in zip(chosen, seats)]
    if node.committee != "none":
        for group in node.groups:
            in_group = [i for i in indexes if people[i].group_code == group.code]
            leader = _pick(rng, in_group, people, 1, started, exclude=set(chosen)) or _pick(
                rng, in_group, people, 1, started)
            if leader:
                out.append(PostRecord(group.code, leader[0], "group_leader", started))
    return out


# --- writing to the database ----------------------------------------------------------------------

@dataclass
class BuildResult:
    root: object
    orgs: dict
    people: list
    generated: Generated
    counts: dict


def _bulk_tree(node):
    item = {"data": {"name": node.name, "kind": node.kind, "unit_name": node.unit_name,
                     "founded_on": node.founded_on, "code": node.code}}
    if node.children:
        item["children"] = [_bulk_tree(child) for child in node.children]
    return item


def materialise(generated):
    """Write the generated district. The caller holds the transaction."""
    from dangjian.members.models import OrgMembership, Person, StatusEvent
    from dangjian.orgs.models import CommitteePost, Organisation, OrgEvent

    plan = generated.plan
    ids = Organisation.objects.load_bulk([_bulk_tree(plan)], bulk_create=True)
    root = Organisation.objects.get(pk=ids[0])
    orgs = {org.code: org for org in Organisation.objects.filter(path__startswith=root.path)}

    OrgEvent.objects.bulk_create(
        [OrgEvent(org=org, kind=OrgEvent.Kind.CREATE, effective_on=org.founded_on, after=org.snapshot(), note=NOTE)
         for org in orgs.values()], batch_size=500)

    persons = []
    for rec in generated.people:
        person = Person(
            org=orgs[rec.org_code], group=orgs[rec.group_code] if rec.group_code else None,
            name=rec.name, gender=rec.gender, ethnicity=rec.ethnicity, birth_date=rec.birth_date,
            education=rec.education, occupation=rec.occupation, professional_title=rec.professional_title,
            is_class_teacher=rec.is_class_teacher, is_research_lead=rec.is_research_lead,
            is_backbone=rec.is_backbone, is_administrative=rec.is_administrative,
            status=rec.status, status_since=rec.status_since, applied_on=rec.applied_on,
            joined_on=rec.joined_on, full_member_on=rec.full_member_on,
        )
        person.set_id_number(rec.id_number)
        person.set_phone(rec.phone)
        persons.append(person)
    persons = Person.objects.bulk_create(persons, batch_size=500)

    OrgMembership.objects.bulk_create(
        [OrgMembership(person=p, org=p.org, started_on=rec.membership_start)
         for p, rec in zip(persons, generated.people)], batch_size=1000)
    StatusEvent.objects.bulk_create(
        [StatusEvent(person=p, status=p.status, effective_on=p.status_since, note=NOTE) for p in persons],
        batch_size=1000)
    CommitteePost.objects.bulk_create(
        [CommitteePost(org=orgs[post.org_code], person=persons[post.person_index], post=post.post,
                       started_on=post.started_on) for post in generated.posts], batch_size=1000)

    counts = {"orgs": len(orgs), "people": len(persons), "posts": len(generated.posts)}
    for status in STATUS_ORDER:
        counts[status] = sum(1 for p in generated.people if p.status == status)
    return BuildResult(root=root, orgs=orgs, people=persons, generated=generated, counts=counts)


def build(plan, *, seed, region_code, on=REFERENCE_DATE):
    """Generate and write a district (the caller holds the transaction)."""
    return materialise(generate(plan, seed=seed, region_code=region_code, on=on))
