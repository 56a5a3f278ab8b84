"""Roster import from Excel: all or nothing, every error reported, progress, owner-only jobs."""

import io
import threading
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core import idnumber
from dangjian.core.models import AuditLog
from dangjian.imports.models import ImportJob
from dangjian.members import importing
from dangjian.members.models import OrgMembership, Person, Status, StatusEvent
from dangjian.orgs.models import Organisation, OrgKind, Role
from tests.factories import make_id_number, make_org, make_person, make_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KEYS = [c.key for c in importing.COLUMNS]


def row(org="实验中学第一党支部", **values):
    """One valid 正式党员 row (as a {key: cell} dict); override any column by its key."""
    base = {
        "name": "王老师", "gender": "女", "ethnicity": "汉族", "birth_date": "1985-05-20",
        "id_number": make_id_number(date(1985, 5, 20), female=True), "phone": "13912345678",
        "education": "大学本科", "occupation": "专业技术人员", "professional_title": "一级教师", "org": org,
        "group": "", "status": "正式党员", "applied_on": "2008-03-01", "joined_on": "2009-07-01",
        "full_member_on": "2010-07-01", "is_class_teacher": "是", "is_research_lead": "否", "is_backbone": "否",
        "is_administrative": "",
    }
    base.update(values)
    return base


