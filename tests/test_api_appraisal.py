"""述职评议 over the API: every write goes through the page's service (services.form_save, form_delete, report_save,
report_delete, report_attach, sheet_save) with the same bounds, the same scope (404 outside, 403 read-only), the same
refusals (409 once reports exist / scoring started) and the same audit rows; bad input changes nothing."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dangjian.appraisal import services
from dangjian.appraisal.models import Attachment, Item, Mark, Report, ScoringForm, Sheet
from dangjian.core.models import AuditLog
from dangjian.orgs.models import CommitteePost, Role
from tests.factories import make_person, make_user
from tests.test_api_permissions import call, token_for
from tests.test_appraisal_scoring import ITEMS, report, secretary_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def scoring(tree):
    """The area's form; the report of school_a; a secretary of the area (the level above) scores it."""
    boss = make_user(role=Role.SECRETARY, org=tree["area"])
    form = services.form_save(actor=boss, org=tree["area"], year=2025, title="书记述职评分表", items=ITEMS)
    items = list(form.items.all())
    return {"boss": boss, "token": token_for(boss), "form": form, "items": items,
            "report": report(form, tree["school_a"])}


def sheet_path(r):
    return f"/appraisal/reports/{r.pk}/sheet"


def body(items, *scores, comment="工作扎实"):
    return {"marks": {str(i.pk): s for i, s in zip(items, scores)}, "comment": comment}


def test_first_score_creates_the_sheet_and_a_second_changes_it(client, scoring):
    s = scoring
    response = call(client, "put", sheet_path(s["report"]), s["token"], body=body(s["items"], "55.5", 38))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["total"] == "93.5" and data["comment"] == "工作扎实" and data["scorer"] == s["boss"].username
    assert [(m["item"], m["score"]) for m in data["marks"]] == [("落实三会一课", "55.5"), ("党员教育管理", "38.0")]
    assert data["result"]["average"] == "93.5" and data["result"]["rank"] == 1 and data["result"]["grade"] == "好"
    sheet = Sheet.objects.get()
    assert data["id"] == sheet.pk and AuditLog.objects.filter(object_type="appraisal.sheet", event="create").exists()
    # The report now shows the score, as on the page.
    detail = call(client, "get", f"/appraisal/reports/{s['report'].pk}", s["token"]).json()
    assert detail["result"]["scorers"] == 1 and detail["sheets"][0]["total"] == "93.5"
    again = call(client, "put", sheet_path(s["report"]), s["token"], body=body(s["items"], 40, 30, comment=""))
    assert again.status_code == 200 and again.json()["total"] == "70.0" and again.json()["id"] == sheet.pk
    assert Sheet.objects.count() == 1
    update = AuditLog.objects.get(object_type="appraisal.sheet", event="update")
    assert update.changes["before"]["落实三会一课"] == "55.5" and update.changes["after"]["落实三会一课"] == "40.0"


@pytest.mark.parametrize("scores, message", [
    (("61", "10"), "“落实三会一课”须在0至60.0之间。"),
    ((-1, "10"), "“落实三会一课”须在0至60.0之间。"),
    (("10.25", "10"), "“落实三会一课”最多保留一位小数。"),
    (("十分", "10"), "“落实三会一课”须为数字。"),
    (("", "10"), "请为“落实三会一课”评分。"),
])
def test_a_bad_score_is_422_on_its_item_and_nothing_is_saved(client, scoring, scores, message):
    s = scoring
    response = call(client, "put", sheet_path(s["report"]), s["token"], body=body(s["items"], *scores))
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == {f"marks.{s['items'][0].pk}": [message]}
    assert not Sheet.objects.exists() and not Mark.objects.exists()


