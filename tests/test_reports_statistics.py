"""党内统计 (reports.statistics): every table against independent counts, history-aware as-of dates, band edges,
a fixed number of queries, the Excel workbook read back, the page, the export job and bad input."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.models import AuditLog
from dangjian.members.models import (Education, Gender, Occupation, OrgMembership, Person, Status,
                                     StatusEvent)
from dangjian.orgs.models import Organisation, OrgKind, Role
from dangjian.reports import statistics as S
from dangjian.reports.jobs import job_key
from dangjian.reports.models import ReportJob
from tests.factories import make_org, make_person, make_user

pytestmark = pytest.mark.django_db

ON = date(2025, 12, 31)


def member(org, *, since=date(2011, 7, 1), status=Status.FULL, **fields):
    """A person with the history the services write: one membership and one status event from `since`."""
    person = make_person(org, status=status, status_since=since, **fields)
    OrgMembership.objects.create(person=person, org=org, started_on=since)
    StatusEvent.objects.create(person=person, status=status, effective_on=since, note="建档")
    return person


def change(person, status, on, previous=None):
    StatusEvent.objects.create(person=person, status=status, previous_status=previous or person.status,
                               effective_on=on)
    person.status = status
    person.save(update_fields=["status"])


def move(person, org, on):
    OrgMembership.objects.filter(person=person, ended_on__isnull=True).update(ended_on=on)
    OrgMembership.objects.create(person=person, org=org, started_on=on)


def row(table, label):
    return next(r.values for r in table.rows if r.label == label)


@pytest.fixture
def people(tree):
    """A mixed roster in school A (both branches) and school B, with non-members and people who left."""
    a1, a2, b = tree["branch_a1"], tree["branch_a2"], tree["school_b"]
    specs = [
        (a1, dict(gender="F", birth=date(1996, 3, 1), education=Education.POSTGRADUATE, ethnicity="回族",
                  joined_on=date(2018, 6, 1), full_member_on=date(2019, 6, 1))),
        (a1, dict(gender="M", birth=date(1990, 1, 1), education=Education.BACHELOR, joined_on=date(2000, 7, 1),
                  full_member_on=date(2001, 7, 1), is_mobile=True)),
        (a1, dict(gender="F", birth=date(1960, 5, 5), education=Education.COLLEGE, occupation=Occupation.RETIRED,
                  joined_on=date(1975, 7, 1), full_member_on=date(1976, 7, 1))),
        (a2, dict(gender="M", birth=date(1945, 1, 1), education=Education.HIGH_SCHOOL,
                  occupation=Occupation.RETIRED, joined_on=date(1948, 7, 1), full_member_on=date(1949, 7, 1))),
        (a2, dict(gender="F", birth=date(1980, 8, 8), education="", occupation=Occupation.MANAGER, ethnicity="",
                  joined_on=date(2012, 11, 8), full_member_on=date(2013, 11, 8), lost_contact=True)),
        (a2, dict(gender="F", birth=date(1999, 9, 9), education=Education.JUNIOR, occupation=Occupation.WORKER,
                  status=Status.PROBATIONARY, joined_on=date(2025, 5, 1), full_member_on=None,
                  since=date(2025, 5, 1))),
        (a2, dict(gender="M", birth=date(1970, 2, 2), education=Education.SECONDARY,
                  occupation=Occupation.STUDENT, joined_on=date(1990, 1, 1), full_member_on=None)),
        (b, dict(gender="M", birth=date(1985, 1, 1), education=Education.BACHELOR)),
    ]
    out = [member(org, **spec) for org, spec in specs]
    member(a1, status=Status.APPLICANT, applied_on=date(2025, 3, 1), since=date(2025, 3, 1))
    member(a1, status=Status.ACTIVIST, since=date(2024, 3, 1))
    gone = member(a2, birth=date(1950, 1, 1))
    change(gone, Status.DECEASED, date(2025, 4, 1))
    OrgMembership.objects.filter(person=gone).update(ended_on=date(2025, 4, 1))
    return out


def expected_members(org, on):
    """Independent count: walk every person's history in Python."""
    result = []
    for person in Person.objects.all():
        events = [e for e in person.status_events.all() if e.effective_on <= on]
        status = max(events, key=lambda e: (e.effective_on, e.id)).status if events else None
        where = [m for m in person.memberships.select_related("org")
                 if m.started_on <= on and (m.ended_on is None or m.ended_on > on)]
        if status in (Status.FULL, Status.PROBATIONARY) and any(m.org.path.startswith(org.path) for m in where):
            result.append((person, status))
    return result


