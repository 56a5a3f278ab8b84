"""Demo and synthetic meetings: `years` years of held meetings before the reference date (2026-09-01).

Every branch and 党小组 follows the default obligations (life/rules.py) — 支委会 monthly where the branch has a
committee, 党员大会 and 党课 each quarter, 主题党日 monthly, 组织生活会 and 民主评议 each December, a 谈心谈话 of the
secretary with each 党员 once a year, 党小组会 monthly — with deliberate, deterministic gaps:
- about 4 % of monthly and 3 % of quarterly meetings are skipped at random;
- one branch (the first branch with a committee, after the seed-001 branch) misses the 党员大会 of the last
  complete quarter before the reference date;
- in that branch, one 党员 is absent from every meeting of the last 3 months and another of the last 6 months
  (the 党章 第九条 warning and risk);
- about a fifth of the 党员大会 take an admission vote; the designated branch's vote in the first quarter of the
  reference year lacks quorum (most voters on approved leave).
The seed-001 branch (新华小学党支部) gets its local rules as RuleOverride rows (支委会, 党员大会, 党小组会 monthly;
党课 each semester) and meets by them.

Attendance: every expected person gets a row (the roster is static: today's 党员 of the branch / group, committee
members for 支委会, two people for a talk); mostly present, some on approved leave, a few absent. Meetings and attendance
go in as raw rows with explicit ids, in batches (memory stays flat at any size): executemany on SQLite, COPY on
PostgreSQL (bulk_create is ~10× slower here).
"""

import random
from collections import defaultdict
from datetime import date, time, timedelta

from dateutil.relativedelta import relativedelta
from django.db import connection

from dangjian.demo.builder import REFERENCE_DATE

from .rules import BRANCH_KINDS, GROUP_KINDS

SEED001_BRANCH = "DEMO-S03"
SEED001_REASON = "新华小学党支部工作制度：支委会、党员大会、党小组会每月召开，党课每学期一次（种子001）"
SEED001_RULES = {"life.committee": "monthly", "life.assembly": "monthly", "life.group": "monthly",
                 "life.lecture": "semester"}
COMMITTEE_POSTS = {"secretary", "deputy", "organisation", "propaganda", "discipline", "member"}
THEMES = {
    "committee": ["研究本月党建工作安排", "讨论发展党员工作", "研究党员教育管理事项", "部署主题党日活动"],
    "assembly": ["学习贯彻党的二十大精神", "通报支部工作情况", "讨论接收预备党员", "学习《中国共产党章程》"],
    "lecture": ["书记讲党课：新时代教育家精神", "党课：坚定理想信念", "党课：党的纪律建设", "党课：立德树人根本任务"],
    "theme_day": ["重温入党誓词", "志愿服务进社区", "参观红色教育基地", "集中学习研讨"],
    "life_meeting": ["年度组织生活会"],
    "evaluation": ["民主评议党员"],
    "talk": ["谈心谈话"],
    "group": ["党小组学习", "党小组集体备课研讨", "党小组交流思想"],
}
MONTHLY_GAP, QUARTERLY_GAP = 0.04, 0.03
BATCH_ROWS = 500_000


def _months(years):
    """(year, month) of every month in the `years` years before the reference date."""
    first = (REFERENCE_DATE - relativedelta(years=years)).replace(day=1)
    out, d = [], first
    while d < REFERENCE_DATE.replace(day=1):
        out.append((d.year, d.month))
        d += relativedelta(months=1)
    return out


