"""Official Party statistics (党内统计, DOMAIN §7) for an organisation's subtree as of a date.

Who counts: the people whose party status on the date — the last `StatusEvent` effective on or before it — was
正式党员 or 预备党员, and whose 组织关系 on the date — an `OrgMembership` with started_on ≤ date < ended_on (a move
ends the old row and starts the new one on the same day, so on that day the person belongs to the new organisation)
— was in the subtree. Current values of `Person.status` / `Person.org` are never used for that.

Flows (发展, 转正, 出党 …) cover the calendar year up to the date (1 January – date) and come from the status
history: the event's date, and the person's organisation on that date (for an exit, the organisation the person
was leaving: its row ends on the exit date). 民主评议 comes from `review.selectors.summary`.

Everything is aggregated in the database — one grouped query with conditional counts for all member tables, one
for the flows — so the number of queries is fixed (`QUERIES`) whatever the subtree's size. Bands use plain date
comparisons against dates computed here from the as-of date (exact at birthdays); no encrypted field is read.
"""

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear

from dangjian.members.models import Education, Gender, Occupation, OrgMembership, Person, Status, StatusEvent
from dangjian.orgs.models import Organisation, OrgKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EARLIEST = date(1921, 7, 1)
DATE_FORMAT_ERROR = "统计日期格式应为 YYYY-MM-DD，例如 2026-12-31。"
MEMBER_STATUSES = (Status.FULL, Status.PROBATIONARY)
HAN = "汉族"
COLLEGE_AND_ABOVE = (Education.POSTGRADUATE, Education.BACHELOR, Education.COLLEGE)
YOUNG_MAX_AGE = 35  # 发展党员中 35 岁及以下

# 入党时间 (DOMAIN §7): the four eras of the official tables, by the 支部大会 date (Person.joined_on).
PRC_FOUNDED = date(1949, 10, 1)
THIRD_PLENUM = date(1978, 12, 18)  # 十一届三中全会 opened
EIGHTEENTH_CONGRESS = date(2012, 11, 8)  # 党的十八大 opened

# Age bands (inclusive, whole years on the as-of date) — the same bands as the roster's filter.
AGE_BANDS = [(None, 30, "30岁及以下"), (31, 35, "31至35岁"), (36, 40, "36至40岁"), (41, 45, "41至45岁"),
             (46, 50, "46至50岁"), (51, 55, "51至55岁"), (56, 60, "56至60岁"), (61, None, "61岁及以上")]
# 党龄 bands (whole years since 转正 on the as-of date): lower bound inclusive, upper bound exclusive.
PARTY_YEARS_BANDS = [(None, 5, "不满5年"), (5, 10, "5年以上不满10年"), (10, 20, "10年以上不满20年"),
                     (20, 30, "20年以上不满30年"), (30, None, "30年及以上")]

# Flows: which status events count, by table row. 自行脱党除名 and 出国（境）保留党籍 come with the transfers app.
ADMITTED, CONFIRMED = Status.PROBATIONARY, Status.FULL
_EXIT_ROWS = [("expelled", "开除党籍"), ("removed", "除名"), ("lapsed", "自行脱党除名"), ("cancelled", "取消预备党员资格"),
              ("suspended", "停止党籍"), ("deceased", "死亡"), ("transferred_out", "组织关系转出"),
              ("abroad", "出国（境）保留党籍")]
EXITS = [(value, label) for value, label in _EXIT_ROWS if value in Status.values]
LEFT_PARTY = [value for value in ("expelled", "removed", "lapsed", "cancelled") if value in Status.values]  # 出党
ABROAD = "abroad"
FLOW_STATUSES = (ADMITTED, CONFIRMED, *(s for s, _ in EXITS))

MEMBER_COLUMNS = ("合计", "正式党员", "预备党员")

# Queries of `compute` whatever the data: members, last year's count, organisations, flows, extensions, and the
# four of review.selectors.summary.
QUERIES = 9


# --- results ---------------------------------------------------------------------------------------------

@dataclass
class Row:
    label: str
    values: tuple
    part: bool = True  # False: an "其中" line, not added into the table's total


