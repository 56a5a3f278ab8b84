"""Benchmarks: time the hot reads on synthetic districts of two sizes, as ratios to a bare SQL baseline.

    make bench                                   # = DANGJIAN_TESTING=1 .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --sizes 1200,12000 --repeat 7

Each size runs in its own child process with its own temporary SQLite database (the environment is set
before django.setup()): migrate, build the district with the same builder as `dangjian synth`, then time
every benchmark in BENCHMARKS. The baseline (`SELECT count(*) FROM members_person`) is measured in the
same process, so the ratios compare like with like across machines. Nothing here asserts on time.
"""

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = "1200,12000"
SCHOOLS_PER_MEMBER = 1 / 40  # ≈ 30 schools for 1 200 people, 300 for 12 000


# --- the benchmarks (run inside the child, after django.setup()) ------------------------------------------
# Each takes the context dict and returns a zero-argument callable to time, or None when not available yet.

def bench_baseline(ctx):
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM members_person")
            cursor.fetchone()
    return run


def bench_roster_page(ctx):
    from django.conf import settings

    from dangjian.members.models import Person

    user = ctx["district_user"]
    return lambda: list(Person.objects.visible_to(user).select_related("org")[: settings.PAGE_SIZE])


def bench_roster_count(ctx):
    from dangjian.members.models import Person

    user = ctx["district_user"]
    return lambda: Person.objects.visible_to(user).count()


def bench_school_roster_page(ctx):
    from django.conf import settings

    from dangjian.members.models import Person

    user = ctx["school_user"]
    return lambda: list(Person.objects.visible_to(user).select_related("org")[: settings.PAGE_SIZE])


def bench_org_tree(ctx):
    from dangjian.orgs.models import Organisation

    user = ctx["district_user"]
    return lambda: list(Organisation.objects.visible_to(user))


def bench_findings(ctx):
    from dangjian.compliance.engine import findings_for
    from dangjian.demo.builder import REFERENCE_DATE
    from dangjian.orgs.models import Organisation

    user = ctx["district_user"]
    return lambda: findings_for(Organisation.objects.visible_to(user), on=REFERENCE_DATE)


BENCHMARKS = [
    ("baseline", "基准：SELECT count(*) FROM members_person", bench_baseline),
    ("roster_page", "名册首页（全区，select_related org，50人）", bench_roster_page),
    ("roster_count", "名册总人数（全区，分页计数）", bench_roster_count),
    ("school_roster_page", "名册首页（一所学校的组织管理员）", bench_school_roster_page),
    ("org_tree", "组织树（全区 visible_to）", bench_org_tree),
    ("findings", "问题提示引擎 findings_for（全区）", bench_findings),
]


def _time(fn, repeat):
    """(median seconds per call, queries of the first call). Fast calls are looped (like timeit's autorange)
    so that each sample lasts at least 5 ms."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()  # warm-up, and the query count of a first (uncached) call
    loops = 1
    while loops < 10_000:
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        if time.perf_counter() - started >= 0.005:
            break
        loops *= 2
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - started) / loops)
    return statistics.median(samples), len(captured.captured_queries)


def child(size, repeat, seed):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from dangjian.accounts.models import User
    from dangjian.demo.builder import build
    from dangjian.demo.plans import synth_plan, synth_region_code
    from dangjian.orgs.models import Organisation, Role, RoleAssignment

    call_command("migrate", verbosity=0)
    schools = max(1, round(size * SCHOOLS_PER_MEMBER))
    started = time.perf_counter()
    with transaction.atomic():
        result = build(synth_plan(schools=schools, members=size, seed=seed), seed=seed,
                       region_code=synth_region_code(seed))
    build_seconds = time.perf_counter() - started

    district_user = User.objects.create_user("bench_district")
    RoleAssignment.objects.create(user=district_user, org=result.root, role=Role.VIEWER)
    school = (Organisation.objects.filter(path__startswith=result.root.path, depth=3)
              .order_by("-numchild", "path").first())
    school_user = User.objects.create_user("bench_school")
    RoleAssignment.objects.create(user=school_user, org=school, role=Role.ORG_ADMIN)
    ctx = {"size": size, "root": result.root, "district_user": district_user, "school_user": school_user,
           "school": school}

    rows = {}
    for key, _, factory in BENCHMARKS:
        fn = factory(ctx)
        rows[key] = None if fn is None else _time(fn, repeat)
    print(json.dumps({"size": size, "schools": schools, "orgs": result.counts["orgs"], "build": build_seconds,
                      "rows": rows}))


def _child_env(tmp, size):
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "dangjian.settings",
        "DATABASE_URL": f"sqlite:///{tmp}/bench-{size}.sqlite3",
        "DANGJIAN_VAR_DIR": str(tmp),
        "DANGJIAN_TESTING": "1",  # throwaway secret key and fast password hasher
        "DEBUG": "0",              # no query log overhead
        "FIELD_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
    })
    return env


def _fmt_ms(seconds):
    return f"{seconds * 1000:.3f}"


def _print_table(results):
    from dangjian.demo.output import table

    headers = ["项目"]
    for r in results:
        headers += [f"{r['size']}人 毫秒", "倍数", "查询"]
    rows = []
    for key, label, _ in BENCHMARKS:
        row = [label]
        for r in results:
            value, base = r["rows"][key], r["rows"]["baseline"]
            if value is None:
                row += ["待实现", "—", "—"]
            else:
                row += [_fmt_ms(value[0]), f"{value[0] / base[0]:.1f}" if base[0] else "—", str(value[1])]
        rows.append(row)
    print(table(headers, rows))
    print()
    for r in results:
        rate = r["size"] / r["build"] if r["build"] else 0
        print(f"生成 {r['size']} 人（{r['schools']} 所学校，{r['orgs']} 个党组织）：{r['build']:.1f} 秒，"
              f"约 {rate:,.0f} 人/秒")


def main():
    parser = argparse.ArgumentParser(description="党建平台基准测试（输出与基准查询的倍数，不对耗时做断言）")
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"人员规模，逗号分隔（默认 {DEFAULT_SIZES}）")
    parser.add_argument("--repeat", type=int, default=7, help="每项重复次数，取中位数（默认7）")
    parser.add_argument("--seed", type=int, default=1, help="模拟数据的随机种子（默认1）")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child is not None:
        sys.path.insert(0, str(ROOT))
        child(args.child, args.repeat, args.seed)
        return

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    with tempfile.TemporaryDirectory(prefix="dangjian-bench-") as tmp:
        for size in sizes:
            print(f"正在生成并测量 {size} 人的模拟区县……", file=sys.stderr, flush=True)
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(size), "--repeat", str(args.repeat), "--seed",
                 str(args.seed)],
                env=_child_env(tmp, size), cwd=ROOT, capture_output=True, text=True)
            if proc.returncode != 0:
                sys.stderr.write(proc.stdout + proc.stderr)
                sys.exit(f"规模 {size} 的基准测试失败。")
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print()
    print("耗时为中位数；倍数 = 耗时 ÷ 同一进程中基准查询的耗时（越小越好，跨机器可比）；查询 = 执行的 SQL 条数。")
    print()
    _print_table(results)


if __name__ == "__main__":
    main()
