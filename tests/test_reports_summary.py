"""The summary report (工作总结): the figures in the Word document equal independent counts over the same records;
an empty period says so; bad input is refused in Chinese with no file; drafts; the job builder; the CLI."""

import io
import random
from datetime import timedelta
from decimal import Decimal

import docx
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from dangjian.dues.models import DuesBill, DuesPayment
from dangjian.life.models import Attendance, Meeting, MeetingType
from dangjian.members.models import Person, Status
from dangjian.orgs.models import Role
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from dangjian.reports import figures, summary
from dangjian.reports.models import ReportDraft, ReportJob
from dangjian.service import services as service_services
from dangjian.service.models import CareVisit, HomeVisit, RecipientKind, VisitCategory
from dangjian.vanguard.models import Article, Honour, Lesson, Level
from tests.factories import make_person, make_user
from tests.test_vanguard_factories import sample

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
END = TODAY
START = END - timedelta(days=364)


def day_in(rng, start=START, end=END, margin=30):
    """A date around the period (sometimes just outside it), never after today."""
    return min(start + timedelta(days=rng.randint(-margin, (end - start).days + margin)), TODAY)


def populate(tree, rng, meetings=40, records=12, files=3):
    """Records of every kind in school_a's subtree and in school_b (which must not be counted)."""
    writer = make_user(role=Role.SECRETARY, org=tree["district"])
    orgs = [tree["branch_a1"], tree["branch_a2"], tree["school_b"]]
    people = {}
    for org in orgs:
        people[org.pk] = [make_person(org, status=s) for s in (Status.FULL, Status.FULL, Status.FULL,
                                                               Status.PROBATIONARY)]
        make_person(org, status=Status.APPLICANT)
    for i in range(meetings):
        org = rng.choice(orgs + [tree["school_a"]])
        kind = rng.choice(MeetingType.values)
        meeting = Meeting.objects.create(org=org, type=kind, theme=f"会议{i}", date=day_in(rng),
                                         status=rng.choice(["held", "held", "held", "planned", "cancelled"]),
                                         by_secretary=kind == MeetingType.LECTURE and rng.random() < 0.6)
        for person in rng.sample(people.get(org.pk, people[tree["branch_a1"].pk]), rng.randint(0, 4)):
            Attendance.objects.create(meeting=meeting, person=person, status=rng.choice(Attendance.Status.values))
    for i in range(records):
        org = rng.choice(orgs)
        service_services.home_visit_create(actor=writer, org=org, teacher=rng.choice(people[org.pk]),
                                           date=day_in(rng), category=rng.choice(VisitCategory.values),
                                           student_alias=f"S{i}")
        service_services.care_visit_create(actor=writer, org=org, date=day_in(rng),
                                           recipient_kind=rng.choice(RecipientKind.values),
                                           recipients=rng.randint(1, 5), matters_solved=rng.randint(0, 4),
                                           money=Decimal(rng.randint(0, 4000)) / 4, goods="慰问品",
                                           goods_value=Decimal(rng.randint(0, 300)))
        person = rng.choice(people[org.pk])
        sample("lessons", writer, org, person, date=day_in(rng), kind=rng.choice(Lesson.Kind.values),
               level=rng.choice(Level.values))
        sample("articles", writer, org, person, date=day_in(rng), platform=rng.choice(Article.Platform.values),
               level=rng.choice(Level.values))
        sample("honours", writer, org, person, date=day_in(rng), level=rng.choice(Level.values))
    for org in orgs:
        for person in people[org.pk]:
            for k in range(14):
                month = (START.replace(day=1) - timedelta(days=31 * 2) + timedelta(days=31 * k)).replace(day=1)
                amount = Decimal(rng.randint(100, 9000)) / 100
                payment = None
                if rng.random() < 0.7:
                    payment = DuesPayment.objects.create(person=person, org=org, amount=amount, paid_on=month)
                DuesBill.objects.get_or_create(person=person, month=month, defaults=dict(
                    org=org, category="employed", standard_amount=amount, amount=amount, payment=payment))
        for i in range(files):
            applied = day_in(rng, margin=200)
            file = DevelopmentFile.objects.create(person=make_person(org, status=Status.ACTIVIST), org=org,
                                                  applied_on=applied)
            for number in range(1, rng.choice([2, 4, 8, 18, 25])):
                DevelopmentStep.objects.create(file=file, number=number,
                                               date=min(applied + timedelta(days=number * 10), TODAY))
    return writer


