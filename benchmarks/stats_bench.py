"""党内统计 benchmark: the district statistics vs the bare SQL aggregates they need, written by hand.

    DANGJIAN_TESTING=1 .venv/bin/python benchmarks/stats_bench.py [--schools 300 --members 12000] [--on 2026-09-01]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench DANGJIAN_TESTING=1 .venv/bin/python benchmarks/stats_bench.py

Creates a throw-away test database (SQLite: a temporary file; PostgreSQL: test_<name>), generates a synthetic
district with the same code as `dangjian synth` (tree, people with their 建档 status event and membership), then
adds history so the as-of logic has work to do: one member in 25 moves to another branch on 1 March of the as-of
year, one in 60 leaves (死亡 / 除名) on 1 May. It reports how long that took, then times, best of --repeat runs,
interleaved so a busy machine slows both alike:
  baseline:   hand-written SQL — one GROUP BY over the members as of the date (status from the last status event,
              organisation from the membership rows) by status, sex, ethnicity, education, occupation, flags and
              CASE bands for age, 入党时间 and 党龄; the member count at the previous year end; organisations by kind;
              the year's status events by status and the 发展 dimensions; extensions; 民主评议 grades;
  statistics: reports.statistics.compute for the district root (every table, 9 queries), and the same plus the
              Excel workbook (what the background job does);
and prints the ratio statistics / baseline (target ≤ 3×) and the share of the statistics' time spent in SQL (its own
queries, as Django sent them, run raw with every row fetched).
Never asserts.
"""

import argparse
import os
import sys
import time
import warnings
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("DANGJIAN_TESTING", "1")

MEMBERS_AS_OF = """
    SELECT p.*, (SELECT e.status FROM members_statusevent e WHERE e.person_id = p.id AND e.effective_on <= %(on)s
                 ORDER BY e.effective_on DESC, e.id DESC LIMIT 1) AS st
    FROM members_person p
    WHERE p.id IN (SELECT m.person_id FROM members_orgmembership m JOIN orgs_organisation o ON o.id = m.org_id
                   WHERE o.path LIKE %(path)s AND m.started_on <= %(on)s
                   AND (m.ended_on IS NULL OR m.ended_on > %(on)s))"""


def baseline_queries(vendor, path, on):
    """[(sql, params)] — every aggregate the statistics need, by hand."""
    from dateutil.relativedelta import relativedelta

    def ago(years):
        return on - relativedelta(years=years)

    age_case = "CASE " + " ".join(f"WHEN birth_date > %(a{i})s THEN {i}" for i in range(7)) + " ELSE 7 END"
    ages = {f"a{i}": ago(31 + 5 * i) for i in range(7)}
    years_case = ("CASE WHEN full_member_on IS NULL OR full_member_on > %(on)s THEN -1 "
                  + " ".join(f"WHEN full_member_on > %(y{i})s THEN {i}" for i in range(4)) + " ELSE 4 END")
    years = {f"y{i}": ago(n) for i, n in enumerate((5, 10, 20, 30))}
    joined_case = ("CASE WHEN joined_on IS NULL THEN -1 WHEN joined_on < '1949-10-01' THEN 0 "
                   "WHEN joined_on < '1978-12-18' THEN 1 WHEN joined_on < '2012-11-08' THEN 2 ELSE 3 END")
    base = {"on": on, "path": path + "%", **ages, **years}
    members = (f"SELECT st, gender, ethnicity, education, occupation, is_mobile, lost_contact, under_party_probation, "
               f"{age_case}, {joined_case}, {years_case}, count(*) FROM ({MEMBERS_AS_OF}) t "
               f"WHERE st IN ('full', 'probationary') GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11")
    previous = f"SELECT count(*) FROM ({MEMBERS_AS_OF}) t WHERE st IN ('full', 'probationary')"
    orgs = ("SELECT kind, count(*) FROM orgs_organisation WHERE path LIKE %(path)s AND founded_on <= %(on)s "
            "AND (dissolved_on IS NULL OR dissolved_on > %(on)s) GROUP BY kind")
    if vendor == "sqlite":
        age = ("CAST(strftime('%%Y', e.effective_on) AS INTEGER) - CAST(strftime('%%Y', p.birth_date) AS INTEGER)"
               " - (strftime('%%m-%%d', e.effective_on) < strftime('%%m-%%d', p.birth_date))")
    else:
        age = "date_part('year', age(e.effective_on, p.birth_date))"
    flows = (f"SELECT e.status, p.gender, p.ethnicity, p.education, p.occupation, {age} <= 35, count(*) "
             "FROM members_statusevent e JOIN members_person p ON p.id = e.person_id "
             "WHERE e.effective_on >= %(start)s AND e.effective_on <= %(on)s AND ("
             "  (e.status = 'probationary' AND (e.previous_status <> '' OR e.effective_on = p.joined_on))"
             "  OR (e.status = 'full' AND (e.previous_status = 'probationary'"
             "      OR (e.previous_status = '' AND e.effective_on = p.full_member_on)))"
             "  OR (e.status IN ('expelled', 'removed', 'cancelled', 'suspended', 'deceased', 'transferred_out')"
             "      AND e.previous_status <> ''))"
             " AND EXISTS (SELECT 1 FROM members_orgmembership m JOIN orgs_organisation o ON o.id = m.org_id"
             "  WHERE m.person_id = e.person_id AND o.path LIKE %(path)s AND m.started_on <= e.effective_on"
             "  AND (m.ended_on IS NULL OR m.ended_on > e.effective_on"
             "       OR (m.ended_on = e.effective_on AND e.status NOT IN ('probationary', 'full'))))"
             " GROUP BY 1, 2, 3, 4, 5, 6")
    extensions = ("SELECT count(*) FROM pipeline_developmentfile f JOIN orgs_organisation o ON o.id = f.org_id "
                  "WHERE o.path LIKE %(path)s AND f.extension_decided_on >= %(start)s "
                  "AND f.extension_decided_on <= %(on)s")
    review = ("SELECT s.exempt, s.final_grade, count(*) FROM review_subject s JOIN review_round r ON r.id = s.round_id "
              "JOIN orgs_organisation o ON o.id = r.org_id WHERE o.path LIKE %(path)s AND r.opened_on >= %(start)s "
              "AND r.opened_on <= %(on)s GROUP BY 1, 2")
    start = date(on.year, 1, 1)
    return [(members, base), (previous, {**base, "on": date(on.year - 1, 12, 31)}), (orgs, base),
            (flows, {**base, "start": start}), (extensions, {**base, "start": start}),
            (review, {**base, "start": start})]


