"""Dues bases from the payroll workbook: columns mapped once per organisation, deductions per jurisdiction,
all or nothing with a per-row error list."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dangjian.compliance.models import RuleOverride
from dangjian.dues import importing, rules, services
from dangjian.dues.models import Category, DuesBase, DuesBill, PayrollMapping
from dangjian.imports.models import ImportJob
from dangjian.orgs.models import Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
HEADERS = ["姓名", "身份证号", "岗位工资", "薪级工资", "绩效工资", "津贴补贴", "个人所得税", "养老保险", "住房公积金",
           "职业年金", "备注"]


@pytest.fixture
def secretary(tree):
    return make_user("imp_sec", Role.SECRETARY, tree["school_a"])


def workbook(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("工资表.xlsx", buffer.getvalue())


def row(person, pay=(2000, 1000, 1500, 500), tax=100, social=(400, 300), annuity=200):
    return [person.name, person.get_id_number(), *pay, tax, *social, annuity, ""]


def run(actor, org, upload, month=date(2026, 1, 1)):
    job = importing.payroll_submit(actor=actor, upload=upload)
    headers, _ = importing.read_sheet(job)
    columns = importing.remembered(org, headers)
    return importing.payroll_import(actor=actor, job=job, org=org, month=month, columns=columns)


def test_guessed_columns_give_pay_minus_tax_by_default(tree, secretary):
    a, b = make_person(tree["branch_a1"]), make_person(tree["branch_a2"])
    job = run(secretary, tree["school_a"], workbook([row(a), row(b, pay=(3000, 1000, 1500, 600), tax=0)]))
    assert job.status == ImportJob.State.DONE and job.created_count == 2
    bases = {r.person_id: r for r in DuesBase.objects.all()}
    assert bases[a.pk].base == Decimal("4900.00") and bases[a.pk].source == DuesBase.Source.PAYROLL
    assert bases[a.pk].category == Category.EMPLOYED
    assert bases[b.pk].base == Decimal("6100.00")


def test_the_jurisdiction_may_also_deduct_social_insurance_and_annuity(tree, secretary):
    RuleOverride.objects.create(org=tree["district"], rule_id=rules.DEDUCTIONS,
                                params={"social_insurance": 1, "annuity": 1}, reason="本区口径")
    a = make_person(tree["branch_a1"])
    run(secretary, tree["school_a"], workbook([row(a)]))
    assert DuesBase.objects.get(person=a).base == Decimal("4000.00")  # 5000 − 100 − 700 − 200


def test_one_bad_row_imports_nothing_and_every_error_is_listed(tree, secretary):
    a, b = make_person(tree["branch_a1"]), make_person(tree["branch_a1"])
    outsider = make_person(tree["school_b"])
    rows = [row(a), row(b, pay=("两千", 0, 0, 0)), row(outsider), row(a), row(b, pay=(0, 0, 0, 0), tax=50),
            row(b, pay=(2_000_000, 0, 0, 0))]
    job = run(secretary, tree["school_a"], workbook(rows))
    assert job.status == ImportJob.State.FAILED
    assert not DuesBase.objects.exists()
    errors = {(r, c): reason for r, c, reason in job.errors}
    assert errors[(3, "岗位工资")] == "不是有效的金额"
    assert errors[(4, "身份证号")] == "本组织（含下级）党员中没有此身份证号"
    assert errors[(5, "身份证号")] == "与第2行是同一名党员"
    assert "不能为负数" in errors[(6, "计算基数")]
    assert "超过每月100万元" in errors[(7, "计算基数")]


def test_the_mapping_is_remembered_per_organisation(tree, secretary):
    a = make_person(tree["branch_a1"])
    columns = {h: importing.IGNORE for h in HEADERS} | {"姓名": importing.NAME, "岗位工资": importing.PAY}
    importing.mapping_save(actor=secretary, org=tree["school_a"], columns=columns)
    assert importing.remembered(tree["branch_a1"], HEADERS)["薪级工资"] == importing.IGNORE  # inherited
    job = run(secretary, tree["school_a"], workbook([row(a)]))
    assert job.status == ImportJob.State.DONE
    assert DuesBase.objects.get(person=a).base == Decimal("2000.00")


def test_a_mapping_without_an_identifying_column_is_refused(tree, secretary):
    with pytest.raises(Exception, match="识别党员"):
        importing.mapping_save(actor=secretary, org=tree["school_a"], columns={"岗位工资": importing.PAY})
    assert not PayrollMapping.objects.exists()


def test_an_import_recomputes_the_open_bills_of_its_month(tree, secretary):
    a = make_person(tree["branch_a1"])
    services.base_set(actor=secretary, person=a, category=Category.EMPLOYED, base="3000",
                      effective_month=date(2026, 1, 1))
    services.bills_generate(actor=secretary, month=date(2026, 2, 1), org=tree["school_a"])
    run(secretary, tree["school_a"], workbook([row(a)]), month=date(2026, 2, 1))
    assert DuesBill.objects.get(person=a).amount == Decimal("49.00")


def test_the_screens_upload_map_and_import(client, tree, secretary):
    a = make_person(tree["branch_a1"])
    client.force_login(secretary)
    response = client.post(reverse("dues:payroll"), {"org": tree["school_a"].pk, "effective_month": "2026-01",
                                                     "file": workbook([row(a)])})
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200 and "计入基数的工资项目" in page.content.decode()
    form = page.context["form"]
    data = {"org": tree["school_a"].pk, "effective_month": "2026-01"}
    data.update({name: field.initial for name, field in form.fields.items() if name.startswith("col")})
    done = client.post(response.url.split("?")[0], data)
    assert done.status_code == 302 and DuesBase.objects.get(person=a).base == Decimal("4900.00")
    assert PayrollMapping.objects.get(org=tree["school_a"]).columns["身份证号"] == importing.ID_NUMBER


def test_the_screens_show_errors_and_offer_the_list_for_download(client, tree, secretary):
    client.force_login(secretary)
    response = client.post(reverse("dues:payroll"), {"org": tree["school_a"].pk, "effective_month": "2026-01",
                                                     "file": workbook([["无此人", "", 1, 1, 1, 1, 0, 0, 0, 0, ""]])})
    page = client.get(response.url)
    data = {"org": tree["school_a"].pk, "effective_month": "2026-01"}
    data.update({name: field.initial for name, field in page.context["form"].fields.items() if name.startswith("col")})
    failed = client.post(response.url.split("?")[0], data)
    assert failed.status_code == 400 and "未导入任何数据" in failed.content.decode()
    job = ImportJob.objects.get()
    download = client.get(reverse("dues:payroll_errors", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    assert [c.value for c in sheet[2]] == [2, "身份证号", "未填写，无法识别党员"]


def test_a_file_that_is_not_a_workbook_is_refused(client, tree, secretary):
    client.force_login(secretary)
    response = client.post(reverse("dues:payroll"), {"org": tree["school_a"].pk, "effective_month": "2026-01",
                                                     "file": SimpleUploadedFile("x.xlsx", b"not a zip")})
    assert response.status_code == 400 and "不是有效的 Excel" in response.content.decode()
    assert not ImportJob.objects.exists()