def test_missing_items_unknown_items_and_bad_fields_are_refused(client, scoring):
    s = scoring
    first, second = s["items"]
    missing = call(client, "put", sheet_path(s["report"]), s["token"], body={"marks": {str(first.pk): 50}})
    assert missing.status_code == 422
    assert missing.json()["errors"] == {f"marks.{second.pk}": ["请为“党员教育管理”评分。"]}
    other_form = services.form_save(actor=s["boss"], org=s["form"].org, year=2026, title="次年评分表", items=ITEMS)
    stranger = other_form.items.first()
    unknown = call(client, "put", sheet_path(s["report"]), s["token"],
                   body={"marks": {str(first.pk): 50, str(second.pk): 30, str(stranger.pk): 10}})
    assert unknown.status_code == 422 and unknown.json()["errors"]["__all__"] == ["评分项目不属于该评分表。"]
    too_long = call(client, "put", sheet_path(s["report"]), s["token"],
                    body={**body(s["items"], 50, 30), "comment": "很" * 501})
    assert too_long.status_code == 422 and too_long.json()["errors"] == {"comment": ["不能超过500个字符。"]}
    no_marks = call(client, "put", sheet_path(s["report"]), s["token"], body={"comment": "好"})
    assert no_marks.status_code == 422 and no_marks.json()["errors"] == {"marks": ["此项为必填项。"]}
    assert not Sheet.objects.exists()


def test_only_the_level_above_scores(client, tree, scoring):
    s = scoring
    scores = body(s["items"], 50, 30)
    # The reporting organisation's own secretary reads the report but may not score it (403).
    own = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    assert call(client, "get", f"/appraisal/reports/{s['report'].pk}", own).status_code == 200
    assert call(client, "put", sheet_path(s["report"]), own, body=scores).status_code == 403
    # A reader of the area (viewer) reads it but may not score it either.
    viewer = token_for(make_user(role=Role.VIEWER, org=tree["area"]))
    forbidden = call(client, "put", sheet_path(s["report"]), viewer, body=scores)
    assert forbidden.status_code == 403 and forbidden.json()["detail"] == "您没有执行此操作的权限。"
    # Another school's secretary does not see it at all.
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    assert call(client, "put", sheet_path(s["report"]), outsider, body=scores).status_code == 404
    assert call(client, "put", "/appraisal/reports/999999/sheet", s["token"], body=scores).status_code == 404
    assert not Sheet.objects.exists()


# --- scoring forms: create, edit, delete -----------------------------------------------------


def form_state():
    """Everything a refused write must leave as it was."""
    return (list(ScoringForm.objects.order_by("id").values_list("id", "org_id", "year", "title")),
            list(Item.objects.order_by("id").values_list("id", "form_id", "name", "max_score", "guidance", "order")),
            AuditLog.objects.filter(object_type="appraisal.scoringform").exclude(event="denied").count())


def new_form_body(org, **changes):
    return {"org": getattr(org, "pk", org), "year": 2024, "title": "书记抓党建述职评分表",
            "items": [{"name": "落实三会一课", "max_score": 60, "guidance": "按时召开"},
                      {"name": "党员教育管理", "max_score": "40"}], **changes}


def test_a_form_is_created_with_its_items_and_audited(client, tree):
    token = token_for(make_user(role=Role.ORG_ADMIN, org=tree["area"]))
    response = call(client, "post", "/appraisal/forms", token, body=new_form_body(tree["area"]))
    assert response.status_code == 201, response.content
    data = response.json()
    form = ScoringForm.objects.get()
    assert data["id"] == form.pk and data["org"]["id"] == tree["area"].pk and data["year"] == 2024
    assert [(i["name"], i["max_score"], i["guidance"]) for i in data["items"]] == [
        ("落实三会一课", "60.0", "按时召开"), ("党员教育管理", "40.0", "")]
    assert data["full_marks"] == "100.0" and data["ranking"] == []
    assert list(form.items.values_list("name", flat=True)) == ["落实三会一课", "党员教育管理"]
    row = AuditLog.objects.get(object_type="appraisal.scoringform", event="create")
    assert row.changes["after"]["items"] == ["落实三会一课（60.0分）", "党员教育管理（40.0分）"]
    # A second form for the same organisation and year conflicts (409), as on the page.
    before = form_state()
    again = call(client, "post", "/appraisal/forms", token, body=new_form_body(tree["area"], title="另一份"))
    assert again.status_code == 409 and again.json()["errors"] == {"year": ["该组织本年度已有述职评议评分表。"]}
    assert form_state() == before


