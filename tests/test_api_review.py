"""民主评议 API writes: the committee's grades (tally page's service: only in 支委评定, the 优秀 share, audited) and
the staff codes (codes page's service: returned once, digests stored) — writers of the round's branch only."""

import pytest

from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.review import services
from dangjian.review.models import Grade, StaffCode
from tests.factories import make_person, make_user
from tests.test_api_permissions import call, token_for
from tests.test_review_flow import branch_with_members, open_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(tree):
    org = tree["branch_a1"]
    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    members = branch_with_members(org, 10)
    r = open_round(secretary, org)
    return {"round": r, "secretary": secretary, "token": token_for(secretary), "members": members, "tree": tree}


def test_grades_only_in_the_committee_stage_then_saved_and_audited(client, setup):
    r, token = setup["round"], setup["token"]
    first, second = setup["members"][0][0], setup["members"][1][0]
    url = f"/review/rounds/{r.pk}/grades"
    body = {"grades": [{"person": first.pk, "proposed": "excellent", "final": "excellent"}]}
    early = call(client, "post", url, token, body=body)
    assert early.status_code == 422 and early.json()["detail"] == "只有在支委评定阶段可以评定等次。"
    services.round_to_committee(actor=setup["secretary"], round=r)
    response = call(client, "post", url, token, body={**body, "grades": [
        *body["grades"], {"person": second.pk, "final": "qualified"}]})
    assert response.status_code == 200 and response.json() == {"changed": 2}
    subject = r.subjects.get(person=first)
    assert (subject.proposed_grade, subject.final_grade) == (Grade.EXCELLENT, Grade.EXCELLENT)
    assert AuditLog.objects.filter(object_type="review.grades").count() == 1
    results = call(client, "get", f"/review/rounds/{r.pk}/results", token).json()
    assert {m["person"]["id"]: m["final_grade"] for m in results["members"]}[first.pk] == "excellent"
    cleared = call(client, "post", url, token, body={"grades": [], "clear": [second.pk]})
    assert cleared.json() == {"changed": 1} and r.subjects.get(person=second).final_grade == ""


def test_grade_errors_are_field_level_and_change_nothing(client, setup, tree):
    r, token = setup["round"], setup["token"]
    services.round_to_committee(actor=setup["secretary"], round=r)
    url = f"/review/rounds/{r.pk}/grades"
    everyone = [{"person": p.pk, "final": "excellent"} for p, _ in setup["members"]]
    too_many = call(client, "post", url, token, body={"grades": everyone})
    assert too_many.status_code == 422 and "超过参评党员" in too_many.json()["errors"]["final"][0]
    stranger = make_person(tree["branch_a2"])
    unknown = call(client, "post", url, token, body={"grades": [{"person": stranger.pk, "final": "qualified"}]})
    assert unknown.status_code == 422 and "不在本次评议的参评名单中" in unknown.json()["errors"]["grades"][0]
    bad = call(client, "post", url, token, body={"grades": [{"person": stranger.pk, "final": "great"}]})
    assert bad.status_code == 422 and "grades.0.final" in bad.json()["errors"]
    assert not r.subjects.exclude(final_grade="").exists()
    viewer = token_for(make_user(role=Role.VIEWER, org=tree["school_a"]))
    assert call(client, "post", url, viewer, body={"grades": []}).status_code == 403
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    assert call(client, "post", url, outsider, body={"grades": []}).status_code == 404


def test_staff_codes_returned_once_and_stored_as_digests(client, setup):
    r, token = setup["round"], setup["token"]
    response = call(client, "post", f"/review/rounds/{r.pk}/staff-codes", token, body={"count": 5})
    assert response.status_code == 201
    codes = response.json()["codes"]
    assert len(set(codes)) == 5 and response.json()["staff_url"].endswith("/review/staff/")
    stored = set(StaffCode.objects.filter(round=r).values_list("digest", flat=True))
    assert stored == {services.code_digest(c) for c in codes} and not (stored & set(codes))
    assert call(client, "post", f"/review/rounds/{r.pk}/staff-codes", token, body={"count": 0}).status_code == 422
    services.round_to_committee(actor=setup["secretary"], round=r)
    late = call(client, "post", f"/review/rounds/{r.pk}/staff-codes", token, body={"count": 1})
    assert late.status_code == 422 and "不能再生成评议码" in late.json()["detail"]


