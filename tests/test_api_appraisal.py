"""述职评议 over the API: scoring a report goes through the score page's service (services.sheet_save) with the
same bounds, the same scorers (the level above), the same audit rows; bad input changes nothing."""

import pytest

from dangjian.appraisal import services
from dangjian.appraisal.models import Mark, Sheet
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from tests.factories import make_user
from tests.test_api_permissions import call, token_for
from tests.test_appraisal_scoring import ITEMS, report

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