@pytest.mark.parametrize("changes, errors", [
    ({"items": []}, {"items": ["请至少填写一个评分项目。"]}),
    ({"items": [{"name": "甲", "max_score": 50}, {"name": "甲", "max_score": 50}]}, {"items": ["评分项目“甲”重复。"]}),
    ({"items": [{"name": "甲", "max_score": 0}]}, {"items": ["“第1项“甲”的满分”须在0.1至100之间。"]}),
    ({"items": [{"name": "甲", "max_score": "12.34"}]}, {"items": ["“第1项“甲”的满分”最多保留一位小数。"]}),
    ({"items": [{"name": " ", "max_score": 10}]}, {"items": ["请填写第1项的名称。"]}),
    ({"items": [{"name": "甲", "max_score": 10, "weight": 1}]}, {"items.0.weight": ["不支持此字段。"]}),
    ({"title": ""}, {"title": ["请填写名称。"]}),
    ({"year": 1999}, {"year": ["不能小于2000。"]}),
    ({"year": "今年"}, {"year": ["应为整数。"]}),
    ({"colour": "红"}, {"colour": ["不支持此字段。"]}),
])
def test_a_bad_form_is_422_on_its_field_and_nothing_is_saved(client, tree, changes, errors):
    token = token_for(make_user(role=Role.SECRETARY, org=tree["area"]))
    before = form_state()
    response = call(client, "post", "/appraisal/forms", token, body=new_form_body(tree["area"], **changes))
    assert response.status_code == 422, response.content
    assert response.json()["errors"] == errors
    assert form_state() == before


def test_a_form_year_after_next_year_and_a_form_outside_the_scope_are_refused(client, tree):
    token = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    before = form_state()
    late = timezone.localdate().year + 2
    response = call(client, "post", "/appraisal/forms", token, body=new_form_body(tree["school_a"], year=late))
    assert response.status_code == 422 and list(response.json()["errors"]) == ["year"]
    # Another school, or the area above: not the secretary's to issue for.
    outside = call(client, "post", "/appraisal/forms", token, body=new_form_body(tree["school_b"]))
    assert outside.status_code == 422 and outside.json()["errors"] == {"org": ["不存在或无权访问。"]}
    unknown = call(client, "post", "/appraisal/forms", token, body=new_form_body(10**9))
    assert unknown.status_code == 422 and unknown.json()["errors"] == {"org": ["不存在或无权访问。"]}
    # Read-only roles (the page's "new form" is refused them too): 403.
    for role in (Role.VIEWER, Role.DISCIPLINE):
        reader = token_for(make_user(role=role, org=tree["area"]))
        assert call(client, "post", "/appraisal/forms", reader,
                    body=new_form_body(tree["school_a"])).status_code == 403
    assert form_state() == before


def form_path(form):
    return f"/appraisal/forms/{form.pk}"


def test_a_form_is_edited_and_its_items_are_fixed_once_scoring_starts(client, tree, scoring):
    s = scoring
    title = call(client, "patch", form_path(s["form"]), s["token"], body={"title": "2025年度书记述职评分表"})
    assert title.status_code == 200, title.content
    assert title.json()["title"] == "2025年度书记述职评分表" and len(title.json()["items"]) == 2
    assert [(i.name, str(i.max_score)) for i in s["form"].items.all()] == [("落实三会一课", "60.0"),
                                                                            ("党员教育管理", "40.0")]
    row = AuditLog.objects.get(object_type="appraisal.scoringform", event="update")
    assert row.changes["before"]["title"] == "书记述职评分表" and row.changes["after"]["title"] == "2025年度书记述职评分表"
    # Before anyone scores, the items may change (a report exists; that does not fix them).
    items = [{"name": "落实三会一课", "max_score": 50}, {"name": "党员教育管理", "max_score": 30},
             {"name": "意识形态工作", "max_score": 20, "guidance": "阵地管理"}]
    changed = call(client, "patch", form_path(s["form"]), s["token"], body={"items": items})
    assert changed.status_code == 200 and changed.json()["full_marks"] == "100.0"
    assert list(s["form"].items.values_list("name", flat=True)) == ["落实三会一课", "党员教育管理", "意识形态工作"]
    new_items = list(s["form"].items.all())
    services.sheet_save(actor=s["boss"], report=s["report"], marks={i.pk: 10 for i in new_items})
    before = form_state()
    refused = call(client, "patch", form_path(s["form"]), s["token"],
                   body={"title": "改名", "items": items[:2]})
    assert refused.status_code == 409, refused.content
    assert refused.json()["errors"] == {"items": ["已开始评分，评分项目不能再修改。"]}
    assert form_state() == before
    # The same items (and only the title) may still be saved, as on the edit page.
    same = call(client, "patch", form_path(s["form"]), s["token"], body={"title": "改名", "items": items})
    assert same.status_code == 200 and same.json()["title"] == "改名"
    assert [i.pk for i in s["form"].items.all()] == [i.pk for i in new_items]


