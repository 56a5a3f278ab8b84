"""The 发展党员 API: the files of a scope (filters, stage, next deadline), one file with its steps, recording the
next step through the page's service (rules → 422 with the rule id; override with a reason → saved and audited),
withdrawing a file, and the scope (a branch's token never reaches another branch's file)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django.db import connection

from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.life.models import Vote
from dangjian.members.models import Person, Status
from dangjian.orgs.models import Role
from dangjian.pipeline import services
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from tests.factories import make_person, make_user
from tests.test_api_permissions import call, token_for
from tests.test_pipeline_helpers import World, advance
from tests.test_pipeline_paperwork import custom_docx

pytestmark = pytest.mark.django_db

APPLIED = date(2024, 3, 15)
TALK_DUE = date(2024, 4, 15)   # 细则 第七条: one month


@pytest.fixture
def world(tree):
    w = World(tree)
    w.token = token_for(w.writer)
    return w


def files_of(response):
    assert response.status_code == 200, response.content
    return {item["id"]: item for item in response.json()["items"]}


def steps_of(file):
    return list(DevelopmentStep.objects.filter(file=file).values_list("number", flat=True))


# --- reads ---------------------------------------------------------------------------------------


def test_list_covers_the_scope_with_stage_next_step_and_deadline(client, world, tree):
    mine = world.open(APPLIED)
    other_branch = world.open(APPLIED, person=world.candidate(org=tree["branch_a2"]))
    outside = services.file_open(actor=None, person=world.candidate(org=tree["school_b"]), applied_on=APPLIED)
    items = files_of(call(client, "get", "/pipeline/files", world.token))
    assert set(items) == {mine.pk, other_branch.pk}
    item = items[mine.pk]
    assert item["stage"] == "applicant" and item["stage_label"] == "入党申请人" and item["state"] == "open"
    assert item["next_step"] == {"number": 2, "name": "党组织派人谈话"}
    assert item["deadline"]["due_on"] == TALK_DUE.isoformat() and item["deadline"]["rule_id"] == "pipeline.talk"
    # The district sees every school's files.
    district = token_for(make_user(role=Role.VIEWER, org=tree["district"]))
    assert outside.pk in files_of(call(client, "get", "/pipeline/files", district))


def test_list_filters_by_organisation_stage_state_and_name(client, world, tree):
    applicant = world.open(APPLIED, person=world.candidate(name="王申请"))
    activist = advance(world, world.open(APPLIED, person=world.candidate(name="李积极")), 3)
    elsewhere = world.open(APPLIED, person=world.candidate(name="赵二支", org=tree["branch_a2"]))
    withdrawn = world.open(APPLIED, person=world.candidate(name="钱撤回"))
    call(client, "post", f"/pipeline/files/{withdrawn.pk}/withdraw", world.token,
         body={"kind": "applicant", "decided_on": "2024-04-01", "reason": "本人撤回"})

    def ids(**params):
        return set(files_of(call(client, "get", "/pipeline/files", world.token, params=params)))

    assert ids(org=tree["branch_a2"].pk) == {elsewhere.pk}
    assert ids(stage="activist") == {activist.pk}
    assert ids(stage="applicant", state="open") == {applicant.pk, elsewhere.pk}
    assert ids(state="withdrawn") == {withdrawn.pk}
    assert ids(q="积极") == {activist.pk}
    assert call(client, "get", "/pipeline/files", world.token, params={"stage": "member"}).status_code == 400
    assert call(client, "get", "/pipeline/files", world.token,
                params={"org": tree["school_b"].pk}).status_code == 404
    page = call(client, "get", "/pipeline/files", world.token, params={"limit": 1, "offset": 1}).json()
    assert page["count"] == 4 and len(page["items"]) == 1


def test_list_queries_do_not_grow_with_the_files(client, world):
    def count():
        call(client, "get", "/pipeline/files", world.token)   # refreshes the token's last use first
        with CaptureQueriesContext(connection) as queries:
            assert call(client, "get", "/pipeline/files", world.token, params={"limit": 200}).status_code == 200
        return len(queries)

    advance(world, world.open(APPLIED), 3)
    small = count()
    for _ in range(6):
        advance(world, world.open(APPLIED), 6)
    assert count() == small


def test_detail_has_steps_with_evidence_and_the_next_deadline(client, world):
    file = advance(world, world.open(APPLIED), 5)
    body = call(client, "get", f"/pipeline/files/{file.pk}", world.token).json()
    assert [s["number"] for s in body["steps"]] == [1, 2, 3, 4, 5]
    talk, contacts = body["steps"][1], body["steps"][4]
    assert talk["name"] == "党组织派人谈话"
    assert talk["talker"] == {"id": world.sponsor_1.pk, "name": "介绍人甲"}
    assert contacts["contact_2"] == {"id": world.sponsor_2.pk, "name": "介绍人乙"}
    assert body["steps"][3]["approval_no"] == "备字〔2024〕4号" and talk["overridden"] is False
    assert body["stage"] == "activist"
    assert body["allowed_steps"] == [{"number": 6, "name": "培养教育考察"}]
    # Reviewed every six months from the 确定积极分子 date (2024-04-15).
    assert body["deadline"]["due_on"] == "2024-10-15" and body["deadline"]["rule_id"] == "pipeline.review"


def test_detail_carries_the_deciding_meeting_and_vote(client, world):
    file = advance(world, world.open(APPLIED), 15)
    step = call(client, "get", f"/pipeline/files/{file.pk}", world.token).json()["steps"][-1]
    recorded = DevelopmentStep.objects.get(file=file, number=15)
    assert step["number"] == 15 and step["meeting_id"] == recorded.meeting_id and step["vote_id"] == recorded.vote_id


# --- recording a step ------------------------------------------------------------------------------


def test_recording_the_next_step_uses_the_service_and_is_audited(client, world):
    file = world.open(APPLIED)
    response = call(client, "post", f"/pipeline/files/{file.pk}/steps", world.token,
                    body={"number": 2, "date": "2024-04-10", "talker": world.sponsor_1.pk, "note": "谈话情况良好"})
    assert response.status_code == 201, response.content
    assert response.json()["steps"][-1]["talker"]["id"] == world.sponsor_1.pk
    step = DevelopmentStep.objects.get(file=file, number=2)
    assert step.note == "谈话情况良好" and step.recorded_by == world.writer and not step.overridden
    log = AuditLog.objects.get(event=Event.CREATE, object_type="pipeline.developmentstep", object_id=str(step.pk))
    assert log.user == world.writer and log.changes["number"] == 2


def test_a_broken_rule_is_refused_with_its_id_and_message_and_changes_nothing(client, world):
    file = world.open(APPLIED)
    before = AuditLog.objects.count()
    body = {"number": 2, "date": "2024-05-01", "talker_name": "组织员"}
    response = call(client, "post", f"/pipeline/files/{file.pk}/steps", world.token, body=body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == {"pipeline.talk": ["谈话日期晚于期限 2024-04-15（收到入党申请书后一个月内派人谈话；依据：细则 第七条）"]}
    assert "override" in response.json()["detail"]
    # Override without a reason: still refused, the reason is asked for.
    response = call(client, "post", f"/pipeline/files/{file.pk}/steps", world.token, body={**body, "override": True})
    assert response.status_code == 422
    assert response.json()["errors"]["override_reason"] == ["勾选“违反规则仍保存”时须填写原因。"]
    assert steps_of(file) == [1] and AuditLog.objects.count() == before


def test_an_override_with_a_reason_is_saved_and_audited(client, world):
    file = world.open(APPLIED)
    response = call(client, "post", f"/pipeline/files/{file.pk}/steps", world.token,
                    body={"number": 2, "date": "2024-05-01", "talker_name": "组织员", "override": True,
                          "override_reason": "申请人外出培训，返校后谈话"})
    assert response.status_code == 201, response.content
    step = response.json()["steps"][-1]
    assert step["overridden"] is True and step["override_reason"] == "申请人外出培训，返校后谈话"
    assert step["override_rules"] == ["pipeline.talk"]
    log = AuditLog.objects.get(event=Event.CREATE, object_type="pipeline.developmentstep", object_id=str(step["id"]))
    assert log.changes["override"] == {"reason": "申请人外出培训，返校后谈话", "rules": ["pipeline.talk"]}


def test_hard_rules_cannot_be_overridden(client, world):
    file = world.open(APPLIED)
    response = call(client, "post", f"/pipeline/files/{file.pk}/steps", world.token,
                    body={"number": 3, "date": "2024-04-10", "override": True, "override_reason": "赶进度"})
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "number": ["须按顺序登记：下一步是第2步“党组织派人谈话”，不能登记第3步“推荐和确定入党积极分子”。"]}
    response = call(client, "post", f"/pipeline/files/{file.pk}/steps", world.token,
                    body={"number": 2, "date": "2024-04-10"})
    assert response.json()["errors"] == {"talker": ["请选择谈话人或填写系统外谈话人姓名。"]}
    assert steps_of(file) == [1]


def test_references_come_from_the_step_forms_choices(client, world, tree):
    file = world.open(APPLIED)
    url = f"/pipeline/files/{file.pk}/steps"
    outsider = make_person(tree["school_b"])
    response = call(client, "post", url, world.token, body={"number": 2, "date": "2024-04-10", "talker": outsider.pk})
    assert response.status_code == 422 and list(response.json()["errors"]) == ["talker"]
    # The candidate cannot talk to himself, and a field step ② does not record is refused, not dropped.
    response = call(client, "post", url, world.token,
                    body={"number": 2, "date": "2024-04-10", "talker": file.person_id, "sponsor_1": world.sponsor_1.pk})
    assert set(response.json()["errors"]) == {"talker", "sponsor_1"}
    assert "不登记此项" in response.json()["errors"]["sponsor_1"][0]
    assert steps_of(file) == [1]


def test_a_vote_that_did_not_pass_is_refused(client, world):
    file = advance(world, world.open(APPLIED), 14)
    meeting = world.meeting(date(2025, 7, 15))
    vote = world.vote(meeting, Vote.Kind.ADMISSION, passed=False, person=file.person)
    response = call(client, "post", f"/pipeline/files/{file.pk}/steps", world.token,
                    body={"number": 15, "date": "2025-07-15", "meeting": meeting.pk, "vote": vote.pk,
                          "override": True, "override_reason": "试试"})
    assert response.status_code == 422 and "该表决未通过" in response.json()["errors"]["vote"][0]
    assert 15 not in steps_of(file)


# --- withdrawing -----------------------------------------------------------------------------------


def test_withdrawing_closes_the_file_and_returns_the_person_to_non_member(client, world):
    file = advance(world, world.open(APPLIED), 3)
    response = call(client, "post", f"/pipeline/files/{file.pk}/withdraw", world.token,
                    body={"kind": "org", "decided_on": "2024-06-01", "reason": "培养期间表现不符合要求"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "withdrawn" and body["withdraw_kind"] == "org" and body["allowed_steps"] == []
    assert body["next_step"] is None and body["deadline"] is None
    assert Person.objects.get(pk=file.person_id).status == Status.NON_MEMBER
    assert AuditLog.objects.filter(event=Event.UPDATE, object_type="pipeline.developmentfile",
                                   object_id=str(file.pk)).exists()
    again = call(client, "post", f"/pipeline/files/{file.pk}/steps", world.token,
                 body={"number": 4, "date": "2024-06-02", "approval_no": "备1号"})
    assert again.status_code == 422 and "已终止" in again.json()["detail"]


def test_withdrawing_checks_its_input_and_changes_nothing(client, world):
    file = world.open(APPLIED)
    url = f"/pipeline/files/{file.pk}/withdraw"
    response = call(client, "post", url, world.token, body={"kind": "applicant", "decided_on": "2024-03-01",
                                                            "reason": "撤回"})
    assert response.status_code == 422 and "不能早于上一步骤" in response.json()["errors"]["decided_on"][0]
    assert call(client, "post", url, world.token, body={"kind": "applicant", "decided_on": "2024-04-01"}
                ).json()["errors"] == {"reason": ["此项为必填项。"]}
    assert DevelopmentFile.objects.get(pk=file.pk).state == "open"
    probationer = advance(world, world.open(APPLIED), 17)
    response = call(client, "post", f"/pipeline/files/{probationer.pk}/withdraw", world.token,
                    body={"kind": "applicant", "decided_on": "2025-09-01", "reason": "撤回"})
    assert response.status_code == 422 and "取消预备党员资格" in response.json()["detail"]


# --- scope and roles -------------------------------------------------------------------------------


def test_a_branch_token_cannot_reach_another_branchs_file(client, world, tree):
    theirs = world.open(APPLIED, person=world.candidate(org=tree["branch_a2"]))
    ours = world.open(APPLIED)
    branch = make_user(role=Role.SECRETARY, org=tree["branch_a1"])
    token = token_for(branch)
    assert set(files_of(call(client, "get", "/pipeline/files", token))) == {ours.pk}
    assert call(client, "get", f"/pipeline/files/{ours.pk}", token).status_code == 200
    assert call(client, "get", f"/pipeline/files/{theirs.pk}", token).status_code == 404
    assert call(client, "post", f"/pipeline/files/{theirs.pk}/steps", token,
                body={"number": 2, "date": "2024-04-10", "talker_name": "组织员"}).status_code == 404
    assert call(client, "post", f"/pipeline/files/{theirs.pk}/withdraw", token,
                body={"kind": "applicant", "decided_on": "2024-04-01", "reason": "撤回"}).status_code == 404
    assert call(client, "get", "/pipeline/files", token, params={"org": tree["branch_a2"].pk}).status_code == 404
    assert AuditLog.objects.filter(user=branch, event=Event.DENIED, object_type="pipeline.developmentfile",
                                   object_id=str(theirs.pk)).count() == 3
    assert steps_of(theirs) == [1] and DevelopmentFile.objects.get(pk=theirs.pk).state == "open"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.DISCIPLINE])
def test_read_only_roles_read_but_cannot_write(client, world, tree, role):
    file = world.open(APPLIED)
    token = token_for(make_user(role=role, org=tree["school_a"]))
    assert call(client, "get", f"/pipeline/files/{file.pk}", token).status_code == 200
    assert call(client, "post", f"/pipeline/files/{file.pk}/steps", token,
                body={"number": 2, "date": "2024-04-10", "talker_name": "组织员"}).status_code == 403
    assert call(client, "post", f"/pipeline/files/{file.pk}/withdraw", token,
                body={"kind": "applicant", "decided_on": "2024-04-01", "reason": "撤回"}).status_code == 403
    assert steps_of(file) == [1]


def test_a_member_sees_no_files(client, world, tree):
    own = world.candidate()
    file = world.open(APPLIED, person=own)
    token = token_for(make_user(role=Role.MEMBER, org=tree["branch_a1"], person=Person.objects.get(pk=own.pk)))
    assert call(client, "get", "/pipeline/files", token).status_code == 403
    assert call(client, "get", f"/pipeline/files/{file.pk}", token).status_code == 404


# --- opening, extending, cancelling; attachments ------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_open_a_file_through_the_pages_service(client, world, tree):
    person = world.candidate(name="周新")
    response = call(client, "post", "/pipeline/files", world.token,
                    body={"person": person.pk, "applied_on": "2024-03-15", "note": "当面递交"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person"]["id"] == person.pk and [s["number"] for s in body["steps"]] == [1]
    person.refresh_from_db()
    assert person.status == Status.APPLICANT
    assert AuditLog.objects.filter(event=Event.CREATE, object_type="pipeline.developmentfile").exists()
    # A second open file for the same person is a conflict; the person's file is unchanged.
    again = call(client, "post", "/pipeline/files", world.token, body={"person": person.pk, "applied_on": "2024-03-16"})
    assert again.status_code == 409 and "已有进行中的发展党员档案" in again.json()["errors"]["person"][0]
    # Outside the scope: the same words as an unknown id (422 on the field); a 党员 cannot apply.
    outsider = world.candidate(org=tree["school_b"])
    response = call(client, "post", "/pipeline/files", world.token, body={"person": outsider.pk, "applied_on": "2024-03-15"})
    assert response.status_code == 422 and response.json()["errors"]["person"] == ["不存在或无权访问。"]
    member = make_person(world.branch)
    response = call(client, "post", "/pipeline/files", world.token, body={"person": member.pk, "applied_on": "2024-03-15"})
    assert response.status_code == 422 and "只能为群众或入党申请人" in response.json()["errors"]["person"][0]
    future = call(client, "post", "/pipeline/files", world.token,
                  body={"person": world.candidate().pk, "applied_on": "2999-01-01"})
    assert future.status_code == 422 and "applied_on" in future.json()["errors"]


def test_open_under_18_needs_an_override_with_a_reason(client, world):
    young = world.candidate(birth=date(2010, 1, 1))
    body = {"person": young.pk, "applied_on": "2024-03-15"}
    response = call(client, "post", "/pipeline/files", world.token, body=body)
    assert response.status_code == 422 and "pipeline.min_age" in response.json()["errors"]
    assert not DevelopmentFile.objects.filter(person=young).exists()
    response = call(client, "post", "/pipeline/files", world.token,
                    body={**body, "override": True, "override_reason": "补录历史档案"})
    assert response.status_code == 201 and response.json()["steps"][0]["overridden"] is True


def _probationer(world):
    return advance(world, world.open(date(2023, 1, 10)), 17)


def test_extend_once_then_refused(client, world):
    file = _probationer(world)
    url = f"/pipeline/files/{file.pk}/extend"
    bad = call(client, "post", url, world.token, body={"decided_on": "2024-09-01", "months": 3, "approval_no": "x"})
    assert bad.status_code == 422 and "months" in bad.json()["errors"]
    ok = call(client, "post", url, world.token, body={"decided_on": "2024-09-01", "months": 6, "approval_no": "批字1号"})
    assert ok.status_code == 200, ok.content
    assert ok.json()["extension_months"] == 6
    again = call(client, "post", url, world.token, body={"decided_on": "2024-09-02", "months": 6, "approval_no": "2"})
    assert again.status_code == 422 and "只能延长一次" in again.json()["detail"]


def test_cancel_closes_the_file_and_changes_the_status(client, world):
    file = _probationer(world)
    missing = call(client, "post", f"/pipeline/files/{file.pk}/cancel", world.token,
                   body={"decided_on": "2024-09-01", "reason": " ", "approval_no": "批字2号"})
    assert missing.status_code == 422 and missing.json()["errors"]["reason"] == ["请填写取消原因。"]
    response = call(client, "post", f"/pipeline/files/{file.pk}/cancel", world.token,
                    body={"decided_on": "2024-09-01", "reason": "不履行党员义务", "approval_no": "批字2号"})
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    file.person.refresh_from_db()
    assert file.person.status == Status.CANCELLED
    # Not a probationer (an applicant's file): refused with the page's words.
    applicant = world.open(APPLIED)
    response = call(client, "post", f"/pipeline/files/{applicant.pk}/extend", world.token,
                    body={"decided_on": "2024-09-01", "months": 6, "approval_no": "1"})
    assert response.status_code == 422 and response.json()["detail"] == "只有预备党员才能延长预备期或取消预备党员资格。"


def _upload(client, token, file, number, content=b"%PDF-1.4\n", name="申请书.pdf"):
    step = file.steps.get(number=number)
    return call(client, "post", f"/pipeline/files/{file.pk}/steps/{step.pk}/attachments", token,
                files={"file": SimpleUploadedFile(name, content)})


def test_attachments_upload_list_download_delete(client, world, tree, media):
    file = world.open(APPLIED)
    response = _upload(client, world.token, file, 1)
    assert response.status_code == 201, response.content
    attachment = response.json()
    assert attachment["name"] == "申请书.pdf" and attachment["content_type"] == "application/pdf"
    detail = call(client, "get", f"/pipeline/files/{file.pk}", world.token).json()
    assert detail["steps"][0]["attachments"] == [attachment]
    viewer = token_for(make_user(role=Role.VIEWER, org=tree["school_a"]))
    download = call(client, "get", attachment["download"], viewer)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4\n"
    assert call(client, "delete", f"/pipeline/attachments/{attachment['id']}", viewer).status_code == 403
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    assert call(client, "get", attachment["download"], outsider).status_code == 404
    deleted = call(client, "delete", f"/pipeline/attachments/{attachment['id']}", world.token)
    assert deleted.status_code == 200 and deleted.json() == {"id": attachment["id"], "deleted": True}
    assert AuditLog.objects.filter(object_type="pipeline.stepattachment", event=Event.DELETE).exists()
    assert call(client, "get", attachment["download"], world.token).status_code == 404


def test_attachment_upload_errors_are_field_level(client, world, media):
    file = world.open(APPLIED)
    bad = _upload(client, world.token, file, 1, content=b"<html>", name="x.pdf")
    assert bad.status_code == 422 and bad.json()["errors"] == {"file": ["只能上传 JPEG、PNG 图片或 PDF 文件。"]}
    missing = call(client, "post", f"/pipeline/files/{file.pk}/steps/{file.steps.get().pk}/attachments",
                   world.token, body={})
    assert missing.status_code == 422 and "file" in missing.json()["errors"]
    other = world.open(APPLIED, person=world.candidate(name="别人"))
    wrong_step = call(client, "post", f"/pipeline/files/{file.pk}/steps/{other.steps.get().pk}/attachments",
                      world.token, files={"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4\n")})
    assert wrong_step.status_code == 404


# --- document templates (系统管理员) --------------------------------------------------------------------

@pytest.fixture
def admin_token(db):
    from dangjian.accounts.models import AdminRole

    return token_for(make_user(admin_role=AdminRole.SYSTEM))


def test_the_system_administrator_replaces_downloads_and_reverts_a_template(client, admin_token):
    import io

    from docx import Document

    from dangjian.pipeline.models import DocumentTemplate

    listed = call(client, "get", "/api/pipeline/templates", admin_token).json()
    talk = next(t for t in listed if t["kind"] == "talk")
    assert talk["custom"] is False and "talker" in talk["fields"] and talk["needs_step"] == 2

    upload = SimpleUploadedFile("本校谈话记录.docx", custom_docx("本校谈话记录：{{name}}"))
    response = call(client, "post", "/api/pipeline/templates/talk", admin_token, files={"file": upload})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["custom"] is True and body["original_name"] == "本校谈话记录.docx"
    assert "talker" in body["unused"] and "name" not in body["unused"]
    assert DocumentTemplate.objects.get(kind="talk").original_name == "本校谈话记录.docx"
    audit = AuditLog.objects.filter(object_type="pipeline.documenttemplate").latest("id")
    assert audit.changes["template"] == {"before": "默认模板", "after": "本校谈话记录.docx"}

    response = call(client, "get", "/api/pipeline/templates/talk/file", admin_token)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert "本校谈话记录" in Document(io.BytesIO(b"".join(response.streaming_content)
                                               if response.streaming else response.content)).paragraphs[0].text

    assert call(client, "delete", "/api/pipeline/templates/talk", admin_token).json() == {"kind": "talk",
                                                                                           "reverted": True}
    assert not DocumentTemplate.objects.exists()
    assert call(client, "delete", "/api/pipeline/templates/talk", admin_token).json()["reverted"] is False


@pytest.mark.parametrize("data, message", [
    (b"%PDF-1.4 not a word file", "不是有效的 Word 文件"),
    ("{{name}} {{salary}}", "无法识别的字段：{{salary}}"),
])
def test_a_bad_template_upload_changes_nothing(client, admin_token, data, message):
    from dangjian.pipeline.models import DocumentTemplate

    call(client, "post", "/api/pipeline/templates/talk", admin_token,
         files={"file": SimpleUploadedFile("第一版.docx", custom_docx("第一版：{{name}}"))})
    before = (list(DocumentTemplate.objects.values_list("file", "original_name")), AuditLog.objects.count())
    data = custom_docx(data) if isinstance(data, str) else data
    response = call(client, "post", "/api/pipeline/templates/talk", admin_token,
                    files={"file": SimpleUploadedFile("坏文件.docx", data)})
    assert response.status_code in (400, 422)
    payload = response.json()
    assert message in str(payload["errors"]["file"])
    assert (list(DocumentTemplate.objects.values_list("file", "original_name")), AuditLog.objects.count()) == before


def test_an_unknown_template_kind_is_404_with_a_chinese_message(client, admin_token):
    response = call(client, "post", "/api/pipeline/templates/salary", admin_token,
                    files={"file": SimpleUploadedFile("x.docx", custom_docx("{{name}}"))})
    assert response.status_code == 404
    assert response.json()["errors"] == {"kind": ["未知的文书类型。"]}
    assert call(client, "delete", "/api/pipeline/templates/salary", admin_token).status_code == 404
