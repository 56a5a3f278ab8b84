"""Roster import benchmark: importing a generated 10 000-row .xlsx vs openpyxl alone reading it.

    DANGJIAN_TESTING=1 .venv/bin/python benchmarks/import_bench.py [--rows 10000] [--profile]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench DANGJIAN_TESTING=1 .venv/bin/python benchmarks/import_bench.py

Creates a throw-away test database (SQLite: a temporary file; PostgreSQL: test_<name>), builds a small
district, generates the file in memory, then times
  baseline: openpyxl.load_workbook(read_only=True) and iterating every row (best of 3);
  import:   roster_import_run — read, validate every cell, duplicate look-ups, one-transaction bulk insert.
Prints both and the ratio (target ≤ 3×). Never asserts: wall-clock time depends on the machine.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("DANGJIAN_TESTING", "1")


def build_file(rows, branches):
    import openpyxl

    from dangjian.core import idnumber
    from dangjian.members import importing

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(importing.SHEET_TITLE)
    sheet.append([c.header + ("*" if c.required else "") for c in importing.COLUMNS])
    keys = [c.key for c in importing.COLUMNS]
    statuses = ["正式党员"] * 8 + ["预备党员", "入党积极分子"]
    for i in range(rows):
        birth = date(1962, 1, 1) + timedelta(days=i % 9000)
        body = f"110101{birth:%Y%m%d}{(i // 9000) * 2 + 1:03d}"
        status = statuses[i % len(statuses)]
        row = {
            "name": f"教师{i:05d}", "gender": "男" if i % 2 else "女", "ethnicity": "汉族",
            "birth_date": birth.isoformat(), "id_number": body + idnumber.check_digit(body),
            "phone": f"139{i:08d}", "education": "大学本科", "occupation": "专业技术人员",
            "professional_title": "一级教师", "org": branches[i % len(branches)], "group": "",
            "status": status, "applied_on": (birth + timedelta(days=365 * 22)).isoformat(),
            "joined_on": (birth + timedelta(days=365 * 23)).isoformat() if status != "入党积极分子" else "",
            "full_member_on": (birth + timedelta(days=365 * 24)).isoformat() if status == "正式党员" else "",
            "is_class_teacher": "是" if i % 3 == 0 else "否", "is_research_lead": "否",
            "is_backbone": "是" if i % 5 == 0 else "否", "is_administrative": "否",
        }
        sheet.append([row[k] for k in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_with_openpyxl(data):
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = 0
    for _ in workbook.worksheets[0].iter_rows(values_only=True):
        count += 1
    workbook.close()
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=40)
    parser.add_argument("--profile", action="store_true", help="print the 25 most expensive functions of the import")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", module="treebeard")
    warnings.filterwarnings("ignore", message=".*deprecated.*")
    import django
    from django.conf import settings

    django.setup()
    from harness import close_database, open_database
    from django.db import connection

    settings.IMPORT_IN_THREAD = False
    settings.IMPORT_MAX_BYTES = 200 * 1024 * 1024
    db = open_database()
    try:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from dangjian.accounts.models import User
        from dangjian.imports.models import ImportJob
        from dangjian.members import importing
        from dangjian.members.models import Person
        from dangjian.orgs.models import Organisation, OrgKind, Role, RoleAssignment

        district = Organisation.add_root(name="基准测试教育工委", kind=OrgKind.WORK_COMMITTEE, founded_on=date(2000, 1, 1))
        school = district.add_child(name="基准中学党委", kind=OrgKind.PARTY_COMMITTEE, founded_on=date(2000, 1, 1))
        names = []
        for n in range(args.branches):
            school.refresh_from_db()
            branch = school.add_child(name=f"基准中学第{n + 1}党支部", kind=OrgKind.BRANCH, founded_on=date(2000, 1, 1),
                                      code=f"B{n + 1:03d}")
            names.append(branch.code if n % 2 else branch.name)
        user = User.objects.create_user(username="bench", password="Bench-pass-2024")
        RoleAssignment.objects.create(user=user, org=district, role=Role.ORG_ADMIN)

        started = time.perf_counter()
        data = build_file(args.rows, names)
        print(f"generated {args.rows} rows ({len(data) / 1024 / 1024:.1f} MB) in {time.perf_counter() - started:.2f}s "
              f"on {connection.vendor}")

        baseline = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            counted = read_with_openpyxl(data)
            baseline = min(baseline, time.perf_counter() - started)
        assert counted == args.rows + 1

        job = importing.roster_import_submit(actor=user, upload=SimpleUploadedFile("bench.xlsx", data))
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        job = importing.roster_import_run(job_id=job.pk)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started

        if job.status != ImportJob.State.DONE:
            print(f"import FAILED: {job.errors[:5]}")
            return 1
        assert Person.objects.count() == args.rows
        print(f"openpyxl read_only read : {baseline:7.2f}s")
        print(f"roster import           : {elapsed:7.2f}s  ({args.rows / elapsed:,.0f} rows/s, one transaction)")
        print(f"ratio import / openpyxl : {elapsed / baseline:7.2f}x  (target <= 3x)")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    finally:
        close_database(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