def test_a_bad_form_edit_changes_nothing(client, scoring):
    s = scoring
    before = form_state()
    for body, errors in (({"title": ""}, {"title": ["请填写名称。"]}),
                         ({"items": []}, {"items": ["请至少填写一个评分项目。"]}),
                         ({"items": [{"name": "甲", "max_score": 101}]}, {"items": ["“第1项“甲”的满分”须在0.1至100之间。"]}),
                         ({"year": 2026}, {"year": ["不支持此字段。"]}),
                         ({"title": None}, {"title": ["应为文本。"]})):
        response = call(client, "patch", form_path(s["form"]), s["token"], body=body)
        assert response.status_code == 422 and response.json()["errors"] == errors, (body, response.content)
    assert form_state() == before


def test_form_edit_and_delete_are_404_outside_the_scope_and_403_for_readers(client, tree, scoring):
    s = scoring
    foreign = services.form_save(actor=None, org=tree["school_b"], year=2025, title="城南评分表", items=ITEMS)
    school_a = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    before = form_state()
    for method, body in (("patch", {"title": "改名"}), ("delete", None)):
        # school_b's form is not visible to school_a (404); the area's form is (it reaches school_a) but only the
        # area's writers may change it (403); the area's viewer reads it but may not change it (403).
        assert call(client, method, form_path(foreign), school_a, body=body).status_code == 404
        assert call(client, method, "/appraisal/forms/999999", s["token"], body=body).status_code == 404
        assert call(client, method, form_path(s["form"]), school_a, body=body).status_code == 403
        viewer = token_for(make_user(role=Role.VIEWER, org=tree["area"]))
        assert call(client, method, form_path(s["form"]), viewer, body=body).status_code == 403
        member = token_for(make_user(role=Role.MEMBER, org=tree["area"]))
        assert call(client, method, form_path(s["form"]), member, body=body).status_code == 404
    assert form_state() == before


def test_a_form_is_deleted_only_while_no_report_exists(client, tree, scoring):
    s = scoring
    before = form_state()
    refused = call(client, "delete", form_path(s["form"]), s["token"])
    assert refused.status_code == 409, refused.content
    assert refused.json()["errors"] == {"__all__": ["已有述职报告提交，不能删除评分表。"]}
    assert form_state() == before
    spare = services.form_save(actor=s["boss"], org=tree["area"], year=2024, title="上年度评分表", items=ITEMS)
    deleted = call(client, "delete", form_path(spare), s["token"])
    assert deleted.status_code == 200 and deleted.json() == {"id": spare.pk, "deleted": True}
    assert not ScoringForm.objects.filter(pk=spare.pk).exists() and not Item.objects.filter(form_id=spare.pk).exists()
    row = AuditLog.objects.get(object_type="appraisal.scoringform", event="delete", object_id=str(spare.pk))
    assert row.changes["before"]["title"] == "上年度评分表"


# --- reports: list, submit, edit, delete -----------------------------------------------------