@dataclass
class Table:
    key: str
    title: str
    columns: tuple
    rows: list
    total: tuple | None  # the 合计 line (None: the table does not add up, e.g. year-on-year)
    of_members: bool = False  # the total is the member count
    note: str = ""

    def parts_sum(self):
        return tuple(sum(r.values[i] for r in self.rows if r.part) for i in range(len(self.columns)))


@dataclass
class Statistics:
    org: Organisation
    on: date
    start: date  # flows cover start..on
    members: int
    full: int
    probationary: int
    admitted: int = 0  # 发展党员 in start..on
    tables: list = field(default_factory=list)

    def table(self, key):
        return next(t for t in self.tables if t.key == key)


# --- parameters ------------------------------------------------------------------------------------------

def default_date(today):
    """The statistics' snapshot date: the last 31 December on or before today."""
    year_end = date(today.year, 12, 31)
    return year_end if today >= year_end else date(today.year - 1, 12, 31)


def check_date(on, today):
    """The reason an as-of date is refused, or None."""
    if on > today:
        return f"统计日期不能晚于今天（{today:%Y-%m-%d}）。"
    if on < EARLIEST:
        return "统计日期不能早于1921年7月1日。"
    return None


def parse_date(value, today):
    """A date from "YYYY-MM-DD" (job parameters, the command line), or ValidationError({"on": …}) in Chinese."""
    if isinstance(value, date):
        on = value
    else:
        try:
            on = datetime.strptime(str(value or "").strip(), "%Y-%m-%d").date()
        except ValueError:
            raise ValidationError({"on": DATE_FORMAT_ERROR}) from None
    error = check_date(on, today)
    if error:
        raise ValidationError({"on": error})
    return on


def job_params(on):
    return {"on": on.isoformat()}


# --- queries ---------------------------------------------------------------------------------------------

def years_before(on, years):
    """The date `years` whole years before `on` (29 February → 28 February, as relativedelta counts ages)."""
    return on - relativedelta(years=years)


def _whole_years(field_name, low, high, on):
    """Q: whole years elapsed from `field_name` to `on` within [low, high] (inclusive; None = open)."""
    q = Q()
    if low is not None:
        q &= Q(**{f"{field_name}__lte": years_before(on, low)})
    if high is not None:
        q &= Q(**{f"{field_name}__gt": years_before(on, high + 1)})
    return q


def _status_on(on, person_ref="pk"):
    """The person's party status on `on`: the latest status event effective on or before it."""
    return Subquery(StatusEvent.objects.filter(person=OuterRef(person_ref), effective_on__lte=on)
                    .order_by("-effective_on", "-id").values("status")[:1])


def _in_subtree_on(org, on):
    """Ids of the people whose 组织关系 on `on` lay in `org`'s subtree (start inclusive, end exclusive)."""
    return (OrgMembership.objects.filter(org__path__startswith=org.path, started_on__lte=on)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on)).values("person_id"))


def members_on(org, on):
    """People with their status on `on` (`status_on`) whose organisation on `on` was in the subtree — every status;
    filter `status_on__in=MEMBER_STATUSES` for the members (the grouped query groups instead, so the status
    subquery runs once per person)."""
    return Person.objects.filter(pk__in=_in_subtree_on(org, on)).annotate(status_on=_status_on(on))