def _split(rows, predicate):
    full = sum(1 for p, s in rows if s == Status.FULL and predicate(p))
    prob = sum(1 for p, s in rows if s == Status.PROBATIONARY and predicate(p))
    return (full + prob, full, prob)


def test_each_member_table_matches_independent_counts(tree, people):
    for org in (tree["district"], tree["school_a"], tree["branch_a2"], tree["school_b"]):
        stats = S.compute(org, ON)
        rows = expected_members(org, ON)
        assert stats.members == len(rows)
        t = stats.table
        assert row(t("sex"), "女") == _split(rows, lambda p: p.gender == Gender.FEMALE)
        assert row(t("ethnicity"), "少数民族") == _split(rows, lambda p: p.ethnicity not in ("汉族", ""))
        assert row(t("ethnicity"), "未填写") == _split(rows, lambda p: p.ethnicity == "")
        for low, high, label in S.AGE_BANDS:
            assert row(t("age"), label) == _split(
                rows, lambda p: (low or 0) <= p.age_on(ON) <= (high or 200)), label
        for value, label in Education.choices:
            assert row(t("education"), label) == _split(rows, lambda p: p.education == value)
        assert row(t("education"), "其中：大专及以上") == _split(
            rows, lambda p: p.education in ("postgraduate", "bachelor", "college"))
        for value, label in Occupation.choices:
            assert row(t("occupation"), label) == _split(rows, lambda p: p.occupation == value)
        assert row(t("joined"), "新中国成立前") == _split(rows, lambda p: p.joined_on < date(1949, 10, 1))
        assert row(t("joined"), "党的十八大以来") == _split(rows, lambda p: p.joined_on >= date(2012, 11, 8))
        n_prob = sum(1 for _, s in rows if s == Status.PROBATIONARY)
        assert row(t("party_years"), "预备党员") == (n_prob, 0, n_prob)
        assert row(t("party_years"), "30年及以上") == _split(
            rows, lambda p: p.full_member_on is not None and p.party_years_on(ON) >= 30)
        assert row(t("status"), "其中：流动党员") == _split(rows, lambda p: p.is_mobile)
        assert row(t("status"), "其中：失联党员") == _split(rows, lambda p: p.lost_contact)


def test_every_table_adds_up_and_member_tables_to_the_member_count(tree, people):
    stats = S.compute(tree["district"], ON)
    assert stats.members == 8 and stats.full == 7 and stats.probationary == 1
    member_tables = [t for t in stats.tables if t.of_members]
    assert {t.key for t in member_tables} == {"status", "sex", "ethnicity", "age", "education", "joined",
                                              "party_years", "occupation"}
    for table in stats.tables:
        if table.total is None:
            continue
        assert table.parts_sum() == table.total, table.title
        if table.of_members:
            assert table.total == (stats.members, stats.full, stats.probationary), table.title
    change_rows = stats.table("change").rows
    assert [r.values[0] for r in change_rows] == [S.member_count(tree["district"], date(2024, 12, 31)), 8,
                                                  8 - S.member_count(tree["district"], date(2024, 12, 31))]


def test_members_are_counted_from_their_history_not_their_current_record(tree):
    a, b = tree["school_a"], tree["school_b"]
    mover = member(b, birth=date(1980, 1, 1))
    move(mover, tree["branch_a1"], date(2025, 3, 1))
    mover.org = tree["branch_a1"]
    mover.save(update_fields=["org"])
    confirmed = member(a, status=Status.PROBATIONARY, since=date(2024, 7, 1), joined_on=date(2024, 7, 1),
                       full_member_on=None)
    change(confirmed, Status.FULL, date(2025, 7, 1))
    late = member(a, since=date(2025, 10, 1))  # 建档 later: not a member of the record before
    assert Person.objects.filter(org__path__startswith=a.path, status=Status.FULL).count() == 3

    # The day before the move: in school B; the day of the move: in school A.
    assert S.compute(b, date(2025, 2, 28)).members == 1
    assert S.compute(a, date(2025, 2, 28)).members == 1
    assert S.compute(b, date(2025, 3, 1)).members == 0
    assert S.compute(a, date(2025, 3, 1)).members == 2
    # 预备 the day before 转正, 正式 on the day.
    before, on_day = S.compute(a, date(2025, 6, 30)), S.compute(a, date(2025, 7, 1))
    assert (before.full, before.probationary) == (1, 1)
    assert (on_day.full, on_day.probationary) == (2, 0)
    assert S.compute(a, date(2025, 9, 30)).members == 2
    assert S.compute(a, date(2025, 10, 1)).members == 3
    assert late.pk