def add_history(result, on):
    """Moves and exits in the as-of year, written as the services would (membership rows, status events)."""
    from dangjian.members.models import OrgMembership, Status, StatusEvent
    from dangjian.orgs.models import BRANCH_KINDS

    branches = [o for o in result.orgs.values() if o.kind in BRANCH_KINDS]
    moved_on, left_on = date(on.year, 3, 1), date(on.year, 5, 1)
    # Only people whose current membership began before the change (the constraint: end ≥ start).
    members = [p for p in result.people if p.status in (Status.FULL, Status.PROBATIONARY)
               and p.full_member_on is not None and p.full_member_on < moved_on]
    started = dict(OrgMembership.objects.filter(person__in=members, ended_on__isnull=True)
                   .values_list("person_id", "started_on"))
    members = [p for p in members if started.get(p.pk) is not None and started[p.pk] < moved_on]
    movers = members[::25]
    leavers = [p for p in members[7::60] if p.status == Status.FULL]
    OrgMembership.objects.filter(person__in=movers, ended_on__isnull=True).update(ended_on=moved_on)
    OrgMembership.objects.bulk_create(
        [OrgMembership(person=p, org=branches[(i * 7 + 3) % len(branches)], started_on=moved_on)
         for i, p in enumerate(movers)], batch_size=1000)
    OrgMembership.objects.filter(person__in=leavers, ended_on__isnull=True).update(ended_on=left_on)
    StatusEvent.objects.bulk_create(
        [StatusEvent(person=p, status=Status.DECEASED if i % 2 else Status.REMOVED, previous_status=Status.FULL,
                     effective_on=left_on) for i, p in enumerate(leavers)], batch_size=1000)
    return len(movers), len(leavers)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--members", type=int, default=12_000)
    parser.add_argument("--on", default="2026-09-01", help="the as-of date (default: the synthetic reference date)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    on = date.fromisoformat(args.on)

    warnings.filterwarnings("ignore", module="treebeard")
    warnings.filterwarnings("ignore", message=".*deprecated.*")
    import django

    django.setup()
    from harness import close_database, open_database
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext

    db = open_database()
    try:
        from dangjian.demo.builder import build
        from dangjian.demo.plans import synth_plan, synth_region_code
        from dangjian.reports import statistics

        started = time.perf_counter()
        with transaction.atomic():
            result = build(synth_plan(schools=args.schools, members=args.members, seed=args.seed), seed=args.seed,
                           region_code=synth_region_code(args.seed))
            moved, left = add_history(result, on)
        done = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        root = result.root
        print(f"{connection.vendor}: synthetic district of {len(result.orgs)} organisations, {len(result.people)} "
              f"people ({moved} moved, {left} left in {on.year}); generated in {done - started:.1f}s")

        queries = baseline_queries(connection.vendor, root.path, on)

        def run_baseline():
            rows = 0
            with connection.cursor() as cursor:
                for sql, params in queries:
                    cursor.execute(sql, params)
                    rows += len(cursor.fetchall())
            return rows

        def run_statistics():
            return statistics.compute(root, on)

        def run_job():
            return statistics.workbook(statistics.compute(root, on))

        rows = run_baseline()
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            stats = run_statistics()
        print(f"  as of {on}: {stats.members} members ({stats.full} 正式, {stats.probationary} 预备), "
              f"{stats.admitted} admitted this year; {len(stats.tables)} tables, {len(captured)} queries; "
              f"baseline: {len(queries)} queries, {rows} rows")

        # The statistics' own SQL, as Django sent it, run raw (with every row fetched): its share of the time.
        own_sql = [q["sql"] for q in captured.captured_queries]

        def run_own_sql():
            with connection.cursor() as cursor:
                for sql in own_sql:
                    cursor.execute(sql)  # no parameters: the text is run as it is
                    cursor.fetchall()

        runs = {"baseline": run_baseline, "statistics": run_statistics, "own_sql": run_own_sql, "job": run_job}
        best = dict.fromkeys(runs, float("inf"))
        for _ in range(args.repeat):
            for name, fn in runs.items():
                t0 = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - t0)
        baseline, elapsed, raw, job = best["baseline"], best["statistics"], best["own_sql"], best["job"]
        sql_share = min(1.0, raw / elapsed)
        print(f"  hand-written aggregates : {baseline * 1000:8.1f} ms")
        print(f"  district statistics     : {elapsed * 1000:8.1f} ms  "
              f"({sql_share:.0%} in its SQL: {raw * 1000:.1f} ms)")
        print(f"  statistics + Excel      : {job * 1000:8.1f} ms")
        print(f"  ratio statistics / SQL  : {elapsed / baseline:8.2f}x  (target <= 3x)")
    finally:
        close_database(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