def parse(data):
    """(paragraph texts, {(section title, label): (value text, unit)}) of a generated document."""
    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    rows = {}
    for table in document.tables:
        for row in table.rows[1:]:
            cells = [c.text for c in row.cells]
            rows[(cells[0], cells[1])] = (cells[2], cells[3])
    return paragraphs, rows


def money(value):
    return f"{value:,.2f}"


def value_of(rows, section, label):
    """The number in the document's figures table; a figure left out of the table is zero."""
    text = rows.get((section, label), ("0", ""))[0]
    return Decimal(text.replace(",", ""))


@pytest.mark.parametrize("seed", [1, 2])
def test_document_figures_equal_independent_counts(tree, seed):
    populate(tree, random.Random(seed))
    org = tree["school_a"]
    _, data = summary.render(org, START, END)
    paragraphs, rows = parse(data)
    text = "\n".join(paragraphs)
    inside = lambda o: o.path.startswith(org.path)  # noqa: E731
    within = lambda d: START <= d <= END  # noqa: E731

    roster = [p for p in Person.objects.select_related("org") if inside(p.org)]
    assert value_of(rows, "基本情况", "正式党员") == sum(1 for p in roster if p.status == Status.FULL)
    assert value_of(rows, "基本情况", "预备党员") == sum(1 for p in roster if p.status == Status.PROBATIONARY)
    assert value_of(rows, "基本情况", "党支部") == 2 and value_of(rows, "基本情况", "党小组") == 1

    held = [m for m in Meeting.objects.select_related("org") if inside(m.org) and m.status == "held" and within(m.date)]
    assert held
    section = "严格落实“三会一课”制度"
    for kind in (MeetingType.ASSEMBLY, MeetingType.COMMITTEE, MeetingType.GROUP, MeetingType.LECTURE):
        n = sum(1 for m in held if m.type == kind)
        assert value_of(rows, section, MeetingType(kind).label) == n, kind
        if n:
            assert f"{MeetingType(kind).label}{n}次" in text
    n_upper = sum(1 for m in held if m.type == MeetingType.UPPER_COMMITTEE)
    assert value_of(rows, section, "党总支（党委）会") == n_upper
    lectures = sum(1 for m in held if m.type == MeetingType.LECTURE and m.by_secretary)
    assert value_of(rows, section, "书记讲党课") == lectures
    present = [a for a in Attendance.objects.select_related("meeting") if a.meeting in held and a.status == "present"]
    assert value_of(rows, section, "参会党员") == len(present)
    for kind in (MeetingType.CENTRAL_GROUP, MeetingType.DISCUSSION):
        assert value_of(rows, "学习教育常态化", MeetingType(kind).label) == sum(1 for m in held if m.type == kind)
    theme = [m for m in held if m.type == MeetingType.THEME_DAY]
    assert value_of(rows, "主题党日与志愿服务", "主题党日") == len(theme)
    assert value_of(rows, "主题党日与志愿服务", "主题党日参加党员") == sum(1 for a in present if a.meeting in theme)

    visits = [v for v in HomeVisit.objects.select_related("org") if inside(v.org) and within(v.date)]
    assert value_of(rows, "关爱服务与家校共育", "家访") == len(visits)
    for key, label in VisitCategory.choices:
        shown = f"对{label}" if key != "other" else "其他"
        assert value_of(rows, "关爱服务与家校共育", shown) == sum(1 for v in visits if v.category == key)
    care = [c for c in CareVisit.objects.select_related("org") if inside(c.org) and within(c.date)]
    assert value_of(rows, "关爱服务与家校共育", "走访慰问") == sum(c.recipients for c in care)
    assert value_of(rows, "关爱服务与家校共育", "解决问题") == sum(c.matters_solved for c in care)
    total_money = sum((c.money + c.goods_value for c in care), Decimal(0))
    assert value_of(rows, "关爱服务与家校共育", "慰问物品、现金合计") == total_money
    if total_money:
        assert f"提供物品、现金合计{money(total_money)}元" in text

    honours = [h for h in Honour.objects.select_related("org") if inside(h.org) and within(h.date)]
    assert value_of(rows, "荣誉表彰", "获得荣誉") == len(honours)
    for key, label in Level.choices:
        assert value_of(rows, "荣誉表彰", f"{label}个人荣誉") == sum(
            1 for h in honours if h.level == key and h.person_id)
    articles = [a for a in Article.objects.select_related("org") if inside(a.org) and within(a.date)]
    for key, label in Article.Platform.choices:
        assert value_of(rows, "宣传与意识形态阵地", label) == sum(1 for a in articles if a.platform == key)
    lessons = [x for x in Lesson.objects.select_related("org") if inside(x.org) and within(x.date)]
    assert value_of(rows, "发挥党员先锋模范作用", "示范课、观摩课、评优课、公开课") == len(lessons)

    bills = [b for b in DuesBill.objects.select_related("org")
             if inside(b.org) and START.replace(day=1) <= b.month <= END]
    paid = [b for b in bills if b.payment_id]
    assert value_of(rows, "党费收缴", "应缴党费") == sum((b.amount for b in bills), Decimal(0))
    assert value_of(rows, "党费收缴", "已缴党费") == sum((b.amount for b in paid), Decimal(0))
    assert value_of(rows, "党费收缴", "按月收缴率") == round(Decimal(len(paid) * 100) / len(bills), 1)

    steps = [s for s in DevelopmentStep.objects.select_related("file__org") if inside(s.file.org) and within(s.date)]
    for number, label in ((1, "递交入党申请书"), (3, "确定为入党积极分子"), (7, "确定为发展对象"),
                          (17, "发展为预备党员"), (24, "按期转正")):
        assert value_of(rows, "规范发展党员工作", label) == len({s.file_id for s in steps if s.number == number})

    # the structure of the seeds
    for heading in ("一、基本情况", "二、主要做法和成效", "三、特色亮点", "四、存在的问题", "五、下一步打算"):
        assert heading in paragraphs
    assert len(docx.Document(io.BytesIO(data)).inline_shapes) == 2   # meetings per month, participation


