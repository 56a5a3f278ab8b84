"""Compliance-matrix benchmark: the yearly district matrix vs one hand-written SQL aggregate over the same rows.

    DANGJIAN_TESTING=1 .venv/bin/python benchmarks/matrix_bench.py [--schools 300 --members 12000 --years 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench DANGJIAN_TESTING=1 .venv/bin/python benchmarks/matrix_bench.py

Creates a throw-away test database (SQLite: a temporary file; PostgreSQL: test_<name>), generates a synthetic
district with the same code as `dangjian synth` (tree, people, committees, then the life app's records only:
`years` years of meetings with attendance and votes; other apps' records do not touch the matrix) and reports
how long that took. Then it times, best
of --repeat runs:
  baseline: SELECT org_id, type, <month>, count(*) FROM life_meeting WHERE status = 'held' AND date in the year
            GROUP BY 1, 2, 3 — strftime('%Y-%m', date) on SQLite, date_trunc('month', date) on PostgreSQL;
  matrix:   what the /rules/matrix/ view computes for the district root and that year, all types: the organisation
            list, then compliance.matrix.build_matrix (overrides, committee applicability, one grouped count of
            meetings, and every cell in Python);
and prints the ratio (target ≤ 2×). With --explain it prints the query plans of both queries. Never asserts.
With --keep FILE (SQLite) the database is kept in FILE and a later run with the same FILE skips generation, so
changes to the matrix code can be measured again in seconds.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
import warnings
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("DANGJIAN_TESTING", "1")


def baseline_sql(vendor):
    month = "strftime('%%Y-%%m', date)" if vendor == "sqlite" else "date_trunc('month', date)"
    return (f"SELECT org_id, type, {month} AS month, count(*) FROM life_meeting "
            f"WHERE status = %s AND date >= %s AND date <= %s GROUP BY org_id, type, month")


def best_of(repeat, fn):
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def explain(connection, sql, params):
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join("  " + " ".join(str(c) for c in row) for row in cursor.fetchall())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--members", type=int, default=12_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--year", type=int, default=2025, help="the matrix year (default 2025, a complete year)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--profile", action="store_true", help="profile one matrix build")
    parser.add_argument("--keep", metavar="FILE", help="SQLite: keep the database in FILE and reuse it next time")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", module="treebeard")
    warnings.filterwarnings("ignore", message=".*deprecated.*")
    import django

    django.setup()
    from harness import close_database, open_database
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext

    db = open_database(keep=args.keep)
    try:
        from dangjian.compliance.matrix import build_matrix
        from dangjian.life import demo as life_demo
        from dangjian.demo.builder import build
        from dangjian.demo.plans import synth_plan, synth_region_code
        from dangjian.life.models import Attendance, Meeting
        from dangjian.orgs.models import Organisation

        if db.reused:
            root = Organisation.objects.order_by("path").first()
            print(f"{connection.vendor}: reusing {args.keep}: {Organisation.objects.count()} organisations, "
                  f"{Meeting.objects.count()} meetings, {Attendance.objects.count()} attendance rows")
        else:
            started = time.perf_counter()
            with transaction.atomic():
                result = build(synth_plan(schools=args.schools, members=args.members, seed=args.seed),
                               seed=args.seed, region_code=synth_region_code(args.seed))
                built = time.perf_counter()
                life_demo.extend(result, seed=args.seed, years=args.years)
            done = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            meetings, attendance = Meeting.objects.count(), Attendance.objects.count()
            print(f"{connection.vendor}: synthetic district of {len(result.orgs)} organisations, "
                  f"{len(result.people)} people, {meetings} meetings, {attendance} attendance rows")
            print(f"  generated in {done - started:.1f}s (tree and people {built - started:.1f}s, "
                  f"life.demo.extend {done - built:.1f}s)")
            root = result.root
        on = date(args.year + 1, 6, 30)
        params = ["held", date(args.year, 1, 1), date(args.year, 12, 31)]
        sql = baseline_sql(connection.vendor)

        def run_baseline():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        def run_matrix():
            orgs = list(Organisation.objects.filter(path__startswith=root.path).active())
            return build_matrix(orgs, orgs[0], args.year, on)

        rows = run_baseline()
        reset_queries()  # the log holds at most 9 000 queries: a full log would hide the ones captured below
        with CaptureQueriesContext(connection) as captured:
            matrix = run_matrix()
        print(f"  baseline rows: {len(rows)}; matrix: {len(matrix.rows)} rows, {len(captured)} queries, "
              f"{matrix.percent}% of due periods met")
        # interleaved, so a busy machine slows both alike; best of --repeat each
        baseline = elapsed = float("inf")
        for _ in range(args.repeat):
            baseline = min(baseline, best_of(1, run_baseline))
            elapsed = min(elapsed, best_of(1, run_matrix))
        print(f"  hand-written aggregate : {baseline * 1000:8.1f} ms")
        print(f"  district matrix        : {elapsed * 1000:8.1f} ms")
        print(f"  ratio matrix / SQL     : {elapsed / baseline:8.2f}x  (target <= 2x)")
        if args.explain:
            meeting_query = next(q["sql"] for q in captured.captured_queries if "life_meeting" in q["sql"])
            print("\nEXPLAIN (hand-written aggregate):")
            print(explain(connection, sql, params))
            print("\nEXPLAIN (the matrix's meeting count, as Django sent it):")
            with connection.cursor() as cursor:
                prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
                cursor.execute(prefix + meeting_query)
                print("\n".join("  " + " ".join(str(c) for c in row) for row in cursor.fetchall()))
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run_matrix()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(20)
    finally:
        close_database(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
