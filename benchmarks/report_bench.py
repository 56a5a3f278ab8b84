"""Summary-report benchmark: the school-year 工作总结 of one school, and the share of its time spent in SQL.

    DANGJIAN_TESTING=1 .venv/bin/python benchmarks/report_bench.py [--schools 30 --members 1200 --years 1]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench DANGJIAN_TESTING=1 .venv/bin/python benchmarks/report_bench.py

Creates a throw-away test database (SQLite: a temporary file; PostgreSQL: test_<name>), generates a synthetic
district with the same code as `dangjian synth` (every app's demo records, `years` years up to the demo reference
date 2026-09-01), picks the school with the most people, and times, best of --repeat runs:
  baseline: SELECT count(*) FROM members_person (the same baseline as benchmarks/run.py);
  figures:  dangjian.reports.figures.collect for the school and the school year 2025-09-01..2026-08-31 (each app's
            summary selectors and the compliance findings of the school's subtree) — what the editing page counts;
  document: dangjian.reports.summary.render — the figures plus the charts (matplotlib) and the Word document;
and prints each as milliseconds and as a ratio to the baseline, the number of queries, and the share of the time
spent in SQL (measured with a connection execute wrapper around every query). Never asserts.
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

START, END = date(2025, 9, 1), date(2026, 8, 31)


class SqlTimer:
    """An execute wrapper: how many queries and how long the database took (cursor execute, not Python)."""

    def __init__(self):
        self.count, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def timed(connection, repeat, fn):
    """(best wall time, SQL seconds and query count of that best run)."""
    best = (float("inf"), 0.0, 0)
    for _ in range(repeat):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - started
        if elapsed < best[0]:
            best = (elapsed, timer.seconds, timer.count)
    return best


def pick_school(Organisation, Person):
    """The school with the most people: per unit name, its highest organisation (districts and areas excluded)."""
    top = {}
    for org in (Organisation.objects.exclude(unit_name="").exclude(kind__in=["work_committee", "area_committee"])
                .order_by("depth", "path")):
        top.setdefault(org.unit_name, org)
    return max(top.values(), key=lambda o: Person.objects.filter(org__path__startswith=o.path).count())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=30)
    parser.add_argument("--members", type=int, default=1200)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="profile one document build")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", module="treebeard")
    warnings.filterwarnings("ignore", message=".*deprecated.*")
    import django

    django.setup()
    from harness import close_database, open_database
    from django.db import connection, reset_queries, transaction

    db = open_database()
    try:
        from dangjian.core.registry import extend_demo, refresh_planner_statistics
        from dangjian.demo.builder import build
        from dangjian.demo.plans import synth_plan, synth_region_code
        from dangjian.members.models import Person
        from dangjian.orgs.models import Organisation
        from dangjian.reports import charts, figures, summary

        started = time.perf_counter()
        with transaction.atomic():
            result = build(synth_plan(schools=args.schools, members=args.members, seed=args.seed), seed=args.seed,
                           region_code=synth_region_code(args.seed))
            extend_demo(result, seed=args.seed, years=args.years)
        refresh_planner_statistics()
        school = pick_school(Organisation, Person)
        people = Person.objects.filter(org__path__startswith=school.path).count()
        print(f"{connection.vendor}: synthetic district of {len(result.orgs)} organisations, {len(result.people)} "
              f"people, every app's demo records for {args.years} year(s), generated in "
              f"{time.perf_counter() - started:.1f}s")
        print(f"  school: {school.name} ({people} people in its subtree); period {START} to {END}; "
              f"chart font: {charts.cjk_font() or 'none (numbers only)'}")

        def run_baseline():
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM members_person")
                cursor.fetchone()

        def run_figures():
            return figures.collect(school, START, END)

        def run_document():
            return summary.render(school, START, END)

        run_document()  # warm: imports, fonts, caches
        reset_queries()
        baseline, _, _ = timed(connection, args.repeat, run_baseline)
        rows = [("figures (editing page)", *timed(connection, args.repeat, run_figures)),
                ("document (figures + charts + docx)", *timed(connection, args.repeat, run_document))]
        print(f"  baseline count(*)                  : {baseline * 1000:8.2f} ms")
        for label, elapsed, sql, queries in rows:
            print(f"  {label:<35}: {elapsed * 1000:8.1f} ms  {elapsed / baseline:8.0f}x baseline  "
                  f"{queries:4d} queries  SQL {sql * 1000:7.1f} ms = {100 * sql / elapsed:4.1f}% of the time")
        report = run_figures()
        print(f"  figures: {sum(len(s.figures) for s in report.sections)} in {len(report.sections)} sections; "
              f"document: {len(run_document()[1]) // 1024} KiB")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run_document()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    finally:
        close_database(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