def test_people_who_left_count_until_the_day_before_and_in_the_exits_table(tree):
    a = tree["school_a"]
    gone = member(tree["branch_a1"])
    change(gone, Status.DECEASED, date(2025, 4, 1))
    OrgMembership.objects.filter(person=gone).update(ended_on=date(2025, 4, 1))
    removed = member(tree["branch_a2"])
    change(removed, Status.REMOVED, date(2025, 5, 1))
    OrgMembership.objects.filter(person=removed).update(ended_on=date(2025, 5, 1))
    assert S.compute(a, date(2025, 3, 31)).members == 2
    assert S.compute(a, date(2025, 4, 1)).members == 1
    exits = S.compute(a, ON).table("exits")
    assert row(exits, "死亡") == (1,) and row(exits, "除名") == (1,)
    assert row(exits, "其中：出党（开除党籍、除名、自行脱党除名、取消预备党员资格）") == (1,)
    assert exits.total == (2,)
    # Counted where they left from, not elsewhere; nothing in the year before.
    assert S.compute(tree["school_b"], ON).table("exits").total == (0,)
    assert S.compute(a, date(2024, 12, 31)).table("exits").total == (0,)


def test_age_bands_change_on_the_birthday(tree):
    member(tree["branch_a1"], birth=date(1995, 6, 15))
    member(tree["branch_a1"], birth=date(1992, 2, 29))
    age = lambda on: S.compute(tree["school_a"], on).table("age")  # noqa: E731
    assert row(age(date(2025, 6, 14)), "30岁及以下") == (1, 1, 0)  # 29 the day before
    assert row(age(date(2026, 6, 14)), "30岁及以下") == (1, 1, 0)  # still 30 the day before 31
    assert row(age(date(2026, 6, 15)), "30岁及以下") == (0, 0, 0)  # 31 on the day
    assert row(age(date(2026, 6, 15)), "31至35岁") == (2, 2, 0)
    # Born on 29 February: 30 on 2022-02-28, 31 from 2023-03-01 (not yet on 2023-02-28).
    assert row(age(date(2023, 2, 28)), "30岁及以下") == (2, 2, 0)
    assert row(age(date(2023, 3, 1)), "31至35岁") == (1, 1, 0)


def test_party_years_and_joining_era_edges(tree):
    member(tree["branch_a1"], joined_on=date(2012, 11, 7), full_member_on=date(2020, 7, 1))
    member(tree["branch_a1"], joined_on=date(2012, 11, 8), full_member_on=date(2013, 11, 8))
    stats = S.compute(tree["school_a"], date(2025, 6, 30))
    assert row(stats.table("joined"), "党的十一届三中全会后至党的十八大前") == (1, 1, 0)
    assert row(stats.table("joined"), "党的十八大以来") == (1, 1, 0)
    years = stats.table("party_years")
    assert row(years, "不满5年") == (1, 1, 0)  # 4 years the day before the anniversary
    assert row(years, "10年以上不满20年") == (1, 1, 0)
    years = S.compute(tree["school_a"], date(2025, 7, 1)).table("party_years")
    assert row(years, "不满5年") == (0, 0, 0) and row(years, "5年以上不满10年") == (1, 1, 0)


