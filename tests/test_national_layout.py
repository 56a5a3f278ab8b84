"""The national Party member information system layout (全国党员管理信息系统, 16 basic items): export with full
ID numbers for the people who maintain the records, import of the same layout (all or nothing), round trip."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.core.models import AuditLog
from dangjian.imports.models import ImportJob
from dangjian.members import importing
from dangjian.members.models import Person, Status
from dangjian.orgs.models import Role
from tests.factories import make_id_number, make_person, make_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [c.header for c in importing.NATIONAL_COLUMNS]

pytestmark = pytest.mark.django_db


def national_row(**values):
    base = {
        "姓名": "周老师", "性别": "女", "公民身份号码": make_id_number(date(1986, 3, 4), female=True), "民族": "回族",
        "出生日期": "1986-03-04", "学历": "研究生", "人员类别": "正式党员", "所在党支部": "实验中学第一党支部",
        "入党日期": "2010-06-30", "转为正式党员日期": "2011-06-30", "工作岗位": "专业技术人员",
        "手机号码": "13800001111", "党籍状态": "正常", "是否失联党员": "否", "是否流动党员": "是",
        "申请入党日期": "2008-10-01",
    }
    base.update(values)
    return [base[h] for h in HEADERS]


def sheet_bytes(rows, headers=HEADERS):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = importing.NATIONAL.sheet_title
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_file(client, data):
    response = client.post(reverse("members:import"),
                           {"file": SimpleUploadedFile("全国系统导出.xlsx", data, content_type=XLSX)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])


def read(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(r) for r in workbook.active.iter_rows(values_only=True)]


@pytest.fixture
def secretary(tree, client):
    user = make_user(role=Role.SECRETARY, org=tree["school_a"])
    client.force_login(user)
    return user


def test_the_layout_has_sixteen_items_in_the_national_order():
    assert len(HEADERS) == 16
    assert HEADERS[:3] == ["姓名", "性别", "公民身份号码"]


def test_export_has_full_id_numbers_of_members_only_and_is_audited(client, tree, secretary):
    full = make_person(tree["branch_a1"], name="甲", is_mobile=True)
    suspended = make_person(tree["branch_a2"], name="乙", status=Status.SUSPENDED, full_member_on=date(2011, 7, 1))
    make_person(tree["branch_a1"], name="申请人", status=Status.APPLICANT)
    make_person(tree["school_b"], name="外校")
    response = client.get(reverse("members:export_national"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    rows = read(response)
    assert rows[0] == HEADERS
    by_name = {r[0]: dict(zip(HEADERS, r)) for r in rows[1:]}
    assert set(by_name) == {"甲", "乙"}
    assert by_name["甲"]["公民身份号码"] == full.get_id_number() and len(by_name["甲"]["公民身份号码"]) == 18
    assert by_name["甲"]["是否流动党员"] == "是" and by_name["甲"]["党籍状态"] == "正常"
    assert by_name["乙"]["党籍状态"] == "停止党籍" and by_name["乙"]["人员类别"] == "正式党员"
    assert by_name["乙"]["公民身份号码"] == suspended.get_id_number()
    log = AuditLog.objects.filter(event="export").latest("id")
    assert log.changes["count"] == 2 and log.changes["layout"] == "national"


def test_read_only_roles_may_not_export_full_id_numbers(client, tree):
    client.force_login(make_user(role=Role.VIEWER, org=tree["school_a"]))
    assert client.get(reverse("members:export_national")).status_code == 403


def test_import_of_the_national_layout_creates_members_with_its_items(client, tree, secretary):
    rows = [national_row(),
            national_row(姓名="吴老师", 性别="男", 公民身份号码=make_id_number(date(1990, 1, 2)), 出生日期="1990-01-02",
                         人员类别="预备党员", 入党日期="2025-06-30", 转为正式党员日期="", 是否流动党员="否",
                         是否失联党员="是"),
            national_row(姓名="郑老师", 公民身份号码=make_id_number(date(1970, 8, 9), female=True), 出生日期="1970-08-09",
                         党籍状态="停止党籍")]
    job = import_file(client, sheet_bytes(rows))
    assert job.status == ImportJob.State.DONE, job.errors
    zhou, wu, zheng = (Person.objects.get(name=n) for n in ("周老师", "吴老师", "郑老师"))
    assert zhou.status == Status.FULL and zhou.ethnicity == "回族" and zhou.is_mobile and not zhou.lost_contact
    assert zhou.joined_on == date(2010, 6, 30) and zhou.full_member_on == date(2011, 6, 30)
    assert zhou.applied_on == date(2008, 10, 1) and zhou.org == tree["branch_a1"]
    assert zhou.get_phone() == "13800001111" and zhou.education == "postgraduate"
    assert wu.status == Status.PROBATIONARY and wu.lost_contact and not wu.is_mobile
    assert zheng.status == Status.SUSPENDED


def test_one_bad_row_imports_nothing_and_errors_name_the_national_columns(client, tree, secretary):
    rows = [national_row(),
            national_row(姓名="钱老师", 公民身份号码=make_id_number(date(1991, 1, 1)), 出生日期="1991-01-01",
                         人员类别="入党积极分子", 入党日期="", 党籍状态="暂停")]
    job = import_file(client, sheet_bytes(rows))
    assert job.status == ImportJob.State.FAILED
    assert {(r, c) for r, c, _ in job.errors} == {(3, "人员类别"), (3, "入党日期"), (3, "党籍状态")}
    assert not Person.objects.filter(name__in=["周老师", "钱老师"]).exists()


def test_a_missing_required_national_column_is_reported_by_its_name(client, tree, secretary):
    headers = [h for h in HEADERS if h != "入党日期"]
    job = import_file(client, sheet_bytes([national_row()[:8] + national_row()[9:]], headers=headers))
    assert job.status == ImportJob.State.FAILED
    assert job.errors == [[1, "入党日期", "缺少必填列，请使用导入模板的表头"]]


def test_round_trip_export_then_import_gives_the_same_people(client, tree, secretary):
    make_person(tree["branch_a1"], name="甲", is_mobile=True, applied_on=date(2009, 1, 5))
    make_person(tree["branch_a2"], name="乙", status=Status.PROBATIONARY, joined_on=date(2025, 7, 1),
                full_member_on=None, lost_contact=True)
    first = read(client.get(reverse("members:export_national")))
    Person.objects.filter(name__in=["甲", "乙"]).delete()    # as if moving to another installation
    job = import_file(client, sheet_bytes(first[1:]))
    assert job.status == ImportJob.State.DONE, job.errors
    assert read(client.get(reverse("members:export_national"))) == first


def test_the_national_template_downloads_with_its_headers(client, tree, secretary):
    response = client.get(reverse("members:import_template"), {"layout": "national"})
    assert response.status_code == 200
    headers = [h.rstrip("*") for h in read(response)[0]]
    assert headers == HEADERS