def workbook_bytes(rows, headers=None):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers or [c.header + ("*" if c.required else "") for c in importing.COLUMNS])
    for values in rows:
        sheet.append([values.get(k) for k in KEYS] if isinstance(values, dict) else list(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, data, name="名册.xlsx"):
    return client.post(reverse("members:import"), {"file": SimpleUploadedFile(name, data, content_type=XLSX)})


def run(client, rows):
    response = upload(client, workbook_bytes(rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def pairs(job):
    return {(r, c) for r, c, _ in job.errors}


@pytest.fixture
def secretary(tree, client):
    user = make_user(role=Role.SECRETARY, org=tree["school_a"])
    client.force_login(user)
    return user


# --- a good file ----------------------------------------------------------------------------------------

def test_good_file_imports_every_row_with_history_and_one_audit_row(client, tree, secretary):
    full_id = make_id_number(date(1985, 5, 20), female=True)
    rows = [
        row(id_number=full_id),
        row(name="李老师", gender="男", birth_date=date(1990, 1, 2), id_number=make_id_number(date(1990, 1, 2)),
            group="语文组党小组", status="预备党员", applied_on="2020-03-01", joined_on="2024-06-28",
            full_member_on="", education="研究生", is_backbone="是"),
        row(name="赵老师", org="实验中学第二党支部", id_number="", phone="", status="入党申请人",
            applied_on="2024-09-01", joined_on="", full_member_on="", education="", occupation=""),
    ]
    audits_before = AuditLog.objects.filter(event="import").count()

    job = run(client, rows)

    assert job.status == ImportJob.State.DONE, job.errors
    assert job.created_count == 3 and job.total_rows == 3 and job.processed_rows == 3
    assert job.content is None and job.finished_at is not None and job.errors == []
    assert Person.objects.count() == 3
    wang = Person.objects.get(name="王老师")
    assert wang.org == tree["branch_a1"] and wang.group is None
    assert wang.status == Status.FULL and wang.joined_on == date(2009, 7, 1)
    assert wang.full_member_on == date(2010, 7, 1) and wang.status_since == date(2010, 7, 1)
    assert wang.is_class_teacher and not wang.is_administrative and wang.professional_title == "一级教师"
    # The ID number is stored encrypted, findable by blind index, and shown masked.
    assert full_id not in wang.id_number_cipher and wang.get_id_number() == full_id
    assert wang.get_id_number() == full_id
    assert wang.id_number_masked == idnumber.mask(full_id) == full_id[:6] + "********" + full_id[-4:]
    assert wang.phone_masked == "139****5678" and wang.get_phone() == "13912345678"
    li = Person.objects.get(name="李老师")
    assert li.group == tree["group_a1"] and li.status == Status.PROBATIONARY and li.education == "postgraduate"
    zhao = Person.objects.get(name="赵老师")
    assert zhao.org == tree["branch_a2"] and zhao.id_number_index is None and zhao.id_number_masked == ""
    assert zhao.occupation == "professional" and zhao.status_since == date(2024, 9, 1)
    # History rows, one each.
    memberships = OrgMembership.objects.order_by("person__name")
    assert [(m.person.name, m.org_id, m.started_on, m.ended_on) for m in memberships] == [
        (p.name, p.org_id, p.status_since, None) for p in Person.objects.order_by("name")]
    events = StatusEvent.objects.all()
    assert sorted((e.person.name, e.status) for e in events) == [
        ("李老师", "probationary"), ("王老师", "full"), ("赵老师", "applicant")]
    assert all(e.actor_id == secretary.pk for e in events)
    # Exactly one audit row for the import, naming the file and the count.
    audit_rows = AuditLog.objects.filter(event="import")
    assert audit_rows.count() == audits_before + 1
    entry = audit_rows.first()
    assert entry.outcome == "success" and entry.username == secretary.username
    assert entry.changes["count"] == 3 and entry.changes["file"] == "名册.xlsx"
    assert full_id not in str(entry.changes)


def test_job_page_shows_the_result_and_stops_polling(client, tree, secretary):
    job = run(client, [row()])
    response = client.get(reverse("members:import_job", args=[job.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "导入成功" in html and 'data-testid="created-count">1<' in html
    assert 'hx-trigger="every 1s"' not in html
    assert reverse("members:roster") in html


def test_unfinished_job_polls_every_second_and_htmx_gets_only_the_fragment(client, tree, secretary):
    job = ImportJob.objects.create(created_by=secretary, file_name="a.xlsx", status=ImportJob.State.VALIDATING,
                                   total_rows=2000, processed_rows=500)
    page = client.get(reverse("members:import_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and f'hx-get="{reverse("members:import_job", args=[job.pk])}"' in page
    assert "<html" in page and 'value="25"' in page and "500 / 2000" in page

    fragment = client.get(reverse("members:import_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "<html" not in html and 'id="import-progress"' in html and 'hx-trigger="every 1s"' in html
    assert "HX-Request" in fragment["Vary"]


def test_a_job_unfinished_for_an_hour_is_shown_as_interrupted_and_not_polled(client, tree, secretary):
    job = ImportJob.objects.create(created_by=secretary, file_name="a.xlsx", status=ImportJob.State.VALIDATING)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=2))
    html = client.get(reverse("members:import_job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "可能因服务器重启而中断" in html and "hx-trigger" not in html


def test_import_page_costs_a_fixed_number_of_queries(client, tree, secretary, django_assert_num_queries):
    url = reverse("members:import")
    ImportJob.objects.create(created_by=secretary, file_name="0.xlsx")
    client.get(url)
    with CaptureQueriesContext(connection) as one_job:
        client.get(url)
    for n in range(15):
        ImportJob.objects.create(created_by=secretary, file_name=f"{n}.xlsx", status=ImportJob.State.DONE)
    with django_assert_num_queries(len(one_job)):
        html = client.get(url).content.decode()
    assert html.count(".xlsx</a>") == 10


def test_polling_the_job_page_costs_a_fixed_number_of_queries(client, tree, secretary, django_assert_num_queries):
    job = ImportJob.objects.create(created_by=secretary, file_name="a.xlsx", status=ImportJob.State.FAILED,
                                   errors=[[n, "姓名", "必填项未填写"] for n in range(2, 500)])
    url = reverse("members:import_job", args=[job.pk])
    client.get(url, HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as first:
        small = client.get(url, HTTP_HX_REQUEST="true")
    html = small.content.decode()
    assert html.count("<tr>") == 1 + 200  # header + the first 200 errors
    assert "共 498 条" in html
    with django_assert_num_queries(len(first)):
        client.get(url)


def test_large_file_crosses_batches_and_progress_steps_without_per_row_queries(client, tree, secretary,
                                                                               monkeypatch):
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 100)
    progress = []
    original = importing._progress

    def spy(job_id, **fields):
        progress.append(fields)
        original(job_id, **fields)

    monkeypatch.setattr(importing, "_progress", spy)
    start = date(1970, 1, 1)
    rows = [row(name=f"教师{i}", birth_date=start + timedelta(days=i),
                id_number=make_id_number(start + timedelta(days=i), 7)) for i in range(1200)]
    data = workbook_bytes(rows)
    with CaptureQueriesContext(connection) as queries:
        response = upload(client, data)
    job = ImportJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert job.status == ImportJob.State.DONE and job.created_count == 1200
    assert Person.objects.count() == OrgMembership.objects.count() == StatusEvent.objects.count() == 1200
    assert [p["processed_rows"] for p in progress if "processed_rows" in p][:12] == list(range(100, 1300, 100))
    # Nothing is queried per row: far fewer statements than rows.
    assert len(queries) < 120


def test_progress_total_is_known_even_when_the_file_has_no_dimension(client, tree, secretary, monkeypatch):
    progress = []
    original = importing._progress
    monkeypatch.setattr(importing, "_progress", lambda job_id, **f: (progress.append(f), original(job_id, **f)))
    workbook = openpyxl.Workbook(write_only=True)  # writes no usable <dimension>
    sheet = workbook.create_sheet()
    sheet.append([c.header for c in importing.COLUMNS])
    for i in range(30):
        sheet.append([row(name=f"教师{i}", id_number="").get(k) for k in KEYS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, buffer.getvalue())
    job = ImportJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert job.status == ImportJob.State.DONE and job.created_count == 30
    assert next(f["total_rows"] for f in progress if "total_rows" in f) == 30


def test_import_runs_in_a_background_thread_when_configured(tree, settings, transactional_db):
    settings.IMPORT_IN_THREAD = True
    user = make_user(role=Role.ORG_ADMIN, org=tree["district"])
    job = importing.roster_import_submit(
        actor=user, upload=SimpleUploadedFile("t.xlsx", workbook_bytes([row(), row(name="钱老师", id_number="")])))
    thread = importing.roster_import_start(job)
    assert isinstance(thread, threading.Thread)
    thread.join(timeout=60)
    assert not thread.is_alive()
    job.refresh_from_db()
    assert job.status == ImportJob.State.DONE and job.created_count == 2
    assert Person.objects.count() == 2


def test_filled_in_template_round_trips(client, tree, secretary):
    template = client.get(reverse("members:import_template"))
    workbook = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = workbook[importing.SHEET_TITLE]
    org_column = [c.key for c in importing.COLUMNS].index("org") + 1
    sheet.cell(row=2, column=org_column, value="实验中学第一党支部")
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, buffer.getvalue(), "模板.xlsx")
    job = ImportJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert job.status == ImportJob.State.DONE, job.errors
    assert Person.objects.get().name == "张三"


def test_the_template_example_row_is_rejected_if_left_unchanged(client, tree, secretary):
    template = client.get(reverse("members:import_template"))
    response = upload(client, template.content, "模板.xlsx")
    job = ImportJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert job.status == ImportJob.State.FAILED and pairs(job) == {(2, "所在党组织")}


def test_organisation_may_be_given_by_code(client, tree, secretary):
    Organisation.objects.filter(pk=tree["branch_a2"].pk).update(code="SY-02")
    job = run(client, [row(org="SY-02")])
    assert job.status == ImportJob.State.DONE
    assert Person.objects.get().org == tree["branch_a2"]


def test_date_cells_and_slashed_dates_are_accepted(client, tree, secretary):
    job = run(client, [row(birth_date=date(1985, 5, 20), joined_on="2009/7/1", full_member_on="2010年7月1日")])
    assert job.status == ImportJob.State.DONE, job.errors
    assert Person.objects.get().full_member_on == date(2010, 7, 1)


# --- bad rows: nothing is imported, every error is listed -----------------------------------------------------

def test_one_bad_row_imports_nothing_and_names_row_column_and_reason(client, tree, secretary):
    good_id = make_id_number(date(1985, 5, 20), female=True)
    bad_id = good_id[:17] + ("0" if good_id[17] != "0" else "1")
    rows = [row(id_number=good_id), row(name="错号", id_number=bad_id), row(name="好人", id_number="")]
    job = run(client, rows)

    assert job.status == ImportJob.State.FAILED
    assert Person.objects.count() == 0 and OrgMembership.objects.count() == 0 and StatusEvent.objects.count() == 0
    assert job.errors == [[3, "身份证号", "身份证号校验位错误"]]
    assert job.created_count == 0 and job.content is None
    page = client.get(reverse("members:import_job", args=[job.pk])).content.decode()
    assert "未导入任何数据" in page and "身份证号校验位错误" in page
    assert reverse("members:import_errors", args=[job.pk]) in page
    failure = AuditLog.objects.filter(event="import").first()
    assert failure.outcome == "failure" and failure.changes["errors"] == 1


def test_several_different_bad_rows_are_all_listed(client, tree, secretary):
    today = date.today()
    b = date(1980, 3, 4)

    def person(**values):
        return row(**{"birth_date": b, "id_number": "", **values})

    rows = [
        person(name=""),                                                       # 2 姓名: missing
        person(gender="M"),                                                    # 3 性别: unknown label
        person(id_number=make_id_number(date(1981, 3, 4))),                    # 4 身份证号: birth date differs
        person(id_number="12345"),                                             # 5 身份证号: malformed
        person(birth_date=(today + timedelta(days=1)).isoformat(),             # 6 出生日期: in the future
               applied_on="", joined_on="", full_member_on="", status="群众"),
        person(joined_on="2009-02-30"),                                        # 7 入党日期: 30 February
        person(full_member_on="去年七月"),                                      # 8 转正日期: not a date
        person(joined_on="2010-07-01", full_member_on="2009-07-01"),           # 9 转正日期: before 入党
        person(status="党员"),                                                  # 10 政治面貌: unknown label
        person(joined_on="", full_member_on=""),                               # 11 入党日期: 正式党员 without it
        person(applied_on="1979-01-01"),                                       # 12 申请入党日期: before birth
        person(education="本硕连读"),                                            # 13 学历: unknown label
        person(is_class_teacher="可能"),                                        # 14 班主任: not 是/否
        person(group="数学组党小组"),                                             # 15 党小组: no such group
        person(),                                                              # 16 good
        person(gender="", joined_on=(today + timedelta(days=3)).isoformat(),   # 17 性别 + 入党日期 (future)
               full_member_on=""),
        person(org="", status=""),                                             # 18 所在党组织 + 政治面貌: missing
        person(status="死亡"),                                                  # 19 政治面貌: not on the roster
        person(phone="call me"),                                               # 20 手机号
        person(name="名" * 51),                                                 # 21 姓名: too long
    ]
    job = run(client, rows)

    assert job.status == ImportJob.State.FAILED
    assert Person.objects.count() == 0
    assert pairs(job) == {
        (2, "姓名"), (3, "性别"), (4, "身份证号"), (5, "身份证号"), (6, "出生日期"), (7, "入党日期"),
        (8, "转正日期"), (9, "转正日期"), (10, "政治面貌"), (11, "入党日期"), (12, "申请入党日期"),
        (13, "学历"), (14, "班主任"), (15, "党小组"), (17, "性别"), (17, "入党日期"), (18, "所在党组织"),
        (18, "政治面貌"), (19, "政治面貌"), (20, "手机号"), (21, "姓名"),
    }
    reasons = {(r, c): reason for r, c, reason in job.errors}
    assert reasons[(2, "姓名")] == "必填项未填写"
    assert reasons[(4, "身份证号")] == "身份证号中的出生日期与填写的出生日期不一致"
    assert reasons[(6, "出生日期")] == "出生日期不能晚于今天"
    assert reasons[(7, "入党日期")] == "日期“2009-02-30”不存在"
    assert "YYYY-MM-DD" in reasons[(8, "转正日期")]
    assert reasons[(9, "转正日期")] == "转正日期不能早于入党日期"
    assert reasons[(11, "入党日期")] == "正式党员须填写入党日期"
    assert reasons[(12, "申请入党日期")] == "日期不能早于出生日期"
    assert reasons[(17, "入党日期")] == "日期不能晚于今天"
    assert reasons[(21, "姓名")] == "不能超过50个字符"
    # Errors come sorted by row, then by column order.
    assert [e[0] for e in job.errors] == sorted(e[0] for e in job.errors)


def test_duplicate_id_numbers_within_the_file_and_against_the_database(client, tree, secretary):
    existing = make_person(tree["school_b"], birth=date(1975, 1, 1))  # outside the secretary's scope
    taken = existing.get_id_number()
    twice = make_id_number(date(1988, 8, 8))
    rows = [
        row(name="甲", birth_date="1988-08-08", id_number=twice),
        row(name="乙", birth_date="1988-08-08", id_number=twice.lower()),  # same number, lower-case x or not
        row(name="丙", birth_date="1975-01-01", id_number=taken),
        row(name="丁", birth_date="1988-08-08", id_number=twice),
    ]
    job = run(client, rows)

    assert job.status == ImportJob.State.FAILED
    assert Person.objects.count() == 1
    assert job.errors == [
        [3, "身份证号", "与第2行的身份证号重复"],
        [4, "身份证号", "该身份证号已登记在系统中，不能重复建档"],
        [5, "身份证号", "与第2行的身份证号重复"],
    ]
    assert existing.name not in str(job.errors) and taken not in str(job.errors)


def test_unknown_organisation_and_organisation_outside_scope_get_the_same_error(client, tree, secretary):
    viewer_branch = make_org(tree["area"], "城北小学党支部", OrgKind.BRANCH)
    make_user(role=Role.VIEWER, org=viewer_branch)
    secretary.role_assignments.create(org=viewer_branch, role=Role.VIEWER)  # visible, but read-only
    dissolved = make_org(tree["school_a"], "已撤销党支部", OrgKind.BRANCH)
    Organisation.objects.filter(pk=dissolved.pk).update(dissolved_on=date(2020, 1, 1))
    rows = [
        row(org="不存在的党支部"),
        row(org="城南小学党支部"),  # exists, outside the secretary's scope
        row(org="城北小学党支部"),  # visible to the secretary, but not writable
        row(org="已撤销党支部"),
        row(org="语文组党小组"),
    ]
    job = run(client, rows)

    assert pairs(job) == {(r, "所在党组织") for r in range(2, 7)}
    reasons = [reason for _, _, reason in job.errors]
    assert reasons[0] == reasons[1] == reasons[2] == importing.MSG_UNKNOWN_ORG
    assert reasons[3] == "该组织已撤销"
    assert "党小组" in reasons[4]
    assert Person.objects.count() == 0


def test_ambiguous_organisation_name_asks_for_the_code(client, tree, secretary):
    make_org(tree["school_a"], "实验中学第一党支部", OrgKind.BRANCH)  # same name, another node
    job = run(client, [row()])
    assert job.errors == [[2, "所在党组织", "有多个同名党组织，请改填组织编码"]]


def test_missing_required_column_fails_with_the_header_named(client, tree, secretary):
    headers = [c.header for c in importing.COLUMNS if c.key not in ("status", "birth_date")]
    data = workbook_bytes([["张三"] * len(headers)], headers=headers)
    response = upload(client, data)
    job = ImportJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])
    assert job.status == ImportJob.State.FAILED
    assert pairs(job) == {(1, "出生日期"), (1, "政治面貌")}


def test_file_without_data_rows_fails(client, tree, secretary):
    job = run(client, [])
    assert job.status == ImportJob.State.FAILED
    assert "没有数据行" in job.errors[0][2]


def test_numeric_id_number_cell_asks_for_text_format(client, tree, secretary):
    job = run(client, [row(id_number=110101198505200000)])
    assert pairs(job) == {(2, "身份证号")}
    assert "文本格式" in job.errors[0][2]


# --- the upload itself ----------------------------------------------------------------------------------------

def test_not_an_xlsx_is_rejected_with_a_chinese_message(client, tree, secretary):
    response = upload(client, "name,gender\n张三,男\n".encode(), "名册.xlsx")
    assert response.status_code == 200
    assert "不是有效的 Excel 工作簿" in response.content.decode()
    response = upload(client, b"PK\x03\x04 not really a zip", "名册.xlsx")
    assert "不是有效的 Excel 工作簿" in response.content.decode()
    response = upload(client, workbook_bytes([row()]), "名册.csv")
    assert "只支持 Excel 2007 及以上版本的 .xlsx 文件" in response.content.decode()
    assert ImportJob.objects.count() == 0 and Person.objects.count() == 0


def test_a_zip_that_is_not_a_workbook_is_rejected(client, tree, secretary):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "你好")
    response = upload(client, buffer.getvalue())
    assert "不是有效的 Excel 工作簿" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_too_large_upload_is_rejected_with_a_chinese_message(client, tree, secretary, settings):
    data = workbook_bytes([row()])
    settings.IMPORT_MAX_BYTES = len(data) - 1
    response = upload(client, data)
    assert response.status_code == 200
    assert "文件过大" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_missing_file_is_a_form_error(client, tree, secretary):
    response = client.post(reverse("members:import"), {})
    assert response.status_code == 200 and "请选择要上传的文件" in response.content.decode()


# --- who may import, who may see a job ----------------------------------------------------------------------

def test_import_page_lists_only_my_jobs_and_links_template_and_roster(client, tree, secretary):
    other = make_user(role=Role.SECRETARY, org=tree["school_a"])
    ImportJob.objects.create(created_by=other, file_name="别人的.xlsx")
    ImportJob.objects.create(created_by=secretary, file_name="我的.xlsx")
    html = client.get(reverse("members:import")).content.decode()
    assert "我的.xlsx" in html and "别人的.xlsx" not in html
    assert reverse("members:import_template") in html and reverse("members:roster") in html


@pytest.mark.parametrize("role", [Role.VIEWER, Role.DISCIPLINE, Role.MEMBER, None])
def test_users_without_a_write_role_get_403(client, tree, role):
    user = make_user(role=role, org=tree["school_a"] if role else None)
    client.force_login(user)
    assert client.get(reverse("members:import")).status_code == 403
    assert upload(client, workbook_bytes([row()])).status_code == 403
    assert client.get(reverse("members:import_template")).status_code == 403
    assert ImportJob.objects.count() == 0
    assert AuditLog.objects.filter(event="denied", username=user.username).count() == 3


def test_anonymous_users_are_sent_to_login(client, tree):
    response = client.get(reverse("members:import"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_error_report_downloads_for_the_owner_only(client, tree, secretary):
    job = run(client, [row(name=""), row(gender="?")])
    response = client.get(reverse("members:import_errors", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert list(sheet.values) == [("行号", "列", "原因"), (2, "姓名", "必填项未填写"), (3, "性别", "应填写“男”或“女”")]

    intruder = make_user(role=Role.ORG_ADMIN, org=tree["district"])
    client.force_login(intruder)
    denied_before = AuditLog.objects.filter(event="denied").count()
    assert client.get(reverse("members:import_errors", args=[job.pk])).status_code == 404
    assert client.get(reverse("members:import_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("members:import_job", args=[job.pk]), HTTP_HX_REQUEST="true").status_code == 404
    denied = AuditLog.objects.filter(event="denied")
    assert denied.count() == denied_before + 3
    assert denied.first().username == intruder.username and denied.first().object_id == str(job.pk)


def test_unknown_job_is_404(client, tree, secretary):
    assert client.get(reverse("members:import_job", args=[999999])).status_code == 404


# --- the template ---------------------------------------------------------------------------------------------

def test_template_has_header_example_and_instructions(client, tree, secretary):
    response = client.get(reverse("members:import_template"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["党员名册", "填写说明"]
    data = list(workbook["党员名册"].values)
    assert len(data) == 2
    assert [importing.clean_header(h) for h in data[0]] == [c.header for c in importing.COLUMNS]
    assert data[0][0] == "姓名*" and data[0][2] == "民族"
    help_text = "\n".join(" ".join(str(v) for v in r if v) for r in workbook["填写说明"].values)
    for label in ("男", "女", "YYYY-MM-DD", "组织编码", "正式党员", "预备党员", "入党积极分子", "大学本科", "研究生"):
        assert label in help_text
    assert "死亡" not in help_text  # only statuses that stay on the roster can be imported
