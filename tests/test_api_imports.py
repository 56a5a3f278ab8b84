"""The roster import through the API (POST /api/imports/people, GET /api/imports/{id}): the page's services
(roster_import_submit / roster_import_start), all or nothing, every bad row reported, the job private to its
uploader, the same file checks with Chinese errors."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.core.models import AuditLog
from dangjian.imports.models import ImportJob
from dangjian.members.models import Person
from dangjian.orgs.models import Role
from tests.factories import make_user
from tests.test_api_permissions import call, token_for
from tests.test_roster_import import XLSX, row, workbook_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def sec_user(tree):
    return make_user("imp_api_sec", Role.SECRETARY, tree["school_a"])


@pytest.fixture
def sec(sec_user):
    return token_for(sec_user)


def upload(client, token, data, name="名册.xlsx", content_type=XLSX):
    return call(client, "post", "/imports/people", token, files={"file": SimpleUploadedFile(name, data,
                                                                                          content_type=content_type)})


def test_a_good_file_imports_every_row_and_the_job_reports_it(client, tree, sec, sec_user):
    rows = [row(name="甲老师"), row(name="乙老师", id_number="", org="实验中学第二党支部")]
    response = upload(client, sec, workbook_bytes(rows))
    assert response.status_code == 202, response.content
    job = response.json()
    # Tests run the job at once (IMPORT_IN_THREAD off): the answer already holds the outcome.
    assert job["status"] == "done" and job["finished"] and job["percent"] == 100
    assert job["created_count"] == 2 and job["errors"] == [] and job["file_name"] == "名册.xlsx"
    people = Person.objects.filter(name__in=["甲老师", "乙老师"])
    assert {(p.name, p.org.name) for p in people} == {("甲老师", "实验中学第一党支部"), ("乙老师", "实验中学第二党支部")}
    stored = ImportJob.objects.get(pk=job["id"])
    assert stored.created_by == sec_user and stored.content is None
    assert AuditLog.objects.filter(event="import", object_id=str(job["id"]), outcome="success").count() == 1
    polled = call(client, "get", f"/imports/{job['id']}", sec)
    assert polled.status_code == 200 and polled.json()["status"] == "done" and polled.json()["created_count"] == 2


def test_one_bad_row_imports_nothing_and_every_bad_row_is_reported(client, tree, sec):
    rows = [row(name="好老师"), row(name="", id_number=""), row(name="丙老师", id_number="", gender="未知"),
            row(name="丁老师", id_number="", org="不存在的支部")]
    response = upload(client, sec, workbook_bytes(rows))
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "failed" and job["created_count"] == 0
    assert {(e["row"], e["column"]) for e in job["errors"]} == {(3, "姓名"), (4, "性别"), (5, "所在党组织")}
    assert all(e["reason"] for e in job["errors"]) and job["error_count"] == 3
    assert not Person.objects.filter(name__in=["好老师", "丙老师", "丁老师"]).exists()
    again = call(client, "get", f"/imports/{job['id']}", sec).json()
    assert again["errors"] == job["errors"]


@pytest.mark.parametrize(("name", "data", "message"), [
    ("名册.xls", b"\xd0\xcf\x11\xe0 an old workbook", "只支持 Excel 2007 及以上版本的 .xlsx 文件"),
    ("名册.xlsx", b"not a zip at all", "文件不是有效的 Excel 工作簿"),
    ("名册.xlsx", b"", "上传的文件是空的"),
])
def test_a_wrong_file_is_422_in_chinese_and_creates_no_job(client, tree, sec, name, data, message):
    response = upload(client, sec, data, name=name)
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and any(message in m for m in body["errors"]["file"])
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_refused_before_anything_is_kept(client, tree, sec, settings):
    data = workbook_bytes([row()])
    settings.IMPORT_MAX_BYTES = len(data) - 1
    response = upload(client, sec, data)
    assert response.status_code == 422
    assert "文件过大" in response.json()["errors"]["file"][0]
    assert not ImportJob.objects.exists() and not Person.objects.exists()


def test_a_missing_file_is_a_field_error(client, tree, sec):
    response = call(client, "post", "/imports/people", sec, files={})
    assert response.status_code == 422 and "file" in response.json()["errors"]
    assert not ImportJob.objects.exists()


def test_another_users_job_is_404_and_audited(client, tree, sec, sec_user):
    job = upload(client, sec, workbook_bytes([row()])).json()
    other = token_for(make_user("imp_api_other", Role.SECRETARY, tree["school_a"]))  # same organisation
    response = call(client, "get", f"/imports/{job['id']}", other)
    assert response.status_code == 404 and set(response.json()) == {"detail", "errors"}
    assert AuditLog.objects.filter(event="denied", object_id=str(job["id"])).exists()
    assert call(client, "get", "/imports/999999999", sec).status_code == 404


@pytest.mark.parametrize("role", [Role.VIEWER, Role.DISCIPLINE])
def test_a_read_only_role_may_not_import(client, tree, role):
    token = token_for(make_user(f"imp_api_{role}", role, tree["school_a"]))
    response = upload(client, token, workbook_bytes([row()]))
    assert response.status_code == 403 and set(response.json()) == {"detail", "errors"}
    assert not ImportJob.objects.exists() and not Person.objects.exists()


def test_the_api_starts_the_job_like_the_page(client, tree, sec, monkeypatch):
    """With IMPORT_IN_THREAD on, the API hands the job to roster_import_start exactly as the page does and
    answers at once with the pending job."""
    from dangjian.members import importing

    started = []
    monkeypatch.setattr(importing, "roster_import_start", lambda job: started.append(job.pk))
    response = upload(client, sec, workbook_bytes([row()]))
    assert response.status_code == 202
    job = response.json()
    assert started == [job["id"]] and job["status"] == "pending" and not job["finished"] and job["percent"] == 0
    assert not Person.objects.exists()
