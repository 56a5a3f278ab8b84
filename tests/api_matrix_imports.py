"""API permission-matrix rows for the import jobs (see tests/test_api_permissions.py).

A roster import is open to the writers (组织管理员, 书记) anywhere; everyone else 403. A job is private to its
uploader: "in" is a job of the secretary of the matrix, "out" one of another secretary; everyone but the uploader
gets 404 (as on the job page).
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.imports.models import ImportJob
from dangjian.orgs.models import Role
from tests.factories import make_user
from tests.test_api_permissions import Case
from tests.test_permission_matrix import ALL
from tests.test_roster_import import XLSX, row, workbook_bytes


def roster_file(c=None, s=None):
    """One 正式党员 for branch_a2 (the second writer's call fails on the duplicate ID number: still 202)."""
    return {"file": SimpleUploadedFile("名册.xlsx", workbook_bytes([row(org="实验中学第二党支部")]), content_type=XLSX)}


def extend_ctx(ctx):
    other = make_user("a_other_uploader", Role.SECRETARY, ctx["tree"]["school_b"])
    for scope, owner in (("in", ctx["users"]["secretary"]), ("out", other)):
        ctx[f"import_job_{scope}"] = ImportJob.objects.create(created_by=owner, file_name="名册.xlsx",
                                                             status=ImportJob.State.FAILED,
                                                             errors=[[2, "姓名", "必填"]])


def writers_only(ok):
    return {role: 403 for role in ALL} | {"anon": 401, "secretary": ok, "org_admin": ok}


def uploader_only():
    return {role: (404, 404) for role in ALL} | {"anon": (401, 401), "secretary": (200, 404)}


EXPECT = {
    "people_import": Case(writers_only(202), files=roster_file),
    "imports_detail": Case(uploader_only(), lambda c, s: {"job_id": c[f"import_job_{s}"].pk}),
}
