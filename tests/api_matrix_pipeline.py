"""API permission-matrix rows for the pipeline app (see tests/test_api_permissions.py).

"in": a development file of branch_a2 (inside school_a, where the org roles sit); "out": one of school_b. The writes
get a fresh file for each call (opened ten days ago), so recording the talk (step ②, today) or withdrawing it
succeeds for each writer inside the scope; extending and cancelling get a fresh 预备党员's file, the attachment
operations a fresh attachment of step ①."""

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.members.models import Status
from dangjian.pipeline import services
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from tests.factories import make_person
from tests.test_api_permissions import Case, api_create, api_list, api_read, api_write
from tests.test_permission_matrix import ALL

PDF = b"%PDF-1.4\n% test\n"


def system_only():
    return {role: 403 for role in ALL} | {"anon": 401, "system": 200}


def talk_docx():
    from tests.test_pipeline_paperwork import custom_docx

    return custom_docx("谈话记录：{{name}}，谈话人{{talker}}")


def open_file(org):
    person = make_person(org, status=Status.NON_MEMBER, status_since=date(2015, 1, 1))
    return services.file_open(actor=None, person=person, applied_on=timezone.localdate() - timedelta(days=10))


def probationer_file(org):
    """A 预备党员 admitted (step ⑰) two months ago: the file as the steps before would have left it."""
    today = timezone.localdate()
    person = make_person(org, status=Status.PROBATIONARY, joined_on=today - timedelta(days=70),
                         status_since=today - timedelta(days=60))
    file = DevelopmentFile.objects.create(person=person, org=org, applied_on=today - timedelta(days=900))
    DevelopmentStep.objects.create(file=file, number=1, date=file.applied_on)
    DevelopmentStep.objects.create(file=file, number=17, date=today - timedelta(days=60), approval_no="备字1号")
    return file


def attachment(org):
    file = open_file(org)
    step = file.steps.get(number=1)
    return services.step_attachment_add(actor=None, step=step, upload=pdf())


def pdf(name="申请书.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def extend_ctx(ctx):
    for scope in ("in", "out"):
        ctx[f"pipeline_file_{scope}"] = open_file(ctx[f"org_{scope}"])
        ctx[f"pipeline_attachment_{scope}"] = attachment(ctx[f"org_{scope}"])


def fresh_file(c, s):
    return {"file_id": open_file(c[f"org_{s}"]).pk}


def fresh_probationer(c, s):
    return {"file_id": probationer_file(c[f"org_{s}"]).pk}


def fresh_step(c, s):
    file = open_file(c[f"org_{s}"])
    return {"file_id": file.pk, "step_id": file.steps.get(number=1).pk}


def today():
    return timezone.localdate().isoformat()


EXPECT = {
    "pipeline_files_list": Case(api_list()),
    "pipeline_files_detail": Case(api_read(), lambda c, s: {"file_id": c[f"pipeline_file_{s}"].pk}),
    "pipeline_steps_record": Case(api_write(201), fresh_file,
                                  body=lambda c, s: {"number": 2, "date": today(), "talker_name": "上级党委组织员"}),
    "pipeline_files_withdraw": Case(api_write(), fresh_file,
                                    body=lambda c, s: {"kind": "applicant", "decided_on": today(),
                                                       "reason": "本人撤回入党申请"}),
    "pipeline_files_open": Case(api_create(), scoped=True, body=lambda c, s: {
        "person": make_person(c[f"org_{s}"], status=Status.NON_MEMBER, status_since=date(2015, 1, 1)).pk,
        "applied_on": today()}),
    "pipeline_files_extend": Case(api_write(), fresh_probationer,
                                  body=lambda c, s: {"decided_on": today(), "months": 6, "approval_no": "备字2号"}),
    "pipeline_files_cancel": Case(api_write(), fresh_probationer,
                                  body=lambda c, s: {"decided_on": today(), "reason": "不履行党员义务",
                                                     "approval_no": "备字3号"}),
    "pipeline_attachments_add": Case(api_write(201), fresh_step, files=lambda c, s: {"file": pdf()}),
    "pipeline_attachments_download": Case(api_read(),
                                          lambda c, s: {"attachment_id": c[f"pipeline_attachment_{s}"].pk}),
    "pipeline_attachments_delete": Case(api_write(),
                                        lambda c, s: {"attachment_id": attachment(c[f"org_{s}"]).pk}),
    # document templates: the system administrator only, as on the templates page; no organisation scope
    "pipeline_templates_list": Case(system_only()),
    "pipeline_templates_upload": Case(system_only(), {"kind": "talk"},
                                      files=lambda c, s: {"file": SimpleUploadedFile("模板.docx", talk_docx())}),
    "pipeline_templates_revert": Case(system_only(), {"kind": "talk"}),
    "pipeline_templates_download": Case(system_only(), {"kind": "talk"}),
}