def report_state():
    return (list(Report.objects.order_by("id").values_list("id", "form_id", "org_id", "person_id", "text")),
            list(Attachment.objects.order_by("id").values_list("id", "report_id", "original_name")),
            AuditLog.objects.filter(object_type="appraisal.report").exclude(event="denied").count())


def test_reports_are_listed_in_the_scope_with_filters_and_pages(client, tree, scoring):
    s = scoring
    second = report(s["form"], tree["school_b"])
    services.sheet_save(actor=s["boss"], report=s["report"], marks={s["items"][0].pk: "55", s["items"][1].pk: 30})
    other = services.form_save(actor=None, org=tree["school_a"], year=2025, title="支部书记述职", items=ITEMS)
    third = report(other, tree["branch_a1"])
    listed = call(client, "get", "/appraisal/reports", s["token"])
    assert listed.status_code == 200, listed.content
    data = listed.json()
    assert data["count"] == 3 and {r["id"] for r in data["items"]} == {s["report"].pk, second.pk, third.pk}
    row = next(r for r in data["items"] if r["id"] == s["report"].pk)
    assert row["scorers"] == 1 and row["average"] == "85.0" and row["form"]["id"] == s["form"].pk
    assert row["org"]["id"] == tree["school_a"].pk and row["attachments"] == 0
    assert next(r for r in data["items"] if r["id"] == second.pk)["average"] is None
    by_form = call(client, "get", "/appraisal/reports", s["token"], params={"form": other.pk}).json()
    assert [r["id"] for r in by_form["items"]] == [third.pk]
    by_org = call(client, "get", "/appraisal/reports", s["token"], params={"org": tree["school_a"].pk}).json()
    assert {r["id"] for r in by_org["items"]} == {s["report"].pk, third.pk}
    paged = call(client, "get", "/appraisal/reports", s["token"], params={"limit": 1, "offset": 1}).json()
    assert paged["count"] == 3 and len(paged["items"]) == 1 and paged["offset"] == 1
    # school_b's secretary sees only school_b's report; school_a's organisation and form are 404 to it.
    own = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    assert [r["id"] for r in call(client, "get", "/appraisal/reports", own).json()["items"]] == [second.pk]
    assert call(client, "get", "/appraisal/reports", own, params={"org": tree["school_a"].pk}).status_code == 404
    assert call(client, "get", "/appraisal/reports", own, params={"form": other.pk}).status_code == 404
    assert call(client, "get", "/appraisal/reports", own, params={"org": "x"}).status_code == 400
    member = token_for(make_user(role=Role.MEMBER, org=tree["school_a"]))
    assert call(client, "get", "/appraisal/reports", member).status_code == 403


def reports_path(form):
    return f"/appraisal/forms/{form.pk}/reports"


def test_a_report_is_submitted_for_an_organisation_below_the_issuer(client, tree, scoring):
    s = scoring
    writer = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    person = secretary_of(tree["school_b"])
    response = call(client, "post", reports_path(s["form"]), writer,
                    body={"org": tree["school_b"].pk, "person": person.pk, "text": "一年来抓党建工作情况"})
    assert response.status_code == 201, response.content
    data = response.json()
    created = Report.objects.get(pk=data["id"])
    assert (created.form_id, created.org_id, created.person_id) == (s["form"].pk, tree["school_b"].pk, person.pk)
    assert data["text"] == "一年来抓党建工作情况" and data["attachments"] == [] and data["result"]["scorers"] == 0
    assert data["sheets"] is None        # school_b's secretary is not the level above
    row = AuditLog.objects.get(object_type="appraisal.report", event="create", object_id=str(created.pk))
    assert row.changes["after"]["person"] == person.name
    before = report_state()
    again = call(client, "post", reports_path(s["form"]), writer,
                 body={"org": tree["school_b"].pk, "person": person.pk, "text": "再交一份"})
    assert again.status_code == 409 and again.json()["errors"] == {"org": ["该组织已提交本年度述职报告。"]}
    assert report_state() == before