def _last_complete_quarter():
    q_start = date(REFERENCE_DATE.year, 3 * ((REFERENCE_DATE.month - 1) // 3) + 1, 1)
    prev = q_start - relativedelta(months=3)
    return {(prev.year, prev.month + i) for i in range(3)}


class _Plan:
    """Meetings and their attendance as plain tuples, written in batches of about BATCH_ROWS attendance rows so
    memory stays flat at any size (a 100× district has tens of millions of attendance rows)."""

    def __init__(self, seed):
        self.rng = random.Random(f"dangjian-life-{seed}")
        self.meetings = []      # the current batch: tuples of Meeting fields (org_id, type, date, host_id, theme)
        self.attendees = []     # per meeting of the batch: [(person_id, status, leave_approved)]
        self.votes = []         # the batch's admission votes: (index in the batch, full-member ids)
        self.pending = 0        # attendance rows in the batch
        self.counts = {"meetings": 0, "attendance": 0, "votes": 0}

    def add(self, org, kind, day, people, *, host=None, absent=(), force_leave=()):
        """Plan one held meeting; returns its index in the current batch (for `vote`)."""
        if self.pending >= BATCH_ROWS:
            self.flush()
        rng = self.rng
        rows = []
        for pid in people:
            if pid in absent:
                rows.append((pid, "absent", False))
            elif pid in force_leave:
                rows.append((pid, "leave", True))
            else:
                roll = rng.random()
                status = "present" if roll < 0.9 else "leave" if roll < 0.96 else "absent"
                rows.append((pid, status, status == "leave"))
        self.meetings.append((org.pk, kind, day, host, rng.choice(THEMES[kind])))
        self.attendees.append(rows)
        self.pending += len(rows)
        return len(self.meetings) - 1

    def vote(self, index, voters):
        self.votes.append((index, voters))

    def flush(self):
        if self.meetings:
            _write(self)
        self.counts["meetings"] += len(self.meetings)
        self.counts["attendance"] += self.pending
        self.counts["votes"] += len(self.votes)
        self.meetings, self.attendees, self.votes, self.pending = [], [], [], 0


def extend(result, *, seed, years):
    from dangjian.compliance.models import RuleOverride

    plan = _Plan(seed)
    rng = plan.rng
    orgs = sorted(result.orgs.values(), key=lambda o: o.path)
    people = result.people
    members_of, group_members_of, full_of = defaultdict(list), defaultdict(list), defaultdict(list)
    for p in people:
        if p.status in ("full", "probationary"):
            members_of[p.org_id].append(p.pk)
            if p.group_id:
                group_members_of[p.group_id].append(p.pk)
            if p.status == "full" and not p.under_party_probation:
                full_of[p.org_id].append(p.pk)
    seats, secretary = defaultdict(list), {}
    for post in result.generated.posts:
        org = result.orgs[post.org_code]
        if post.post in COMMITTEE_POSTS:
            seats[org.pk].append(people[post.person_index].pk)
        if post.post == "secretary":
            secretary[org.pk] = people[post.person_index].pk

    branches = [o for o in orgs if o.kind in BRANCH_KINDS]
    groups = [o for o in orgs if o.kind in GROUP_KINDS]
    seed001 = result.orgs.get(SEED001_BRANCH)
    local = {}
    if seed001 is not None:
        RuleOverride.objects.bulk_create([
            RuleOverride(org=seed001, rule_id=rule_id, enabled=True,
                         params={"frequency": frequency, "soon_days_short": 7, "soon_days_long": 15},
                         reason=SEED001_REASON)
            for rule_id, frequency in SEED001_RULES.items()])
        local = {o.pk: SEED001_RULES for o in orgs if o.path.startswith(seed001.path)}

    with_committee = {b.pk for b in branches if len(seats[b.pk]) >= 2}
    designated = next((b for b in branches if b.pk in with_committee and b is not seed001
                       and len(members_of[b.pk]) >= 8), None)
    absent3 = absent6 = None
    if designated is not None:
        plain = [pid for pid in members_of[designated.pk] if pid not in seats[designated.pk]]
        if len(plain) >= 2:
            absent3, absent6 = plain[0], plain[1]
    months = _months(years)
    last_quarter = _last_complete_quarter()
    ref_month = (REFERENCE_DATE.year, REFERENCE_DATE.month)

    def recent(ym, n):  # within the last n months before the reference month
        index = (ref_month[0] * 12 + ref_month[1]) - (ym[0] * 12 + ym[1])
        return 1 <= index <= n

    def absent_for(org_members, ym):
        out = set()
        if absent6 in org_members and recent(ym, 6):
            out.add(absent6)
        if absent3 in org_members and recent(ym, 3):
            out.add(absent3)
        return out

    def day(ym, lo, hi):
        d = date(ym[0], ym[1], rng.randint(lo, hi))
        return min(d, REFERENCE_DATE - timedelta(days=1))

    def frequency(org, rule_id, default):
        return local.get(org.pk, {}).get(rule_id, default)

    def due(freq, ym):
        """Whether this month gets the meeting of a `freq` obligation (which month of the period it falls in)."""
        y, m = ym
        if freq == "monthly":
            return True
        if freq == "quarterly":
            return m % 3 == 2
        if freq == "semester":
            return m in (11, 5)
        return m == 12

    for branch in branches:
        members = members_of[branch.pk]
        if not members:
            continue
        host = secretary.get(branch.pk)
        member_set = set(members)
        for ym in months:
            if date(ym[0], ym[1], 1) < branch.founded_on.replace(day=1) + relativedelta(months=1):
                continue
            absent = absent_for(member_set, ym)
            if branch.pk in with_committee and due(frequency(branch, "life.committee", "monthly"), ym) \
                    and rng.random() > MONTHLY_GAP:
                plan.add(branch, "committee", day(ym, 2, 8), seats[branch.pk], host=host, absent=absent)
            assembly_freq = frequency(branch, "life.assembly", "quarterly")
            skip_quarter = branch is designated and ym in last_quarter
            if due(assembly_freq, ym) and not skip_quarter and rng.random() > QUARTERLY_GAP:
                no_quorum = branch is designated and ym == (REFERENCE_DATE.year, 2)
                voters = full_of[branch.pk]
                leave = set(voters[: len(voters) // 2 + 1]) - absent if no_quorum else set()
                index = plan.add(branch, "assembly", day(ym, 12, 18), members, host=host, absent=absent,
                                 force_leave=leave)
                if voters and (no_quorum or rng.random() < 0.2):
                    plan.vote(index, set(voters))
            if due(frequency(branch, "life.lecture", "quarterly"), ym) and rng.random() > QUARTERLY_GAP:
                plan.add(branch, "lecture", day(ym, 20, 26), members, host=host, absent=absent)
            if due(frequency(branch, "life.theme_day", "monthly"), ym) and rng.random() > MONTHLY_GAP:
                plan.add(branch, "theme_day", day(ym, 9, 11), members, host=host, absent=absent)
            if ym[1] == 12:
                plan.add(branch, "life_meeting", day(ym, 14, 22), members, host=host, absent=absent)
                plan.add(branch, "evaluation", day(ym, 23, 28), members, host=host, absent=absent)
            if ym[1] in (10, 11) and host:
                for pid in members[ym[1] % 2::2]:
                    if pid != host:
                        plan.add(branch, "talk", day(ym, 1, 28), [host, pid], host=host, absent=absent)

    for group in groups:
        members = group_members_of[group.pk]
        if not members:
            continue
        member_set = set(members)
        for ym in months:
            if date(ym[0], ym[1], 1) < group.founded_on.replace(day=1) + relativedelta(months=1):
                continue
            if rng.random() > MONTHLY_GAP:
                plan.add(group, "group", day(ym, 13, 27), members, absent=absent_for(member_set, ym))

    plan.flush()
    result.counts.update(plan.counts)


def _write(plan):
    """Write one batch of the plan."""
    from .models import Attendance, Meeting, Vote

    ids = _reserve_ids(Meeting, len(plan.meetings))
    held, start, end, place = Meeting.Status.HELD.value, time(15, 30), time(17, 0), "党员活动室"
    _insert(Meeting, ["id", "org", "type", "date", "host", "theme", "status", "start_time", "end_time", "place"],
            ((pk, *m, held, start, end, place) for pk, m in zip(ids, plan.meetings)))
    _insert(Attendance, ["meeting", "person", "status", "leave_approved"],
            ((pk, *row) for pk, rows in zip(ids, plan.attendees) for row in rows))

    votes = []
    for index, voters in plan.votes:
        rows = plan.attendees[index]
        present = sum(1 for pid, status, _ in rows if pid in voters and status == "present")
        due = len(voters)
        no = min(1, present) if present > 3 else 0
        yes = present - no
        quorum = present * 2 > due
        votes.append(Vote(meeting_id=ids[index], kind=Vote.Kind.ADMISSION, subject="讨论接收预备党员",
                          voters_due=due, voters_present=present, yes=yes, no=no, abstain=0, quorum_met=quorum,
                          passed=quorum and yes * 2 > due,
                          rule_note="到会有表决权的党员须超过应到人数的半数；赞成票须超过应到会有表决权的党员的半数"))
    Vote.objects.bulk_create(votes, batch_size=1000)


def _reserve_ids(model, n):
    """n primary keys for rows inserted with explicit ids: from the sequence on PostgreSQL (safe with concurrent
    writers); on SQLite the caller's transaction holds the write lock, so max(id)+1… is free."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{model._meta.db_table}', 'id')) "
                           f"FROM generate_series(1, %s)", [n])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + n))


def _insert(model, names, rows):
    """Raw bulk insert of tuples for the fields `names` (a foreign key by its field name, given as an id); every
    other column gets its model default (auto_now fields: now), so a field added later with a default does not
    break this. COPY on PostgreSQL, executemany in chunks elsewhere. Far faster than bulk_create for millions of
    rows, which compiles every value of every row through the ORM. The columns are listed as `names` then the
    defaulted ones, so a row is the given tuple plus one constant tuple (no per-field work)."""
    from django.utils import timezone

    by_name = {f.name: f for f in model._meta.concrete_fields}
    given = [by_name[name] for name in names]
    rest = [f for f in model._meta.concrete_fields if f.name not in names and not f.primary_key]
    now = timezone.now()
    defaults = tuple(
        f.get_db_prep_save(now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                           else f.get_default(), connection) for f in rest)
    postgres = connection.vendor == "postgresql"
    # SQLite stores dates and times as text: convert those columns (PostgreSQL's COPY adapts them itself).
    convert = [] if postgres else [(i, f) for i, f in enumerate(given)
                                   if f.get_internal_type() in ("DateField", "TimeField")]
    if convert:
        def values(row):
            row = list(row)
            for i, f in convert:
                row[i] = f.get_db_prep_save(row[i], connection)
            return (*row, *defaults)
    else:
        def values(row):
            return row + defaults

    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in given + rest)
    with connection.cursor() as cursor:
        if postgres:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + defaults)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * (len(given) + len(rest)))})"
        chunk = []
        for row in rows:
            chunk.append(values(row))
            if len(chunk) >= 50_000:
                cursor.executemany(sql, chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