def member_table_specs(on):
    """[(key, title, [(row key, label, Q, part)], note)] of the member tables; each row a conditional count."""
    education = [(e.value, e.label, Q(education=e.value), True) for e in Education]
    return [
        ("sex", "党员性别情况", [("m", "男", Q(gender=Gender.MALE), True),
                                ("f", "女", Q(gender=Gender.FEMALE), True)], ""),
        ("ethnicity", "党员民族情况", [
            ("han", "汉族", Q(ethnicity=HAN), True),
            ("minority", "少数民族", ~Q(ethnicity__in=[HAN, ""]), True),
            ("unknown", "未填写", Q(ethnicity=""), True)], ""),
        ("age", "党员年龄情况", [(f"a{i}", band[2], _whole_years("birth_date", band[0], band[1], on), True)
                              for i, band in enumerate(AGE_BANDS)],
         "年龄按统计日期计算（周岁，生日当天满岁）。"),
        ("education", "党员学历情况", [
            *education, ("unknown", "未填写", Q(education=""), True),
            ("college_up", "其中：大专及以上", Q(education__in=COLLEGE_AND_ABOVE), False)], ""),
        ("joined", "党员入党时间情况", [
            ("e1", "新中国成立前", Q(joined_on__lt=PRC_FOUNDED), True),
            ("e2", "新中国成立后至党的十一届三中全会前", Q(joined_on__gte=PRC_FOUNDED, joined_on__lt=THIRD_PLENUM), True),
            ("e3", "党的十一届三中全会后至党的十八大前",
             Q(joined_on__gte=THIRD_PLENUM, joined_on__lt=EIGHTEENTH_CONGRESS), True),
            ("e4", "党的十八大以来", Q(joined_on__gte=EIGHTEENTH_CONGRESS), True),
            ("unknown", "未填写", Q(joined_on__isnull=True), True)],
         "按入党日期（支部大会通过接收为预备党员的日期）划分；十一届三中全会自1978年12月18日起，十八大自2012年11月8日起。"),
        ("party_years", "党员党龄情况", [
            *[(f"y{i}", label, Q(full_member_on__isnull=False)
               & _whole_years("full_member_on", low, None if high is None else high - 1, on), True)
              for i, (low, high, label) in enumerate(PARTY_YEARS_BANDS)],
            ("unknown", "转正日期未填写", Q(full_member_on__isnull=True) | Q(full_member_on__gt=on), True)],
         "党龄自转正日期（预备期满之日）起算，按统计日期计算整年数；预备党员不计党龄，单列一行。"),
        ("occupation", "党员职业情况", [(o.value, o.label, Q(occupation=o.value), True) for o in Occupation], ""),
    ]


STATUS_FLAGS = [("mobile", "其中：流动党员", Q(is_mobile=True)), ("lost", "其中：失联党员", Q(lost_contact=True)),
                ("probation", "其中：受留党察看处分", Q(under_party_probation=True))]


def _member_counts(org, on, specs):
    """{status on the date: {alias: count}} — one grouped query (every status of the people in the subtree)."""
    aggregates = {"n": Count("pk")}
    for key, _, rows, _ in specs:
        for row_key, _, q, _ in rows:
            aggregates[f"{key}__{row_key}"] = Count("pk", filter=q)
    for key, _, q in STATUS_FLAGS:
        aggregates[f"flag__{key}"] = Count("pk", filter=q)
    rows = members_on(org, on).values("status_on").annotate(**aggregates).order_by()
    return {row.pop("status_on"): row for row in rows}


def member_count(org, on):
    """How many members (正式 + 预备) the subtree had on `on` (one query)."""
    return members_on(org, on).filter(status_on__in=MEMBER_STATUSES).count()


def _age_at_event_at_most(years):
    """Q on StatusEvent: the person's age (whole years) on the event's date is at most `years`.
    age = Δyear − (1 if the event's month-day precedes the birthday's), in SQL on both databases."""
    return Q(age_years__lt=years + 1) | Q(age_years=years + 1, event_md__lt=F("birth_md"))


def _flow_events(org, start, on):
    """Status events of the period that count as 发展, 转正 or an exit, of people in the subtree on the day."""
    subtree = OrgMembership.objects.filter(person=OuterRef("person_id"), org__path__startswith=org.path,
                                           started_on__lte=OuterRef("effective_on"))
    there = Exists(subtree.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=OuterRef("effective_on"))))
    leaving = Exists(subtree.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef("effective_on"))))
    # 发展 is 发展对象 → 预备党员, 转正 is 预备 → 正式 (a return from abroad or from 停止党籍 is neither). A record
    # created with a status ("建档", no previous status) counts as 发展/转正 only when it is dated on the person's
    # recorded 入党/转正 date; never as an exit (its date is the day of data entry).
    admitted = Q(status=ADMITTED) & (Q(previous_status=Status.CANDIDATE)
                                     | Q(previous_status="", effective_on=F("person__joined_on")))
    confirmed = Q(status=CONFIRMED) & (Q(previous_status=Status.PROBATIONARY)
                                       | Q(previous_status="", effective_on=F("person__full_member_on")))
    exited = Q(status__in=[s for s, _ in EXITS]) & ~Q(previous_status="")
    return (StatusEvent.objects.filter(effective_on__gte=start, effective_on__lte=on, status__in=FLOW_STATUSES)
            .filter((admitted | confirmed) & there | exited & leaving))


