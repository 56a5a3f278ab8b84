"""API permission-matrix rows for the appraisal app (see tests/test_api_permissions.py); the objects come from
tests/matrix_appraisal.extend_ctx: "in" school_a's form with the report of branch_a2 (and its PDF); "out" school_b's
form and school_b's report on the area's form (school_a's roles see neither: 404). Objects that a call changes or
deletes are made afresh for each call: a new branch of school_a (with its secretary) reports on school_a's form."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_org, make_person
from tests.matrix_appraisal import ITEMS, extend_ctx  # noqa: F401 - the API context needs the same objects
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_write


def fresh_report(c, s):
    from dangjian.appraisal import services

    if s == "out":
        return {"report_id": c["appraisal_report_out"].pk}
    branch = make_org(c["tree"]["school_a"])
    report = services.report_save(actor=None, form=c["appraisal_form_in"], org=branch, person=make_person(branch),
                                  text="述职")
    return {"report_id": report.pk}


def fresh_form(c, s):
    """A form without reports (deletable): issued by a new branch of school_a; outside, school_b's."""
    from dangjian.appraisal import services

    if s == "out":
        return {"form_id": c["appraisal_form_out"].pk}
    form = services.form_save(actor=None, org=make_org(c["tree"]["school_a"]), year=2025, title="评分表", items=ITEMS)
    return {"form_id": form.pk}


def form_body(c, s):
    org = make_org(c["tree"]["school_a"]) if s == "in" else c["tree"]["school_b"]
    return {"org": org.pk, "year": 2025, "title": "书记述职评分表", "items": ITEMS}


def report_body(c, s):
    """A new branch of school_a and its serving secretary (the submit page's choices)."""
    from dangjian.orgs.models import CommitteePost

    branch = make_org(c["tree"]["school_a"])
    person = make_person(branch)
    CommitteePost.objects.create(org=branch, person=person, post="secretary", started_on=date(2020, 1, 1))
    return {"org": branch.pk, "person": person.pk, "text": "一年来的党建工作"}


def full_marks(c, s):
    return {"marks": {str(i.pk): str(i.max_score) for i in c["appraisal_form_in"].items.all()}, "comment": "好"}


def form_key(c, s):
    return {"form_id": c[f"appraisal_form_{s}"].pk}


def report_key(c, s):
    return {"report_id": c[f"appraisal_report_{s}"].pk}


def file_key(c, s):
    return {"report_id": c[f"appraisal_report_{s}"].pk, "attachment_id": c[f"appraisal_file_{s}"].pk}


def pdf(c, s):
    return {"file": SimpleUploadedFile("补充材料.pdf", b"%PDF-1.4 more", content_type="application/pdf")}


EXPECT = {
    "appraisal_forms_list": Case(api_list()),
    "appraisal_forms_create": Case(api_create(), body=form_body, scoped=True),
    "appraisal_forms_detail": Case(api_read(), form_key),
    "appraisal_forms_update": Case(api_write(), form_key, body={"title": "修订后的评分表"}),
    "appraisal_forms_delete": Case(api_write(), fresh_form),
    "appraisal_reports_list": Case(api_list()),
    "appraisal_reports_create": Case(api_write(201), form_key, body=report_body),
    "appraisal_reports_detail": Case(api_read(), report_key),
    "appraisal_reports_update": Case(api_write(), report_key, body={"text": "修改后的述职报告"}),
    "appraisal_reports_delete": Case(api_write(), fresh_report),
    "appraisal_attachments_add": Case(api_write(201), report_key, files=pdf),
    "appraisal_attachments_download": Case(api_read(), file_key),
    "appraisal_sheets_save": Case(api_write(201), fresh_report, body=full_marks),
}
