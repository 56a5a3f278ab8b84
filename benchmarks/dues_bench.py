"""Dues benchmark: generating a month's bills for a synthetic district vs a bare bulk insert of the same rows.

    DANGJIAN_TESTING=1 .venv/bin/python benchmarks/dues_bench.py [--members 12000] [--repeat 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench DANGJIAN_TESTING=1 .venv/bin/python benchmarks/dues_bench.py

Creates a throw-away test database (SQLite: a temporary file; PostgreSQL: test_<name>), builds a synthetic district
with the `dangjian synth` builder and its dues records (dues.demo.extend: bases and 12 months of bills up to the
demo reference date, timed and printed), then times, best of --repeat, each inside a rolled-back transaction:
  baseline: DuesBill.objects.bulk_create() of the very rows the generation produces (no reads, no computing);
  generate: dues.services.bills_generate() for the whole district for the next month (reads, policy, rates,
            the same bulk insert and the audit row).
Prints both and the ratio (target ≤ 2×). Never asserts: wall-clock time depends on the machine.
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


class Rollback(Exception):
    pass


def timed(func, repeat):
    """Best wall-clock time of `func` run inside a transaction that is rolled back each time."""
    from django.db import transaction

    best, value = float("inf"), None
    for _ in range(repeat):
        try:
            with transaction.atomic():
                started = time.perf_counter()
                value = func()
                best = min(best, time.perf_counter() - started)
                raise Rollback
        except Rollback:
            pass
    return best, value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=12_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    warnings.filterwarnings("ignore", module="treebeard")
    import django
    from django.conf import settings

    django.setup()
    from harness import close_database, open_database
    from django.db import connection, transaction

    settings.FIELD_ENCRYPTION_KEY = settings.FIELD_ENCRYPTION_KEY or "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    db = open_database()
    try:
        from dangjian.demo.builder import build
        from dangjian.demo.plans import synth_plan, synth_region_code
        from dangjian.dues import demo, services
        from dangjian.dues.models import DuesBill
        from dangjian.members.models import Person

        started = time.perf_counter()
        with transaction.atomic():
            result = build(synth_plan(schools=max(1, args.members // 40), members=args.members, seed=args.seed),
                           seed=args.seed, region_code=synth_region_code(args.seed))
        built = time.perf_counter() - started
        started = time.perf_counter()
        with transaction.atomic():
            demo.extend(result, seed=args.seed, years=1)
        extended = time.perf_counter() - started
        people = Person.objects.count()
        print(f"{connection.vendor}: synthetic district of {people} people built in {built:.2f}s; "
              f"dues records (bases, {result.counts['dues_bills']} bills, {result.counts['dues_payments']} payments) "
              f"added in {extended:.2f}s")

        month = date(2026, 10, 1)

        def generate():
            return services.bills_generate(actor=None, month=month, org=result.root, batch_size=2000)

        # The rows the generation writes, captured once, for the bare insert.
        rows = []

        def capture():
            generate()
            rows.extend(DuesBill.objects.filter(month=month).values(
                "person_id", "month", "org_id", "category", "base", "base_month", "rate", "tier", "source",
                "standard_amount", "amount"))
        timed(capture, 1)

        def bare():
            DuesBill.objects.bulk_create([DuesBill(**row) for row in rows], batch_size=2000)
            return len(rows)

        baseline, count = timed(bare, args.repeat)
        elapsed, outcome = timed(generate, args.repeat)
        print(f"bare bulk insert of {count} bills : {baseline:7.3f}s")
        print(f"bills_generate ({outcome.created} created)   : {elapsed:7.3f}s")
        print(f"ratio generate / bare insert      : {elapsed / baseline:7.2f}x  (target <= 2x)")
    finally:
        close_database(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