def _flow_counts(org, start, on):
    """{status: {n, female, minority, young, college, occ__*}} — one grouped query."""
    aggregates = {
        "n": Count("pk"),
        "female": Count("pk", filter=Q(person__gender=Gender.FEMALE)),
        "minority": Count("pk", filter=~Q(person__ethnicity__in=[HAN, ""])),
        "young": Count("pk", filter=_age_at_event_at_most(YOUNG_MAX_AGE)),
        "college": Count("pk", filter=Q(person__education__in=COLLEGE_AND_ABOVE)),
        **{f"occ__{o.value}": Count("pk", filter=Q(person__occupation=o.value)) for o in Occupation},
    }
    rows = (_flow_events(org, start, on)
            .alias(age_years=ExtractYear("effective_on") - ExtractYear("person__birth_date"),
                   event_md=ExtractMonth("effective_on") * 100 + ExtractDay("effective_on"),
                   birth_md=ExtractMonth("person__birth_date") * 100 + ExtractDay("person__birth_date"))
            .values("status").annotate(**aggregates).order_by())
    return {row.pop("status"): row for row in rows}


def _org_counts(org, on):
    """{kind: count} of the subtree's organisations that existed on `on` (one query)."""
    rows = (Organisation.objects.filter(path__startswith=org.path).active(on)
            .values("kind").annotate(n=Count("pk")).order_by())
    return {row["kind"]: row["n"] for row in rows}


def _extensions(org, start, on):
    from dangjian.pipeline.models import DevelopmentFile

    return DevelopmentFile.objects.filter(org__path__startswith=org.path, extension_decided_on__gte=start,
                                          extension_decided_on__lte=on).count()


# --- tables ----------------------------------------------------------------------------------------------

def _member_tables(counts, specs):
    full, prob = counts.get(Status.FULL, {}), counts.get(Status.PROBATIONARY, {})

    def cells(alias, *, full_only=False):
        f, p = full.get(alias, 0), 0 if full_only else prob.get(alias, 0)
        return (f + p, f, p)

    n_full, n_prob = full.get("n", 0), prob.get("n", 0)
    total = (n_full + n_prob, n_full, n_prob)
    note = "党籍状态与组织关系按统计日期的历史记录确定；流动、失联、留党察看按现登记情况。"
    abroad = counts.get(ABROAD, {}).get("n", 0)
    if abroad:
        note += f"另有出国（境）保留党籍 {abroad} 人，不计入党员数。"
    tables = [Table("status", "党员总体情况", MEMBER_COLUMNS, [
        Row("正式党员", (n_full, n_full, 0)), Row("预备党员", (n_prob, 0, n_prob)),
        *[Row(label, cells(f"flag__{key}"), part=False) for key, label, _ in STATUS_FLAGS]],
        total, of_members=True, note=note)]
    for key, title, rows, note in specs:
        full_only = key == "party_years"  # 预备党员 have no 党龄: one line of their own
        table_rows = [Row(label, cells(f"{key}__{row_key}", full_only=full_only), part)
                      for row_key, label, _, part in rows]
        if full_only:
            table_rows.insert(len(table_rows) - 1, Row("预备党员", (n_prob, 0, n_prob)))
        tables.append(Table(key, title, MEMBER_COLUMNS, table_rows, total, of_members=True, note=note))
    return tables