def test_development_and_confirmation_come_from_the_status_history(tree):
    a1 = tree["branch_a1"]
    # Through the pipeline: 发展对象 → 预备党员 on the 支部大会 date.
    young = member(a1, status=Status.CANDIDATE, since=date(2024, 6, 1), gender="F", birth=date(1989, 6, 16),
                   education=Education.BACHELOR, ethnicity="满族", joined_on=None, full_member_on=None)
    change(young, Status.PROBATIONARY, date(2025, 6, 15))
    older = member(a1, status=Status.CANDIDATE, since=date(2024, 6, 1), birth=date(1989, 6, 15),
                   education=Education.SECONDARY, occupation=Occupation.WORKER, joined_on=None, full_member_on=None)
    change(older, Status.PROBATIONARY, date(2025, 6, 15))
    # Recorded (建档) as 预备党员 on the 入党 date: admitted this year; dated another day: not.
    member(a1, status=Status.PROBATIONARY, since=date(2025, 3, 1), joined_on=date(2025, 3, 1), full_member_on=None,
           birth=date(2000, 1, 1))
    member(a1, status=Status.PROBATIONARY, since=date(2025, 3, 2), joined_on=date(2024, 3, 1), full_member_on=None)
    # 转正: from 预备, or recorded on the 转正 date.
    probationer = member(a1, status=Status.PROBATIONARY, since=date(2024, 5, 1), joined_on=date(2024, 5, 1),
                         full_member_on=None)
    change(probationer, Status.FULL, date(2025, 5, 1))
    member(a1, since=date(2025, 8, 1), full_member_on=date(2025, 8, 1))
    # Admitted elsewhere, then moved in: counted by the organisation that admitted.
    elsewhere = member(tree["school_b"], status=Status.CANDIDATE, since=date(2024, 1, 1), joined_on=None,
                       full_member_on=None)
    change(elsewhere, Status.PROBATIONARY, date(2025, 2, 1))
    move(elsewhere, a1, date(2025, 9, 1))

    stats = S.compute(tree["school_a"], ON)
    admitted = stats.table("admitted")
    assert admitted.total == (3,) and stats.admitted == 3
    assert admitted.parts_sum() == admitted.total
    assert row(admitted, "其中：女") == (1,)
    assert row(admitted, "其中：少数民族") == (1,)
    assert row(admitted, "其中：35岁及以下") == (2,)  # 36 on the day of admission does not count
    assert row(admitted, "其中：大专及以上学历") == (1,)
    assert row(admitted, "工勤技能人员") == (1,)
    assert row(stats.table("confirmed"), "转为正式党员") == (2,)
    assert S.compute(tree["school_b"], ON).table("admitted").total == (1,)
    # Only the period 1 January – as-of date.
    assert S.compute(tree["school_a"], date(2025, 6, 14)).table("admitted").total == (1,)
    # The year before: only the probationer recorded on his 入党 date (2024-05-01).
    assert S.compute(tree["school_a"], date(2024, 12, 31)).table("admitted").total == (1,)


def test_extensions_cancellations_and_review_results(tree):
    from dangjian.pipeline.models import DevelopmentFile
    from dangjian.review.models import Round, Subject

    a1 = tree["branch_a1"]
    p = member(a1, status=Status.PROBATIONARY, since=date(2024, 3, 1), joined_on=date(2024, 3, 1),
               full_member_on=None)
    DevelopmentFile.objects.create(person=p, org=a1, applied_on=date(2022, 1, 1), extension_months=6,
                                   extension_decided_on=date(2025, 3, 5))
    q = member(a1, status=Status.PROBATIONARY, since=date(2024, 3, 1), joined_on=date(2024, 3, 1),
               full_member_on=None)
    change(q, Status.CANCELLED, date(2025, 4, 1))
    OrgMembership.objects.filter(person=q).update(ended_on=date(2025, 4, 1))
    round_ = Round.objects.create(org=a1, year=2025, starts_on=date(2025, 11, 1), ends_on=date(2025, 12, 15),
                                  opened_on=date(2025, 11, 1), status=Round.Status.CLOSED)
    grades = ["excellent", "qualified", "qualified", "unqualified", ""]
    for grade in grades:
        Subject.objects.create(round=round_, person=member(a1), final_grade=grade)
    Subject.objects.create(round=round_, person=member(a1), exempt=True, exempt_reason="长期病假")

    stats = S.compute(tree["school_a"], ON)
    confirmed = stats.table("confirmed")
    assert row(confirmed, "延长预备期") == (1,) and row(confirmed, "取消预备党员资格") == (1,)
    assert confirmed.total == (2,)
    review = stats.table("review")
    assert [row(review, label) for label in ("优秀", "合格", "基本合格", "不合格", "尚未评定", "不参加评议")] == [
        (1,), (2,), (0,), (1,), (1,), (1,)]
    assert review.total == (6,) and review.parts_sum() == review.total
    assert S.compute(tree["school_b"], ON).table("review").total == (0,)