# --- the round: create, change, advance, delete; who takes part; 处置 ----------------------------------------------


def test_round_create_change_advance_delete(client, tree):
    from dangjian.review.models import Round

    org = tree["branch_a2"]
    branch_with_members(org, 3)
    writer = token_for(make_user(role=Role.SECRETARY, org=tree["school_a"]))
    viewer = token_for(make_user(role=Role.VIEWER, org=tree["school_a"]))
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    body = {"org": org.pk, "year": 2026, "starts_on": "2026-11-01", "ends_on": "2026-11-30"}
    assert call(client, "post", "/review/rounds", viewer, body=body).status_code == 403
    assert call(client, "post", "/review/rounds", outsider, body=body).status_code == 422   # not its branch
    backwards = call(client, "post", "/review/rounds", writer, body={**body, "ends_on": "2026-10-01"})
    assert backwards.status_code == 422 and not Round.objects.exists()
    created = call(client, "post", "/review/rounds", writer, body=body)
    assert created.status_code == 201 and created.json()["status"] == "preparing"
    round_id = created.json()["id"]
    assert call(client, "post", "/review/rounds", writer, body=body).status_code == 409
    changed = call(client, "patch", f"/review/rounds/{round_id}", writer, body={"note": "按时完成"})
    assert changed.status_code == 200 and changed.json()["note"] == "按时完成"
    assert changed.json()["ends_on"] == "2026-11-30"
    assert call(client, "patch", f"/review/rounds/{round_id}", outsider, body={"note": "x"}).status_code == 404
    advanced = call(client, "post", f"/review/rounds/{round_id}/advance", writer)
    assert advanced.status_code == 200 and advanced.json()["status"] == "evaluating"
    assert advanced.json()["reviewed"] == 3
    refused = call(client, "delete", f"/review/rounds/{round_id}", writer)
    assert refused.status_code == 422 and Round.objects.filter(pk=round_id).exists()   # started: no deletion
    assert call(client, "post", f"/review/rounds/{round_id}/advance", viewer).status_code == 403
    assert Round.objects.get(pk=round_id).status == "evaluating"


def test_exempt_and_follow_up(client, setup):
    from dangjian.review.models import FollowUp

    r, token = setup["round"], setup["token"]
    first, second = setup["members"][0][0], setup["members"][1][0]
    url = f"/review/rounds/{r.pk}/exempt"
    no_reason = call(client, "post", url, token, body={"person": first.pk, "exempt": True})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["errors"]
    stranger = make_person(setup["tree"]["branch_a2"])
    assert call(client, "post", url, token, body={"person": stranger.pk, "exempt": True,
                                                  "reason": "外出学习"}).status_code == 422
    assert not r.subjects.filter(exempt=True).exists()
    response = call(client, "post", url, token, body={"person": first.pk, "exempt": True, "reason": "长期病假"})
    assert response.status_code == 200 and response.json()["reviewed"] == 9
    assert r.subjects.get(person=first).exempt_reason == "长期病假"

    follow_url = f"/review/rounds/{r.pk}/follow-ups/{second.pk}"
    body = {"measure": "correction", "due_on": "2027-06-30"}
    not_graded = call(client, "put", follow_url, token, body=body)
    assert not_graded.status_code == 422 and not FollowUp.objects.exists()
    services.round_to_committee(actor=setup["secretary"], round=r)
    r.subjects.filter(person=second).update(final_grade=Grade.UNQUALIFIED)
    missing_due = call(client, "put", follow_url, token, body={"measure": "correction"})
    assert missing_due.status_code == 422 and "due_on" in missing_due.json()["errors"]
    saved = call(client, "put", follow_url, token, body=body)
    assert saved.status_code == 200 and saved.json()["measure_label"] == "限期改正"
    assert FollowUp.objects.get().due_on.isoformat() == "2027-06-30"
    viewer = token_for(make_user(role=Role.VIEWER, org=setup["tree"]["school_a"]))
    assert call(client, "delete", follow_url, viewer).status_code == 403
    assert call(client, "delete", follow_url, token).status_code == 200
    assert not FollowUp.objects.exists()
    assert call(client, "delete", follow_url, token).status_code == 404