def _flow_table(key, title, data, note):
    n = data.get("n", 0)
    rows = [Row(o.label, (data.get(f"occ__{o.value}", 0),)) for o in Occupation]
    rows += [Row("其中：女", (data.get("female", 0),), part=False),
             Row("其中：少数民族", (data.get("minority", 0),), part=False),
             Row(f"其中：{YOUNG_MAX_AGE}岁及以下", (data.get("young", 0),), part=False),
             Row("其中：大专及以上学历", (data.get("college", 0),), part=False)]
    return Table(key, title, ("人数",), rows, (n,), note=note)


def _review_table(summary):
    grades = summary["grades"]
    reviewed, exempt = summary["members_reviewed"], summary["members_exempt"]
    rows = [Row(label, (count,)) for label, count in grades.items()]
    rows += [Row("尚未评定", (reviewed - sum(grades.values()),)), Row("不参加评议", (exempt,))]
    return Table("review", "民主评议党员情况", ("人数",), rows, (reviewed + exempt,),
                 note=f"本期启动的评议 {summary['rounds_held']} 次（已结束 {summary['rounds_closed']} 次）；"
                      "按评议启动日期计入。")


def _cn(d):
    return f"{d.year}年{d.month}月{d.day}日"


def compute(org, on, progress=None):
    """All the statistics tables for `org`'s subtree as of `on` (`QUERIES` queries whatever the data size).
    `progress(done, total, message)` is called between the steps."""
    from dangjian.review.selectors import summary as review_summary

    steps = 5
    report = progress or (lambda done, total, message="": None)
    start = date(on.year, 1, 1)
    period = f"{_cn(start)}至{_cn(on)}"
    specs = member_table_specs(on)

    report(0, steps, "统计党员构成")
    counts = _member_counts(org, on, specs)
    tables = _member_tables(counts, specs)
    stats = Statistics(org=org, on=on, start=start, members=tables[0].total[0], full=tables[0].total[1],
                       probationary=tables[0].total[2])

    report(1, steps, "统计上年底党员数")
    last_year_end = date(on.year - 1, 12, 31)
    before = member_count(org, last_year_end)
    tables.insert(1, Table("change", "党员数量变化", ("人数",), [
        Row(f"上年底（{last_year_end:%Y-%m-%d}）党员数", (before,), part=False),
        Row(f"统计日期（{on:%Y-%m-%d}）党员数", (stats.members,), part=False),
        Row("比上年底增减", (stats.members - before,), part=False)], None,
        note="组织关系在本组织及下级组织内的正式党员和预备党员；内部调动不计增减。"))

    report(2, steps, "统计党组织")
    kinds = _org_counts(org, on)
    org_rows = [Row(kind.label, (kinds.get(kind.value, 0),)) for kind in OrgKind]
    tables.append(Table("orgs", "党组织情况", ("个数",), org_rows, (sum(kinds.values()),),
                        note="统计日期已成立且未撤销的组织（含本组织）；组织类型按现登记。"))

    report(3, steps, "统计发展党员、转正和出党")
    flows = _flow_counts(org, start, on)
    none = {}
    stats.admitted = flows.get(ADMITTED, none).get("n", 0)
    tables.append(_flow_table("admitted", "发展党员情况", flows.get(ADMITTED, none),
                              f"{period}接收的预备党员（支部大会通过之日），按接收时所在组织；年龄按接收之日计算。"))
    confirmed, cancelled = flows.get(CONFIRMED, none).get("n", 0), flows.get(Status.CANCELLED, none).get("n", 0)
    extended = _extensions(org, start, on)
    tables.append(Table("confirmed", "预备党员转正情况", ("人数",), [
        Row("转为正式党员", (confirmed,)), Row("延长预备期", (extended,)), Row("取消预备党员资格", (cancelled,))],
        (confirmed + extended + cancelled,), note=f"{period}；延长预备期按决定日期，以发展党员档案所在组织计。"))
    exit_rows = [Row(label, (flows.get(status, none).get("n", 0),)) for status, label in EXITS]
    exit_rows.append(Row("其中：出党（开除党籍、除名、自行脱党除名、取消预备党员资格）",
                         (sum(flows.get(s, none).get("n", 0) for s in LEFT_PARTY),), part=False))
    tables.append(Table("exits", "出党和党员减少情况", ("人数",), exit_rows,
                        (sum(r.values[0] for r in exit_rows if r.part),),
                        note=f"{period}，按离开时所在组织；组织关系在本区域内调动不计。"))

    report(4, steps, "统计民主评议")
    tables.append(_review_table(review_summary(org, start, on)))
    report(5, steps, "统计完成")
    stats.tables = tables
    return stats