def test_organisations_by_kind_on_the_date(tree):
    old = make_org(tree["school_a"], "撤销的支部", OrgKind.BRANCH)
    Organisation.objects.filter(pk=old.pk).update(dissolved_on=date(2025, 6, 1))
    make_org(tree["school_a"], "新支部", OrgKind.BRANCH, founded_on=date(2025, 9, 1))
    kinds = lambda on: S.compute(tree["school_a"], on).table("orgs")  # noqa: E731
    orgs = kinds(date(2025, 5, 31))
    assert row(orgs, "党总支") == (1,) and row(orgs, "党支部") == (3,) and row(orgs, "党小组") == (1,)
    assert orgs.total == (5,)
    assert row(kinds(date(2025, 6, 1)), "党支部") == (2,)
    assert row(kinds(date(2025, 9, 1)), "党支部") == (3,)
    assert kinds(ON).parts_sum() == kinds(ON).total


def _grow(tree, n):
    for i in range(n):
        p = member(tree["branch_a1" if i % 2 else "branch_a2"], gender="F" if i % 3 else "M",
                   birth=date(1960 + i % 40, 1 + i % 12, 1 + i % 28))
        if i % 4 == 0:
            change(p, Status.DECEASED, date(2025, 1 + i % 12, 1))


def test_the_number_of_queries_does_not_depend_on_the_data(tree, people):
    with CaptureQueriesContext(connection) as small:
        S.compute(tree["district"], ON)
    _grow(tree, 40)
    with CaptureQueriesContext(connection) as big:
        stats = S.compute(tree["district"], ON)
    assert len(small) == len(big) == S.QUERIES
    assert stats.members > 30


def test_statistics_never_read_encrypted_fields(tree, people):
    with CaptureQueriesContext(connection) as queries:
        S.compute(tree["district"], ON)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "cipher" not in sql and "id_number" not in sql and "phone" not in sql


def test_the_workbook_has_one_sheet_per_table_with_the_same_numbers(tree, people):
    stats = S.compute(tree["school_a"], ON)
    book = openpyxl.load_workbook(io.BytesIO(S.workbook(stats)))
    assert len(book.sheetnames) == len(stats.tables)
    for sheet, table in zip(book.worksheets, stats.tables):
        values = list(sheet.iter_rows(values_only=True))
        assert table.title in values[0][0]
        assert tree["school_a"].name in values[1][0] and "2025-12-31" in values[1][0]
        assert values[2][:1 + len(table.columns)] == ("项目", *table.columns)
        for i, r in enumerate(table.rows):
            assert values[3 + i][:1 + len(table.columns)] == (r.label, *r.values)
        if table.total is not None:
            assert values[3 + len(table.rows)][:1 + len(table.columns)] == ("合计", *table.total)
    assert S.file_name(stats) == "党内统计_实验中学党总支_20251231.xlsx"


# --- parameters, job, command line -----------------------------------------------------------------------

def test_dates_are_parsed_and_checked():
    today = date(2026, 12, 1)
    assert S.parse_date("2025-12-31", today) == ON
    assert S.default_date(today) == ON
    assert S.default_date(date(2026, 12, 31)) == date(2026, 12, 31)
    for bad, message in (("2025-13-01", "格式"), ("31/12/2025", "格式"), ("", "格式"), (None, "格式"),
                         ("2026-12-02", "不能晚于今天"), ("1900-01-01", "不能早于")):
        with pytest.raises(ValidationError) as exc:
            S.parse_date(bad, today)
        assert message in exc.value.message_dict["on"][0]


def test_build_job_returns_the_workbook_with_progress(tree, people):
    user = make_user(role=Role.VIEWER, org=tree["school_a"])
    job = ReportJob(kind="statistics", org=tree["school_a"], params={"on": "2025-12-31"}, created_by=user)
    calls = []
    name, content_type, content = S.build_job(job, lambda done, total, message="": calls.append((done, total)))
    assert name.endswith(".xlsx") and content_type == S.XLSX
    assert openpyxl.load_workbook(io.BytesIO(content)).sheetnames
    assert calls[0] == (0, 6) and calls[-1] == (6, 6)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    with pytest.raises(ValidationError):
        S.build_job(ReportJob(kind="statistics", org=tree["school_a"], params={"on": "bad"}, created_by=user),
                    lambda *a: None)
    outsider = make_user(role=Role.VIEWER, org=tree["school_b"])
    with pytest.raises(ValidationError):
        S.build_job(ReportJob(kind="statistics", org=tree["school_a"], params={"on": "2025-12-31"},
                              created_by=outsider), lambda *a: None)


