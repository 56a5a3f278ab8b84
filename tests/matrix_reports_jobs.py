"""Permission-matrix entries for report jobs: every logged-in user has a (possibly empty) list of their own jobs;
a job is visible only to the user who asked for it."""

from dangjian.orgs.models import Role
from dangjian.reports.jobs import job_key
from dangjian.reports.models import ReportJob
from tests.factories import make_user
from tests.test_permission_matrix import ALL, Route, owner_only


def _job(ctx, scope):
    """"in" is the secretary's own finished job; "out" belongs to somebody else."""
    owner = ctx["users"]["secretary"] if scope == "in" else make_user(role=Role.SECRETARY,
                                                                      org=ctx["tree"]["school_b"])
    org = ctx["org_in"]
    params = {"scope": scope}
    return {"pk": ReportJob.objects.create(kind="summary", org=org, params=params, key=job_key("summary", org, params),
                                           created_by=owner, status=ReportJob.State.DONE, file_name="总结.docx",
                                           content_type="application/octet-stream", content=b"x").pk}


ROUTES = {
    "reports:job_list": Route(expect={role: 200 for role in ALL} | {"anon": 302}),
    "reports:job_detail": Route(_job, owner_only("secretary")),
    "reports:job_download": Route(_job, owner_only("secretary")),
}
