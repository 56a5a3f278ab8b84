"""Permission-matrix entries for the appraisal app (see tests/test_permission_matrix.py).

"in": a form issued by school_a with the report of branch_a2 (person_in); "out": a form issued by school_b, and
the report of school_b on the area's form (school_a's roles see the area's form, never school_b's report)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_org
from tests.test_permission_matrix import Route, read_list, read_object, write_object

ITEMS = [{"name": "落实三会一课", "max_score": "60"}, {"name": "党员教育管理", "max_score": "40"}]


def extend_ctx(ctx):
    from dangjian.appraisal import services

    tree = ctx["tree"]
    form_in = services.form_save(actor=None, org=tree["school_a"], year=2025, title="评分表", items=ITEMS)
    form_out = services.form_save(actor=None, org=tree["school_b"], year=2025, title="评分表", items=ITEMS)
    form_area = services.form_save(actor=None, org=tree["area"], year=2025, title="评分表", items=ITEMS)
    pdf = SimpleUploadedFile("述职.pdf", b"%PDF-1.4 test")
    ctx["appraisal_form_in"], ctx["appraisal_form_out"] = form_in, form_out
    ctx["appraisal_report_in"] = services.report_save(actor=None, form=form_in, org=ctx["org_in"],
                                                      person=ctx["person_in"], text="述职", upload=pdf)
    ctx["appraisal_report_out"] = services.report_save(actor=None, form=form_area, org=ctx["org_out"],
                                                       person=ctx["person_out"], text="述职",
                                                       upload=SimpleUploadedFile("b.pdf", b"%PDF-1.4 b"))
    ctx["appraisal_file_in"] = ctx["appraisal_report_in"].attachments.get()
    ctx["appraisal_file_out"] = ctx["appraisal_report_out"].attachments.get()


def key(name):
    return lambda c, s: {"pk": c[f"appraisal_{name}_{s}"].pk}


def fresh_report(c, s):
    """A report that may be deleted: of a new branch inside school_a; outside, school_b's."""
    from dangjian.appraisal import services
    from tests.factories import make_person

    if s == "out":
        return {"pk": c["appraisal_report_out"].pk}
    branch = make_org(c["tree"]["school_a"])
    report = services.report_save(actor=None, form=c["appraisal_form_in"], org=branch, person=make_person(branch),
                                  text="述职")
    return {"pk": report.pk}


ROUTES = {
    "appraisal:home": Route(expect=read_list()),
    "appraisal:form_create": Route(expect=read_list(writers_only=True)),
    "appraisal:form_detail": Route(key("form"), read_object()),
    "appraisal:form_edit": Route(key("form"), write_object()),
    # The form has a report, so deleting is refused with a message (302 back to the form).
    "appraisal:form_delete": Route(key("form"), write_object(302), method="post"),
    "appraisal:report_create": Route(key("form"), write_object()),
    "appraisal:report_detail": Route(key("report"), read_object()),
    "appraisal:report_edit": Route(key("report"), write_object()),
    "appraisal:report_delete": Route(fresh_report, write_object(302), method="post"),
    # Writers of the form's organisation (school_a) score the report of branch_a2.
    "appraisal:score": Route(key("report"), write_object()),
    "appraisal:report_file": Route(key("file"), read_object()),
}