def test_command_statistics_writes_the_file_and_audits(tree, people, tmp_path):
    out = tmp_path / "s.xlsx"
    message = S.command_statistics(tree["district"].pk, "2025-12-31", out)
    assert "8" in message and str(out) in message
    assert openpyxl.load_workbook(out).sheetnames[0].startswith("1.")
    assert AuditLog.objects.filter(event="export", object_type="reports.statistics", username="(命令行)").exists()
    for org, on in ((999999, "2025-12-31"), ("x", "2025-12-31"), (tree["district"].pk, "2025/12/31")):
        with pytest.raises(CommandError):
            S.command_statistics(org, on, tmp_path / "t.xlsx")
    assert not (tmp_path / "t.xlsx").exists()


def test_the_report_command_has_a_statistics_subcommand(tree, people, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "统计.xlsx"
    call_command("report", "statistics", "--org", str(tree["district"].pk), "--on", "2025-12-31", "--out", str(out),
                 stdout=io.StringIO())
    assert openpyxl.load_workbook(out).sheetnames[0].startswith("1.")
    with pytest.raises(CommandError, match="无权查看"):
        secretary = make_user("stat_cli", Role.SECRETARY, tree["school_b"])
        call_command("report", "statistics", "--org", str(tree["school_a"].pk), "--on", "2025-12-31",
                     "--out", str(tmp_path / "x.xlsx"), "--as", secretary.username, stdout=io.StringIO())
    assert not (tmp_path / "x.xlsx").exists()


# --- the page and the export -----------------------------------------------------------------------------

URL = "reports:stats_index"


def test_the_page_shows_the_tables_with_totals(client, tree, people):
    client.force_login(make_user(role=Role.VIEWER, org=tree["school_a"]))
    response = client.get(reverse(URL), {"on": "2025-12-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "实验中学党总支" in html and "党员性别情况" in html and "导出 Excel" in html
    stats = response.context["stats"]
    assert stats.org == tree["school_a"] and stats.on == ON and stats.members == 7
    assert 'data-testid="total-members">7<' in html
    assert "城南小学党支部" not in html  # outside the scope: not offered


def test_the_page_defaults_to_the_last_year_end_and_the_first_scope(client, tree, people):
    from django.utils import timezone

    client.force_login(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    response = client.get(reverse(URL))
    assert response.context["org"] == tree["school_b"]
    assert response.context["stats"].on == S.default_date(timezone.localdate())


@pytest.mark.parametrize("value, message", [("2025-13-40", "统计日期格式应为 YYYY-MM-DD"),
                                            ("abc", "统计日期格式应为 YYYY-MM-DD"),
                                            ("2999-01-01", "统计日期不能晚于今天"),
                                            ("1900-01-01", "统计日期不能早于1921年7月1日")])
def test_a_bad_date_gets_a_clear_message(client, tree, people, value, message):
    client.force_login(make_user(role=Role.VIEWER, org=tree["school_a"]))
    response = client.get(reverse(URL), {"on": value})
    assert response.status_code == 200
    assert response.context["stats"] is None
    assert message in response.content.decode()


def test_an_organisation_outside_the_scope_is_not_found(client, tree, people):
    user = make_user(role=Role.VIEWER, org=tree["school_a"])
    client.force_login(user)
    for value in (tree["school_b"].pk, tree["district"].pk, 999999, "abc", "1 OR 1=1"):
        response = client.get(reverse(URL), {"org": value, "on": "2025-12-31"})
        assert response.status_code == 404, value
        assert "您无权访问" in response.content.decode()
    assert AuditLog.objects.filter(event="denied", user=user).count() == 5
    assert client.post(reverse("reports:stats_export"), {"org": tree["school_b"].pk,
                                                         "on": "2025-12-31"}).status_code == 404
    assert not ReportJob.objects.exists()


def test_people_without_an_organisation_role_are_refused(client, tree):
    client.force_login(make_user(role=Role.MEMBER, org=tree["school_a"]))
    assert client.get(reverse(URL)).status_code == 403
    client.force_login(make_user(admin_role="system"))
    assert client.get(reverse(URL)).status_code == 403


def test_the_page_costs_the_same_queries_for_small_and_big_data(client, tree, people):
    client.force_login(make_user(role=Role.VIEWER, org=tree["district"]))
    url = reverse(URL)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"org": tree["school_a"].pk, "on": "2025-12-31"}).status_code == 200
    _grow(tree, 40)
    for i in range(10):
        make_org(tree["area"], f"新学校{i}", OrgKind.BRANCH)
    with CaptureQueriesContext(connection) as big:
        response = client.get(url, {"org": tree["school_a"].pk, "on": "2025-12-31"})
    assert response.context["stats"].members > 30
    assert len(small) == len(big)
    # user, the user's roles, the organisations in scope, then the statistics
    own = [q for q in big.captured_queries if "django_session" not in q["sql"] and "SAVEPOINT" not in q["sql"]]
    assert len(own) == 3 + S.QUERIES


def test_export_starts_a_job_and_goes_to_its_progress_page(client, tree, people):
    user = make_user(role=Role.VIEWER, org=tree["school_a"])
    client.force_login(user)
    response = client.post(reverse("reports:stats_export"), {"org": tree["school_a"].pk, "on": "2025-12-31"})
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:job_detail", args=[job.pk])
    assert (job.kind, job.org, job.params, job.created_by) == ("statistics", tree["school_a"], {"on": "2025-12-31"},
                                                               user)
    assert job.status == ReportJob.State.DONE, job.error
    book = openpyxl.load_workbook(io.BytesIO(bytes(job.content)))
    assert len(book.sheetnames) == len(S.compute(tree["school_a"], ON).tables)


def test_export_with_a_bad_date_changes_nothing(client, tree, people):
    client.force_login(make_user(role=Role.VIEWER, org=tree["school_a"]))
    for value, message in (("2025-02-30", "统计日期格式应为"), ("", "请填写统计日期"), ("2999-01-01", "不能晚于今天")):
        response = client.post(reverse("reports:stats_export"), {"org": tree["school_a"].pk, "on": value})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not ReportJob.objects.exists()


def test_export_while_the_same_job_runs_says_so(client, tree, people):
    user = make_user(role=Role.VIEWER, org=tree["school_a"])
    params = {"on": "2025-12-31"}
    ReportJob.objects.create(kind="statistics", org=tree["school_a"], params=params, created_by=user,
                             key=job_key("statistics", tree["school_a"], params), status=ReportJob.State.RUNNING)
    client.force_login(user)
    response = client.post(reverse("reports:stats_export"), {"org": tree["school_a"].pk, "on": "2025-12-31"},
                           follow=True)
    assert response.status_code == 200
    assert "正在生成" in response.content.decode()
    assert ReportJob.objects.count() == 1


def test_abroad_members_are_set_apart_and_a_return_is_neither_admission_nor_confirmation(tree):
    a1 = tree["branch_a1"]
    away = member(a1)
    change(away, Status.ABROAD, date(2025, 2, 1))
    back = member(a1, status=Status.PROBATIONARY, since=date(2024, 9, 1), joined_on=date(2024, 9, 1),
                  full_member_on=None)
    change(back, Status.ABROAD, date(2025, 1, 10))
    change(back, Status.PROBATIONARY, date(2025, 3, 1), previous=Status.ABROAD)  # returned
    lapsed = member(a1)
    change(lapsed, Status.LAPSED, date(2025, 6, 1))
    OrgMembership.objects.filter(person=lapsed).update(ended_on=date(2025, 6, 1))

    stats = S.compute(tree["school_a"], ON)
    assert (stats.members, stats.probationary) == (1, 1)  # `back`; `away` is abroad, `lapsed` left
    assert "另有出国（境）保留党籍 1 人" in stats.table("status").note
    assert stats.table("admitted").total == (0,) and row(stats.table("confirmed"), "转为正式党员") == (0,)
    exits = stats.table("exits")
    assert row(exits, "出国（境）保留党籍") == (2,) and row(exits, "自行脱党除名") == (1,)
    assert row(exits, "其中：出党（开除党籍、除名、自行脱党除名、取消预备党员资格）") == (1,)
    assert exits.parts_sum() == exits.total == (3,)