def test_a_bad_report_is_refused_and_nothing_is_saved(client, tree, scoring):
    s = scoring
    writer = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    secretary = secretary_of(tree["branch_a1"])
    plain = make_person(tree["branch_a1"])
    ok = {"org": tree["branch_a1"].pk, "person": secretary.pk, "text": "述职"}
    before = report_state()
    for body, errors in (
        ({**ok, "person": plain.pk}, {"person": ["述职书记须是实验中学第一党支部现任的书记或副书记。"]}),
        ({**ok, "person": secretary_of(tree["branch_a2"]).pk}, {"person": ["述职书记须是实验中学第一党支部现任的书记或副书记。"]}),
        ({**ok, "org": tree["group_a1"].pk}, {"org": ["述职组织须是第一片区党委未撤销的下级党组织（党小组除外）。"]}),
        ({**ok, "org": tree["school_b"].pk}, {"org": ["不存在或无权访问。"]}),
        ({**ok, "text": "  "}, {"text": ["请填写述职报告。"]}),
        ({**ok, "text": "字" * 20001}, {"text": ["不能超过20000个字符。"]}),
        ({"org": tree["branch_a1"].pk, "text": "述职"}, {"person": ["此项为必填项。"]}),
        ({**ok, "submitted_on": "2025-01-01"}, {"submitted_on": ["不支持此字段。"]}),
    ):
        response = call(client, "post", reports_path(s["form"]), writer, body=body)
        assert response.status_code == 422, (body, response.content)
        assert response.json()["errors"] == errors
    # The issuer itself does not report on its own form (the area's secretary may write the area).
    issuer = call(client, "post", reports_path(s["form"]), s["token"],
                  body={"org": tree["area"].pk, "person": secretary_of(tree["area"]).pk, "text": "述职"})
    assert issuer.status_code == 422 and list(issuer.json()["errors"]) == ["org"]
    assert report_state() == before


def test_submitting_is_404_outside_the_scope_and_403_for_readers(client, tree, scoring):
    s = scoring
    foreign = services.form_save(actor=None, org=tree["school_b"], year=2025, title="城南评分表", items=ITEMS)
    writer = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    body = {"org": tree["branch_a1"].pk, "person": secretary_of(tree["branch_a1"]).pk, "text": "述职"}
    before = report_state()
    assert call(client, "post", reports_path(foreign), writer, body=body).status_code == 404
    assert call(client, "post", "/appraisal/forms/999999/reports", writer, body=body).status_code == 404
    for role in (Role.VIEWER, Role.DISCIPLINE):
        reader = token_for(make_user(role=role, org=tree["school_a"]))
        response = call(client, "post", reports_path(s["form"]), reader, body=body)
        assert response.status_code == 403 and response.json()["detail"] == "您没有执行此操作的权限。"
    # A writer of school_a naming an organisation it can read but not write (the viewer's scope is not enough).
    mixed = make_user(role=Role.SECRETARY, org=tree["branch_a1"])
    from dangjian.orgs.models import RoleAssignment
    RoleAssignment.objects.create(user=mixed, org=tree["branch_a2"], role=Role.VIEWER)
    response = call(client, "post", reports_path(s["form"]), token_for(mixed),
                    body={**body, "org": tree["branch_a2"].pk})
    assert response.status_code == 403
    assert report_state() == before


def report_path(r):
    return f"/appraisal/reports/{r.pk}"