def test_document_layout_is_a4_with_chinese_fonts(tree):
    _, data = summary.render(tree["school_a"], START, END)
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    fonts = {r.element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
             for p in document.paragraphs for r in p.runs if r.element.rPr is not None}
    assert {"方正小标宋简体", "黑体", "楷体_GB2312", "仿宋_GB2312"} <= fonts


def test_empty_period_gives_a_report_that_says_so(tree):
    start, end = START - timedelta(days=3000), START - timedelta(days=2700)
    report = figures.collect(tree["school_b"], start, end)
    assert report.empty
    _, data = summary.render(tree["school_b"], start, end)
    paragraphs, rows = parse(data)
    text = "\n".join(paragraphs)
    assert "没有城南小学党支部（含下级组织）的组织生活" in text
    assert "本期无相关记录。" in text
    assert len(docx.Document(io.BytesIO(data)).inline_shapes) == 0


@pytest.mark.parametrize("start, end, field, message", [
    ("2026-08-31", "2025-09-01", "end", "截止日期不能早于起始日期。"),
    ("2020-01-01", "2026-01-02", "end", "统计期间不能超过5年。"),
    ("2026-13-01", "2026-12-31", "start", "日期格式应为 YYYY-MM-DD，如 2026-08-31。"),
    ("", "2026-12-31", "start", "请填写起始日期。"),
])
def test_bad_periods_are_refused_in_chinese(start, end, field, message):
    with pytest.raises(ValidationError) as caught:
        summary.parse_period(start, end)
    assert caught.value.message_dict[field] == [message]


def test_a_period_of_one_day_is_fine(tree):
    assert summary.parse_period("2026-03-01", "2026-03-01")
    assert figures.collect(tree["school_a"], START, START).start == START


def test_figures_link_to_the_list_pages_with_the_same_filters(tree):
    report = figures.collect(tree["school_a"], START, END)
    url = report.figure("meetings.assembly").url
    assert url.startswith("/life/?") and f"org={tree['school_a'].pk}" in url and "type=assembly" in url
    assert f"start={START.isoformat()}" in url and f"end={END.isoformat()}" in url and "status=held" in url
    assert report.figure("basic.full").url == f"/members/?org={tree['school_a'].pk}&status=full"
    assert report.figure("care.home_visits").url.startswith("/service/visits/?")
    assert report.figure("publicity.platform_xuexi").url.endswith("platform=xuexi")


def test_open_findings_become_the_problems(tree):
    """A branch with no meetings at all: the missed meetings are listed, each rule linked to the 问题清单."""
    report = figures.collect(tree["school_b"], START, END)
    problems = report.section("problems")
    assert problems.figures, "a branch without meetings has overdue meetings"
    assert all(f.url.startswith("/rules/findings/?") and "rule=" in f.url for f in problems.figures)
    assert any("未召开" in s for s in problems.sentences)


# --- drafts -----------------------------------------------------------------------------------------------------


