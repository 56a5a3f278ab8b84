"""Permission-matrix entries for the pipeline app (see tests/test_permission_matrix.py).

"in": a file and an applicant of branch_a2 (inside school_a, where the org roles sit); "out": of school_b.
POSTs with an empty form answer 400 to a writer (nothing is recorded), 403 to a reader inside the scope.
"""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.members.models import Status
from dangjian.orgs.models import Role
from dangjian.pipeline import services
from tests.factories import make_person, make_user
from tests.test_permission_matrix import ALL, Route, only, read_list, read_object, write_object


def extend_ctx(ctx):
    tree = ctx["tree"]
    for tag, org in (("in", tree["branch_a2"]), ("out", tree["school_b"])):
        writer = make_user(f"pl_w_{tag}", Role.SECRETARY, org)
        person = make_person(org, name=f"建档{tag}", status=Status.NON_MEMBER, status_since=date(2015, 1, 1))
        ctx[f"pl_file_{tag}"] = services.file_open(actor=writer, person=person, applied_on=date(2024, 3, 15))
        step = ctx[f"pl_file_{tag}"].steps.order_by("pk").first()
        ctx[f"pl_step_{tag}"] = step
        ctx[f"pl_attachment_{tag}"] = services.step_attachment_add(
            actor=writer, step=step, upload=SimpleUploadedFile("申请书.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"))
        ctx[f"pl_applicant_{tag}"] = make_person(org, name=f"申请{tag}", status=Status.APPLICANT,
                                                 applied_on=date(2024, 3, 1), status_since=date(2024, 3, 1))


def file(c, s):
    return {"pk": c[f"pl_file_{s}"].pk}


def applicant(c, s):
    return {"person_pk": c[f"pl_applicant_{s}"].pk}


def step(c, s):
    return {**file(c, s), "step_pk": c[f"pl_step_{s}"].pk}


def attachment(c, s):
    return {"pk": c[f"pl_attachment_{s}"].pk}


def document(c, s):
    return {**file(c, s), "kind": "cover"}


def kind(c, s):
    return {"kind": "talk"}


def admin_post(status):
    return {role: 403 for role in ALL} | {"anon": 302, "system": status}


ROUTES = {
    "pipeline:board": Route(expect=read_list()),
    "pipeline:file": Route(file, read_object()),
    "pipeline:file_open": Route(applicant, write_object()),
    "pipeline:step_record": Route(file, write_object(400), method="post"),
    "pipeline:file_extend": Route(file, write_object(400), method="post"),
    "pipeline:file_cancel": Route(file, write_object(400), method="post"),
    "pipeline:file_withdraw": Route(file, write_object(400), method="post"),
    "pipeline:document": Route(document, write_object()),
    # An empty upload form sends the writer back to the step with the error (302); the delete POST removes it.
    "pipeline:step_attachment_add": Route(step, write_object(302), method="post"),
    "pipeline:step_attachment_download": Route(attachment, read_object()),
    # The secretary's POST deletes the attachment, so the 组织管理员 who comes next finds nothing (404).
    "pipeline:step_attachment_delete": Route(attachment, write_object(302) | {"org_admin": (404, 404)}, method="post"),
    "pipeline:file_zip": Route(file, write_object()),
    "pipeline:double": Route(expect=read_list()),
    "pipeline:templates": Route(expect=only("system")),
    "pipeline:template_download": Route(kind, only("system")),
    "pipeline:template_upload": Route(kind, admin_post(400), method="post"),   # empty form
    "pipeline:template_revert": Route(kind, admin_post(302), method="post"),   # nothing to revert: back to the list
}