def test_a_report_is_edited_until_scoring_starts(client, tree, scoring):
    s = scoring
    writer = token_for(make_user(role=Role.ORG_ADMIN, org=tree["school_a"]))
    deputy = make_person(tree["school_a"])
    CommitteePost.objects.create(org=tree["school_a"], person=deputy, post="deputy", started_on=date(2021, 1, 1))
    response = call(client, "patch", report_path(s["report"]), writer, body={"text": "修改后的述职报告"})
    assert response.status_code == 200, response.content
    assert response.json()["text"] == "修改后的述职报告" and response.json()["person"]["id"] == s["report"].person_id
    changed = call(client, "patch", report_path(s["report"]), writer, body={"person": deputy.pk})
    assert changed.status_code == 200 and changed.json()["person"]["id"] == deputy.pk
    rows = AuditLog.objects.filter(object_type="appraisal.report", event="update").order_by("id")
    assert [r.changes["after"]["text"] for r in rows] == ["修改后的述职报告", "修改后的述职报告"]
    assert rows[1].changes["after"]["person"] == deputy.name
    before = report_state()
    for body, errors in (({"person": make_person(tree["school_a"]).pk},
                          {"person": ["述职书记须是实验中学党总支现任的书记或副书记。"]}),
                         ({"text": ""}, {"text": ["请填写述职报告。"]}),
                         ({"org": tree["branch_a1"].pk}, {"org": ["不支持此字段。"]})):
        bad = call(client, "patch", report_path(s["report"]), writer, body=body)
        assert bad.status_code == 422 and bad.json()["errors"] == errors, (body, bad.content)
    assert report_state() == before
    services.sheet_save(actor=s["boss"], report=s["report"], marks={i.pk: 10 for i in s["items"]})
    before = report_state()
    refused = call(client, "patch", report_path(s["report"]), writer, body={"text": "评分后再改"})
    assert refused.status_code == 409, refused.content
    assert refused.json()["errors"] == {"__all__": ["已开始评分，述职报告不能再修改。"]}
    assert report_state() == before