def test_the_draft_text_goes_into_the_document(tree):
    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    summary.draft_save(actor=secretary, org=tree["school_a"], start=START, end=END, title="实验中学党建工作总结汇报",
                       sections={"highlights": "打造“阳光润德”党建品牌。", "plans": "1.规范组织生活。\n2.深化品牌建设。"})
    _, data = summary.render(tree["school_a"], START, END)
    paragraphs, _ = parse(data)
    assert paragraphs[0] == "实验中学党建工作总结汇报"
    assert "打造“阳光润德”党建品牌。" in paragraphs
    assert paragraphs.index("五、下一步打算") < paragraphs.index("1.规范组织生活。") < paragraphs.index("2.深化品牌建设。")
    draft = ReportDraft.objects.get()
    assert draft.updated_by == secretary and draft.sections["highlights"] == "打造“阳光润德”党建品牌。"
    # a second save changes the text of the same draft and keeps the other sections
    summary.draft_save(actor=secretary, org=tree["school_a"], start=START, end=END, title="",
                       sections={"highlights": "新的亮点。"})
    draft.refresh_from_db()
    assert ReportDraft.objects.count() == 1
    assert draft.sections["highlights"] == "新的亮点。" and draft.sections["plans"].startswith("1.规范")


def test_draft_rules(tree):
    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    viewer = make_user(role=Role.VIEWER, org=tree["school_a"])
    with pytest.raises(PermissionDenied):
        summary.draft_save(actor=viewer, org=tree["school_a"], start=START, end=END, sections={})
    with pytest.raises(PermissionDenied):
        summary.draft_save(actor=secretary, org=tree["school_b"], start=START, end=END, sections={})
    with pytest.raises(ValidationError) as caught:
        summary.draft_save(actor=secretary, org=tree["school_a"], start=START, end=END,
                           sections={"plans": "字" * (summary.TEXT_MAX + 1)})
    assert "不能超过5000字" in caught.value.message_dict["text_plans"][0]
    with pytest.raises(ValidationError):
        summary.draft_save(actor=secretary, org=tree["school_a"], start=END, end=START, sections={})
    with pytest.raises(ValidationError):
        summary.draft_save(actor=secretary, org=tree["school_a"], start=START, end=END, sections={"x": "?"})
    assert not ReportDraft.objects.exists()


# --- the job builder ----------------------------------------------------------------------------------------------


def test_build_job_reports_progress_and_returns_the_document(tree):
    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    job = ReportJob(kind="summary", org=tree["school_a"], params=summary.job_params(START, END), created_by=secretary)
    seen = []
    name, content_type, data = summary.build_job(job, lambda done, total, message="": seen.append((done, total)))
    assert name.endswith(".docx") and "实验中学党总支" in name
    assert content_type == summary.DOCX and data[:2] == b"PK"
    assert seen[0][0] == 0 and all(d <= t for d, t in seen) and seen[-1][0] == seen[-1][1] - 1


def test_build_job_refuses_bad_params_and_scopes(tree):
    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    job = ReportJob(kind="summary", org=tree["school_a"], params={"start": "2026-05-01", "end": "2026-04-01"},
                    created_by=secretary)
    with pytest.raises(ValidationError, match="截止日期不能早于起始日期"):
        summary.build_job(job, lambda *a: None)
    job = ReportJob(kind="summary", org=tree["school_b"], params=summary.job_params(START, END), created_by=secretary)
    with pytest.raises(ValidationError, match="无权"):
        summary.build_job(job, lambda *a: None)


# --- the command line -------------------------------------------------------------------------------------------


def test_cli_writes_the_same_document(tree, tmp_path):
    out = tmp_path / "总结.docx"
    call_command("report", "summary", "--org", str(tree["school_a"].pk), "--from", START.isoformat(),
                 "--to", END.isoformat(), "--out", str(out), stdout=io.StringIO())
    cli, _ = parse(out.read_bytes())
    page, _ = parse(summary.render(tree["school_a"], START, END)[1])
    assert cli == page


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-08-31", "--to", "2025-09-01"], "截止日期不能早于起始日期"),
    (["--from", "2025-09-01", "--to", "2026-02-30"], "日期格式应为"),
    (["--from", "2025-09-01", "--to", "2026-08-31", "--org", "999999"], "未找到编号为 999999 的组织"),
    (["--from", "2025-09-01", "--to", "2026-08-31", "--as", "cli_secretary", "--org", "school_b"], "无权查看"),
])
def test_cli_bad_input_is_a_chinese_error_and_no_file(tree, tmp_path, args, message):
    make_user("cli_secretary", Role.SECRETARY, tree["school_a"])
    out = tmp_path / "总结.docx"
    args = [str(tree[a].pk) if a in tree else a for a in args]
    if "--org" not in args:
        args += ["--org", str(tree["school_a"].pk)]
    with pytest.raises(CommandError, match=message):
        call_command("report", "summary", *args, "--out", str(out))
    assert list(tmp_path.iterdir()) == []
