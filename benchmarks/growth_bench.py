"""Growth benchmark: how the roster, the compliance matrix, the statistics and the summary-report figures grow with
the size of the district, each against a hand-written SQL baseline measured in the same run (PostgreSQL only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres DANGJIAN_TESTING=1 \
        .venv/bin/python benchmarks/growth_bench.py [--sizes 1,10] [--years 5,5] [--reuse] [--repeat 5] [--explain]

For each size N (a multiple of a district: 300 schools, 12 000 people) it keeps a database `bench_<N>x` on the
server of DATABASE_URL: created with `createdb`, migrated and filled with `dangjian synth --scale N --years Y`
(generation time reported). With --reuse a database that already holds the synthetic district is used as it is,
so reruns skip generation. Each size is measured in its own process (DATABASE_URL pointing at its database);
timings are the best of --repeat runs, the item and its baseline interleaved so a busy machine slows both alike:

  roster (first page)  roster_queryset(district viewer, {}) as the roster view pages it: the first 50 rows
                       baseline: the same rows by hand (JOIN orgs, path prefix, on-roster statuses, ORDER BY LIMIT 50)
  roster (count)       the paginator's count — baseline: count(*) of the same rows by hand
  matrix               the /rules/matrix/ computation for the root and --year (benchmarks/matrix_bench.py)
                       baseline: matrix_bench.baseline_sql, one grouped count of the year's meetings
  statistics           reports.statistics.compute(root, on) — baseline: stats_bench.baseline_queries
  figures              reports.figures.collect(root, start, end) (skipped if the module does not import)
                       baseline: the statistics' and the matrix's hand-written aggregates together
  findings_store       the nightly findings job (compliance.services.findings_store over every organisation)
                       baseline: one grouped count of the year's meetings (what the meeting checks read at least)
  page_*               GET of a whole page (home, roster, org tree, matrix, findings, dashboard, statistics) as the
                       district viewer, through the Django test client: time, queries and the HTML's size;
                       no SQL baseline — compare them across sizes (the findings pages read the run stored above)

Ratio = item ÷ its baseline. --explain prints EXPLAIN (ANALYZE, BUFFERS) of each item's slowest queries.
Never asserts; `--drop` drops the databases at the end.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("DANGJIAN_TESTING", "1")

PAGE_SIZE = 50  # members.views.roster
SEED = 1
ITEMS = ["roster_page", "roster_count", "matrix", "statistics", "figures", "findings_store"]
# Whole pages as a district-level viewer opens them (Django test client, every middleware, the rendered HTML):
# what the user waits for, whatever the computation under it. No SQL baseline: they are compared across sizes.
PAGES = {
    "page_home": "/",
    "page_roster": "/members/",
    "page_orgs": "/orgs/",
    "page_matrix": "/rules/matrix/",
    "page_findings": "/rules/findings/",
    "page_dashboard": "/reports/dashboard/",
    "page_stats": "/reports/stats/",
}
ITEMS += list(PAGES)


# --- the parent: databases, generation, the table ----------------------------------------------------------------

def _server(url):
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("growth_bench needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/any")
    return parts


def _db_url(server, name):
    return urlunsplit((server.scheme, server.netloc, f"/{name}", server.query, ""))


def _pg_args(server):
    args = ["-h", server.hostname or "127.0.0.1", "-p", str(server.port or 5432)]
    if server.username:
        args += ["-U", server.username]
    return args


def _psql(server, db, sql):
    out = subprocess.run(["psql", *_pg_args(server), "-d", db, "-Atc", sql], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def _has_district(server, db):
    return _psql(server, db, f"SELECT 1 FROM orgs_organisation WHERE code = 'SYNTH-{SEED}'") == "1"


def _manage(url, *args):
    env = {**os.environ, "DATABASE_URL": url, "DANGJIAN_TESTING": "1"}
    return subprocess.run([str(Path(sys.executable).parent / "dangjian"), *args], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout


def prepare(server, scale, years, reuse):
    """The size's database, generated unless --reuse finds it ready. Returns (url, generation seconds or None)."""
    db = f"bench_{scale}x"
    url = _db_url(server, db)
    if reuse and _has_district(server, db):
        print(f"  {db}: reused", flush=True)
        return url, None
    subprocess.run(["dropdb", *_pg_args(server), "--if-exists", db], check=True)
    subprocess.run(["createdb", *_pg_args(server), db], check=True)
    _manage(url, "migrate", "-v0")
    print(f"  {db}: generating {scale}× ({years} years of records)…", flush=True)
    started = time.perf_counter()
    # The command's per-step times are printed as they come (a long run can be followed in a log, and a run
    # stopped half-way still shows how far it got), each with the time since generation started.
    env = {**os.environ, "DATABASE_URL": url, "DANGJIAN_TESTING": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dangjian"), "synth", "--scale", str(scale), "--years", str(years),
         "--seed", str(SEED), "--force", "-v2"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        print(f"    [{time.perf_counter() - started:6.0f} s] {line.rstrip()}", flush=True)
    if proc.wait() != 0:
        sys.exit(f"synth failed for {db} (exit status {proc.returncode})")
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2
    print(f"    generated in {elapsed:.0f} s; peak memory of a child process {peak:.1f} GB; "
          f"database {_db_size(server, db)}", flush=True)
    return url, elapsed


def _db_size(server, db):
    return _psql(server, db, "SELECT pg_size_pretty(pg_database_size(current_database()))")


def measure(url, args):
    # Production settings but plain HTTP (the test client does not speak TLS).
    env = {**os.environ, "DATABASE_URL": url, "DANGJIAN_TESTING": "1", "DEBUG": "0", "SECURE_SSL_REDIRECT": "0"}
    cmd = [sys.executable, __file__, "--child", "--repeat", str(args.repeat), "--year", str(args.year)]
    if args.explain:
        cmd.append("--explain")
    if args.only:
        cmd += ["--only", args.only]
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    report = out.stdout.split("@@RESULT@@")
    if report[0].strip():
        print(report[0].rstrip())
    return json.loads(report[1])


def table(rows):
    print(f"\n{'size':>5} {'people':>9} {'meetings':>9} {'attendance':>11} {'generated':>9} {'database':>9}")
    for r in rows:
        gen = f"{r['generated']:.0f} s" if r["generated"] is not None else "reused"
        print(f"{r['scale']:>4}× {r['people']:>9} {r['meetings']:>9} {r['attendance']:>11} {gen:>9} "
              f"{r.get('size') or '?':>9}")
    print(f"\n{'item':<13}" + "".join(f" | {str(r['scale']) + '×: ms (SQL ms) ratio q':>31}" for r in rows)
          + (f" | {'growth vs ' + str(rows[0]['scale']) + '×':>16}" if len(rows) > 1 else ""))
    for item in [i for i in ITEMS if any(i in r["items"] for r in rows)]:
        line = f"{item:<13}"
        for r in rows:
            t = r["items"].get(item)
            if t is None:
                cell = "skipped"
            elif t.get("base_ms") is None:
                cell = f"{t['ms']:.1f} ({t['kb']:.0f} KB) {t['queries']}"
            else:
                cell = f"{t['ms']:.1f} ({t['base_ms']:.1f}) {t['ms'] / t['base_ms']:.2f}× {t['queries']}"
            line += f" | {cell:>31}"
        first, last = rows[0]["items"].get(item), rows[-1]["items"].get(item)
        if len(rows) > 1 and first and last:
            line += f" | {'×' + format(last['ms'] / first['ms'], '.1f'):>16}"
        print(line)


def parent(args):
    server = _server(os.environ.get("DATABASE_URL", ""))
    scales = [int(s) for s in args.sizes.split(",")]
    years = [int(y) for y in args.years.split(",")]
    years += [years[-1]] * (len(scales) - len(years))
    rows = []
    for scale, y in zip(scales, years):
        url, generated = prepare(server, scale, y, args.reuse)
        result = measure(url, args)
        result.update(scale=scale, generated=generated, size=_db_size(server, f"bench_{scale}x"))
        rows.append(result)
        print(f"  {scale}×: {json.dumps(result['items'], ensure_ascii=False)}", flush=True)
    table(rows)
    if args.drop:
        for scale in scales:
            subprocess.run(["dropdb", *_pg_args(server), "--if-exists", f"bench_{scale}x"], check=True)
    return 0


# --- the child: one size's timings --------------------------------------------------------------------------------

ROSTER_SQL = """
    SELECT p.*, o.*, g.* FROM members_person p JOIN orgs_organisation o ON o.id = p.org_id
    LEFT JOIN orgs_organisation g ON g.id = p.group_id
    WHERE o.path LIKE %(path)s AND p.status <> ALL(%(ended)s) ORDER BY o.path, p.name, p.id LIMIT 50"""
ROSTER_COUNT_SQL = """
    SELECT count(*) FROM members_person p JOIN orgs_organisation o ON o.id = p.org_id
    WHERE o.path LIKE %(path)s AND p.status <> ALL(%(ended)s)"""


def child(args):
    warnings.filterwarnings("ignore", module="treebeard")
    warnings.filterwarnings("ignore", message=".*deprecated.*")
    import django

    django.setup()
    from django.core.paginator import Paginator
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    import matrix_bench
    import stats_bench
    from dangjian.accounts.models import User
    from dangjian.compliance.matrix import build_matrix
    from dangjian.demo.builder import REFERENCE_DATE
    from dangjian.life.models import Attendance, Meeting
    from dangjian.members.models import ENDED_STATUSES, Person
    from dangjian.members.selectors import roster_queryset
    from dangjian.orgs.models import Organisation, Role, RoleAssignment
    from dangjian.reports import statistics

    try:
        from dangjian.reports import figures
    except Exception:  # being written elsewhere: skip it
        figures = None

    root = Organisation.objects.get(code=f"SYNTH-{SEED}")
    user, _ = User.objects.get_or_create(username="growth_bench_viewer")
    RoleAssignment.objects.get_or_create(user=user, org=root, role=Role.VIEWER)
    user = User.objects.get(pk=user.pk)  # fresh: no cached scope
    on = REFERENCE_DATE
    year = args.year
    matrix_on = min(on, date(year + 1, 6, 30))
    start, end = date(year, 1, 1), min(date(year, 12, 31), on - timedelta(days=1))

    def sql_runner(queries):
        def run():
            with connection.cursor() as cursor:
                for sql, params in queries:
                    cursor.execute(sql, params)
                    cursor.fetchall()
        return run

    roster_params = {"path": root.path + "%", "ended": [str(s) for s in ENDED_STATUSES]}
    matrix_base = [(matrix_bench.baseline_sql("postgresql"), ["held", date(year, 1, 1), date(year, 12, 31)])]
    stats_base = stats_bench.baseline_queries("postgresql", root.path, on)

    def roster_page():
        qs, _ = roster_queryset(user, {}, today=on)
        return list(qs[:PAGE_SIZE])

    def roster_count():
        qs, _ = roster_queryset(user, {}, today=on)
        return Paginator(qs, PAGE_SIZE).count

    def matrix():
        orgs = list(Organisation.objects.filter(path__startswith=root.path).active())
        return build_matrix(orgs, orgs[0], year, matrix_on)

    items = {
        "roster_page": (roster_page, sql_runner([(ROSTER_SQL, roster_params)])),
        "roster_count": (roster_count, sql_runner([(ROSTER_COUNT_SQL, roster_params)])),
        "matrix": (matrix, sql_runner(matrix_base)),
        "statistics": (lambda: statistics.compute(root, on), sql_runner(stats_base)),
    }
    if figures is not None and hasattr(figures, "collect"):
        items["figures"] = (lambda: figures.collect(root, start, end), sql_runner(stats_base + matrix_base))
    from dangjian.compliance.services import findings_store

    items["findings_store"] = (lambda: findings_store(on=on), sql_runner(matrix_base))
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    sizes = {}

    page_queries = {}

    def page(url):
        # The request_started signal clears connection.queries, so a page's queries are counted by a wrapper.
        def get():
            counted = []

            def count(execute, sql, params, many, context):
                counted.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                response = browser.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
            sizes[url] = len(response.content)
            page_queries[url] = len(counted)
        return get

    for name, url in PAGES.items():
        items[name] = (page(url), None)

    if args.only:
        items = {name: item for name, item in items.items() if name in args.only.split(",")}
    out = {"people": Person.objects.count(), "meetings": Meeting.objects.count(),
           "attendance": Attendance.objects.count(), "items": {}}
    for name, (fn, base) in items.items():
        base = base or (lambda: None)
        base()
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            fn()
        best = best_base = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            base()
            t1 = time.perf_counter()
            fn()
            t2 = time.perf_counter()
            best_base, best = min(best_base, t1 - t0), min(best, t2 - t1)
        result = {"ms": best * 1000, "base_ms": best_base * 1000, "queries": len(captured)}
        if name in PAGES:
            result.update(base_ms=None, kb=sizes[PAGES[name]] / 1024, queries=page_queries[PAGES[name]])
        out["items"][name] = result
        if args.explain:
            slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
            for q in slowest:
                print(f"\n--- {name}: {q['time']}s\n{q['sql'][:600]}")
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                    print("\n".join(row[0] for row in cursor.fetchall()))
    print("@@RESULT@@" + json.dumps(out))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10", help="district multiples, comma-separated (default 1,10)")
    parser.add_argument("--years", default="5",
                        help="years of records per size, comma-separated; the last repeats (default 5)")
    parser.add_argument("--year", type=int, default=2026,
                        help="the matrix / figures year (default 2026: January to the reference date)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="use bench_<N>x as it is when it holds the district")
    parser.add_argument("--drop", action="store_true", help="drop the bench_<N>x databases at the end")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) each item's slowest queries")
    parser.add_argument("--only", default="", help=f"comma-separated items to time (default all: {','.join(ITEMS)})")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
