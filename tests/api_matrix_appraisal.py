"""API permission-matrix rows for the appraisal app (see tests/test_api_permissions.py); the objects come from
tests/matrix_appraisal.extend_ctx. Scoring: "in" a fresh report of a new branch of school_a on school_a's form
(school_a's writers are the level above); "out" school_b's report on the area's form (not visible: 404)."""

from tests.factories import make_org, make_person
from tests.matrix_appraisal import extend_ctx  # noqa: F401 - the API context needs the same objects
from tests.test_api_permissions import Case, api_list, api_read, api_write


def fresh_report(c, s):
    from dangjian.appraisal import services

    if s == "out":
        return {"report_id": c["appraisal_report_out"].pk}
    branch = make_org(c["tree"]["school_a"])
    report = services.report_save(actor=None, form=c["appraisal_form_in"], org=branch, person=make_person(branch),
                                  text="述职")
    return {"report_id": report.pk}


def full_marks(c, s):
    return {"marks": {str(i.pk): str(i.max_score) for i in c["appraisal_form_in"].items.all()}, "comment": "好"}

EXPECT = {
    "appraisal_forms_list": Case(api_list()),
    "appraisal_forms_detail": Case(api_read(), lambda c, s: {"form_id": c[f"appraisal_form_{s}"].pk}),
    "appraisal_reports_detail": Case(api_read(), lambda c, s: {"report_id": c[f"appraisal_report_{s}"].pk}),
    "appraisal_sheets_save": Case(api_write(201), fresh_report, body=full_marks),
}
