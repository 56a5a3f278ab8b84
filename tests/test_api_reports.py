"""The summary report's text over the API: read (defaults until saved) and saved through summary.draft_save."""

import pytest

from dangjian.orgs.models import Role
from dangjian.reports.models import ReportDraft
from tests.factories import make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2025-09-01", "end": "2026-08-31"}


def test_text_saved_read_back_and_bad_input_changes_nothing(client, tree):
    org = tree["school_a"]
    writer = token_for(make_user(role=Role.SECRETARY, org=org))
    viewer = token_for(make_user(role=Role.VIEWER, org=org))
    outsider = token_for(make_user(role=Role.SECRETARY, org=tree["school_b"]))
    url = f"/reports/summary/{org.pk}/text"
    fresh = call(client, "get", url, viewer, params=PERIOD).json()
    assert not fresh["saved"] and fresh["title"] and set(fresh["sections"]) >= {"basic", "plans"}
    body = {**PERIOD, "title": "实验中学2025—2026学年党建工作总结", "sections": {"basic": "全校共有党员56名。"}}
    assert call(client, "put", url, viewer, body=body).status_code == 403
    assert call(client, "put", url, outsider, body=body).status_code == 404
    unknown = call(client, "put", url, writer, body={**body, "sections": {"nonsense": "x"}})
    assert unknown.status_code == 422 and "sections" in unknown.json()["errors"]
    backwards = call(client, "put", url, writer, body={**body, "start": "2026-09-01"})
    assert backwards.status_code == 422
    too_long = call(client, "put", url, writer, body={**body, "sections": {"basic": "字" * 5001}})
    assert too_long.status_code == 422
    assert not ReportDraft.objects.exists()
    saved = call(client, "put", url, writer, body=body)
    assert saved.status_code == 200 and saved.json()["saved"]
    again = call(client, "get", url, viewer, params=PERIOD).json()
    assert again["title"] == body["title"] and again["sections"]["basic"] == "全校共有党员56名。"
    assert again["sections"]["plans"] == fresh["sections"]["plans"]       # not sent: unchanged