def test_a_report_is_deleted_until_scoring_starts(client, tree, scoring):
    s = scoring
    writer = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    services.report_attach(actor=None, report=s["report"], upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 a"))
    stored = Attachment.objects.get().file.path
    scored = report(s["form"], tree["school_b"])
    services.sheet_save(actor=s["boss"], report=scored, marks={i.pk: 10 for i in s["items"]})
    before = report_state()
    refused = call(client, "delete", report_path(scored), token_for(make_user(role=Role.SECRETARY,
                                                                              org=tree["school_b"])))
    assert refused.status_code == 409 and refused.json()["errors"] == {"__all__": ["已开始评分，述职报告不能删除。"]}
    assert report_state() == before
    deleted = call(client, "delete", report_path(s["report"]), writer)
    assert deleted.status_code == 200 and deleted.json() == {"id": s["report"].pk, "deleted": True}
    assert not Report.objects.filter(pk=s["report"].pk).exists() and not Attachment.objects.exists()
    import os
    assert not os.path.exists(stored)
    row = AuditLog.objects.get(object_type="appraisal.report", event="delete", object_id=str(s["report"].pk))
    assert row.changes["before"]["attachments"] == ["a.pdf"]


def test_report_edit_and_delete_are_404_outside_the_scope_and_403_for_readers(client, tree, scoring):
    s = scoring
    before = report_state()
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    for method, body in (("patch", {"text": "改"}), ("delete", None)):
        assert call(client, method, report_path(s["report"]), outsider, body=body).status_code == 404
        assert call(client, method, "/appraisal/reports/999999", s["token"], body=body).status_code == 404
        for role, org in ((Role.VIEWER, "school_a"), (Role.DISCIPLINE, "area"), (Role.VIEWER, "area")):
            reader = token_for(make_user(role=role, org=tree[org]))
            assert call(client, method, report_path(s["report"]), reader, body=body).status_code == 403
        member = token_for(make_user(role=Role.MEMBER, org=tree["school_a"]))
        assert call(client, method, report_path(s["report"]), member, body=body).status_code == 404
    assert report_state() == before
    assert AuditLog.objects.filter(event="denied", object_type="appraisal.report").exists()


# --- attachments -----------------------------------------------------------------------------


def attachments_path(r):
    return f"/appraisal/reports/{r.pk}/attachments"


def upload(name="述职材料.pdf", content=b"%PDF-1.4 report", content_type="application/pdf"):
    return {"file": SimpleUploadedFile(name, content, content_type=content_type)}


def test_an_attachment_is_uploaded_listed_and_downloaded(client, tree, scoring):
    s = scoring
    writer = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    response = call(client, "post", attachments_path(s["report"]), writer, files=upload())
    assert response.status_code == 201, response.content
    data = response.json()
    attachment = Attachment.objects.get()
    assert data["id"] == attachment.pk and data["name"] == "述职材料.pdf" and data["report_id"] == s["report"].pk
    assert data["content_type"] == "application/pdf" and data["size"] == len(b"%PDF-1.4 report")
    row = AuditLog.objects.get(object_type="appraisal.report", event="update")
    assert row.changes["before"]["attachments"] == [] and row.changes["after"]["attachments"] == ["述职材料.pdf"]
    detail = call(client, "get", report_path(s["report"]), writer).json()
    assert detail["attachments"] == [data]
    listed = call(client, "get", "/appraisal/reports", writer).json()
    assert listed["items"][0]["attachments"] == 1
    # Anyone who reads the report downloads it (the area's viewer too), as a download.
    viewer = token_for(make_user(role=Role.VIEWER, org=tree["area"]))
    file = call(client, "get", data["download"], viewer)
    assert file.status_code == 200 and b"".join(file.streaming_content) == b"%PDF-1.4 report"
    assert file["Content-Type"] == "application/pdf" and file["Content-Disposition"].startswith("attachment")


def test_a_bad_attachment_is_refused_and_nothing_is_stored(client, tree, scoring, settings):
    s = scoring
    writer = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    before = report_state()
    for files, message in ((upload("a.pdf", b"MZ not a pdf"), "只能上传 JPEG、PNG 图片或 PDF 文件。"),
                           (upload("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)), "文件不能超过 10 MB。"),
                           (upload("a.pdf", b""), None)):
        response = call(client, "post", attachments_path(s["report"]), writer, files=files)
        assert response.status_code == 422, response.content
        errors = response.json()["errors"]
        assert list(errors) == ["file"] and (message is None or errors["file"] == [message])
    missing = call(client, "post", attachments_path(s["report"]), writer, files={})
    assert missing.status_code == 422 and missing.json()["errors"] == {"file": ["此项为必填项。"]}
    assert report_state() == before
    media = settings.MEDIA_ROOT / "appraisal"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_attachments_are_refused_once_scoring_starts_and_outside_the_scope(client, tree, scoring):
    s = scoring
    writer = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    before = report_state()
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    assert call(client, "post", attachments_path(s["report"]), outsider, files=upload()).status_code == 404
    for role, org in ((Role.VIEWER, "school_a"), (Role.DISCIPLINE, "school_a"), (Role.VIEWER, "area")):
        reader = token_for(make_user(role=role, org=tree[org]))
        assert call(client, "post", attachments_path(s["report"]), reader, files=upload()).status_code == 403
    assert report_state() == before
    services.sheet_save(actor=s["boss"], report=s["report"], marks={i.pk: 10 for i in s["items"]})
    refused = call(client, "post", attachments_path(s["report"]), writer, files=upload())
    assert refused.status_code == 409 and refused.json()["errors"] == {"__all__": ["已开始评分，述职报告不能再修改。"]}
    assert report_state() == before


def test_an_attachment_downloads_only_through_its_own_visible_report(client, tree, scoring):
    s = scoring
    mine = services.report_attach(actor=None, report=s["report"], upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 a"))
    other_report = report(s["form"], tree["school_b"])
    theirs = services.report_attach(actor=None, report=other_report, upload=SimpleUploadedFile("b.pdf", b"%PDF-1.4 b"))
    school_a = token_for(make_user(role=Role.VIEWER, org=tree["school_a"]))
    path = f"/appraisal/reports/{s['report'].pk}/attachments/{mine.pk}"
    assert call(client, "get", path, school_a).status_code == 200
    # school_b's report is outside school_a's scope; its file is not reachable through school_a's report either.
    assert call(client, "get", f"/appraisal/reports/{other_report.pk}/attachments/{theirs.pk}",
                school_a).status_code == 404
    assert call(client, "get", f"/appraisal/reports/{s['report'].pk}/attachments/{theirs.pk}",
                school_a).status_code == 404
    assert call(client, "get", f"/appraisal/reports/{s['report'].pk}/attachments/999999", school_a).status_code == 404
    member = token_for(make_user(role=Role.MEMBER, org=tree["school_a"]))
    assert call(client, "get", path, member).status_code == 404
    assert call(client, "get", path).status_code == 401