# --- Excel -----------------------------------------------------------------------------------------------

_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")
_FILE_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def file_name(stats):
    return f"党内统计_{_FILE_UNSAFE.sub('_', stats.org.name)}_{stats.on:%Y%m%d}.xlsx"


def workbook(stats):
    """xlsx bytes: one sheet per table — title, scope and date, header, rows, 合计."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    book = openpyxl.Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for number, table in enumerate(stats.tables, 1):
        sheet = book.create_sheet(_SHEET_UNSAFE.sub("", f"{number}.{table.title}")[:31])
        sheet.append([f"表{number}　{table.title}"])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([f"统计范围：{stats.org.name}及下级组织　统计日期：{stats.on:%Y-%m-%d}"])
        sheet.append(["项目", *table.columns])
        for cell in sheet[3]:
            cell.font = bold
            cell.alignment = Alignment(horizontal="center")
        for row in table.rows:
            sheet.append([row.label, *row.values])
        if table.total is not None:
            sheet.append(["合计", *table.total])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        if table.note:
            sheet.append([])
            sheet.append([f"说明：{table.note}"])
        sheet.column_dimensions["A"].width = 44
        for letter in "BCD"[:len(table.columns)]:
            sheet.column_dimensions[letter].width = 12
        sheet.freeze_panes = "B4"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- background job and command line ---------------------------------------------------------------------

def build_job(job, progress):
    """The "statistics" report job: `job.params` = {"on": "YYYY-MM-DD"} for `job.org`'s subtree.
    Returns (file name, content type, bytes). The scope is checked again: roles may have changed since."""
    from django.utils import timezone

    from dangjian.core import scoping

    if not scoping.can_read(job.created_by, job.org):
        raise ValidationError("您已无权查看该组织的统计数据。")
    on = parse_date((job.params or {}).get("on"), timezone.localdate())
    steps = 6
    stats = compute(job.org, on, progress=lambda done, total, message="": progress(done, steps, message))
    content = workbook(stats)
    progress(steps, steps, "已生成 Excel")
    return file_name(stats), XLSX, content


def command_statistics(org, on, out_path):
    """`dangjian report statistics --org ID --on DATE --out F.xlsx`: write the workbook, audit the export, and
    return a one-line summary. `org` is an Organisation or its id, `on` a date or "YYYY-MM-DD"; bad input raises
    CommandError with a Chinese message and writes nothing."""
    from pathlib import Path

    from django.core.management.base import CommandError
    from django.utils import timezone

    from dangjian.core import audit

    if not isinstance(org, Organisation):
        found = Organisation.objects.filter(pk=int(org)).first() if str(org).strip().isdigit() else None
        if found is None:
            raise CommandError(f"组织 {org} 不存在。")
        org = found
    try:
        on = parse_date(on, timezone.localdate())
    except ValidationError as exc:
        raise CommandError("；".join(exc.messages)) from None
    stats = compute(org, on)
    content = workbook(stats)
    path = Path(out_path)
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise CommandError(f"无法写入文件 {path}：{exc.strerror}") from None
    with transaction.atomic():
        audit.record(event=audit.Event.EXPORT, obj=org, object_type="reports.statistics", username="(命令行)",
                     object_repr=f"党内统计：{org.name}",
                     changes={"on": on.isoformat(), "members": stats.members, "file": path.name})
    return (f"已导出{org.name}截至{on:%Y-%m-%d}的党内统计（党员 {stats.members} 人，{len(stats.tables)} 张表）："
            f"{path}")
