"""The 工作总结 pages and API: choose a period, see the figures with links, edit and save the text, download through
a report job; bad input and other scopes; the editing page's query count is pinned."""

import io
import random
from datetime import timedelta

import docx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.compliance.engine import findings_for
from dangjian.orgs.models import Organisation

from dangjian.orgs.models import Role
from dangjian.reports import figures, summary
from dangjian.reports.models import ReportDraft, ReportJob
from tests.factories import make_user
from tests.test_api_permissions import call, token_for
from tests.test_reports_summary import END, START, populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary(tree):
    return make_user("rs_secretary", Role.SECRETARY, tree["school_a"])


def edit_url(org, start=START, end=END):
    return reverse("reports:summary_edit", args=[org.pk]) + f"?start={start}&end={end}"


def period(start=START, end=END, **extra):
    return {"start": start.isoformat(), "end": end.isoformat(), **extra}


def test_home_lists_the_scope_and_goes_to_the_report(client, tree, secretary):
    client.force_login(secretary)
    response = client.get(reverse("reports:summary"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "实验中学党总支" in body and "城南小学党支部" not in body and "学年" in body
    response = client.get(reverse("reports:summary"), {"org": tree["school_a"].pk, **period()})
    assert response.status_code == 302 and response["Location"] == edit_url(tree["school_a"])
    response = client.get(reverse("reports:summary"), {"org": tree["school_a"].pk, "preset": "school_year",
                                                       "start": "", "end": ""})
    assert response.status_code == 302


def test_home_refuses_a_reversed_period_and_another_scope(client, tree, secretary):
    client.force_login(secretary)
    response = client.get(reverse("reports:summary"), {"org": tree["school_a"].pk, **period(END, START)})
    assert response.status_code == 400 and "截止日期不能早于起始日期。" in response.content.decode()
    response = client.get(reverse("reports:summary"), {"org": tree["school_b"].pk, **period()})
    assert response.status_code == 400 and "请选择您范围内的组织。" in response.content.decode()


def test_edit_page_shows_linked_figures_and_the_text_boxes(client, tree, secretary):
    populate(tree, random.Random(3))
    client.force_login(secretary)
    response = client.get(edit_url(tree["school_a"]))
    assert response.status_code == 200
    body = response.content.decode()
    report = figures.collect(tree["school_a"], START, END)
    shown = [f for s in report.sections for f in s.figures if not f.is_zero and f.url]
    assert shown
    for f in shown[:20]:
        assert f'data-testid="figure-{f.key}"' in body and f.url.replace("&", "&amp;") in body
    assert 'name="text_highlights"' in body and 'name="text_plans"' in body
    assert "存在的问题" in body and "下一步打算" in body


def test_edit_page_for_a_reader_has_no_text_boxes_but_can_download(client, tree):
    viewer = make_user("rs_viewer", Role.VIEWER, tree["school_a"])
    client.force_login(viewer)
    body = client.get(edit_url(tree["school_a"])).content.decode()
    assert 'name="text_plans"' not in body and 'data-testid="summary-download"' in body


def test_edit_page_bad_period_and_other_scope(client, tree, secretary):
    client.force_login(secretary)
    response = client.get(edit_url(tree["school_a"], END, START))
    assert response.status_code == 400 and "截止日期不能早于起始日期。" in response.content.decode()
    assert client.get(edit_url(tree["school_b"])).status_code == 404


def test_empty_period_page_says_so(client, tree, secretary):
    client.force_login(secretary)
    body = client.get(edit_url(tree["school_a"], START - timedelta(days=4000), START - timedelta(days=3700))).content
    assert "平台中没有实验中学党总支（含下级组织）的工作记录" in body.decode()


def test_save_keeps_the_text_and_writers_only(client, tree, secretary):
    client.force_login(secretary)
    url = reverse("reports:summary_save", args=[tree["school_a"].pk])
    response = client.post(url, period(title="总结", text_highlights="阳光润德品牌"))
    assert response.status_code == 302 and response["Location"] == edit_url(tree["school_a"])
    draft = ReportDraft.objects.get()
    assert draft.sections["highlights"] == "阳光润德品牌" and draft.title == "总结"
    assert "阳光润德品牌" in client.get(edit_url(tree["school_a"])).content.decode()
    response = client.post(url, period(title="总结", text_plans="字" * 5001))
    assert response.status_code == 400 and "不能超过5000字" in response.content.decode()
    response = client.post(url, period(END, START, title="总结"))
    assert response.status_code == 400 and ReportDraft.objects.count() == 1
    client.force_login(make_user("rs_viewer2", Role.VIEWER, tree["school_a"]))
    assert client.post(url, period(title="x")).status_code == 403
    assert ReportDraft.objects.get().title == "总结"


def test_download_saves_starts_the_job_and_gives_the_document(client, tree, secretary):
    client.force_login(secretary)
    response = client.post(reverse("reports:summary_download", args=[tree["school_a"].pk]),
                           period(title="实验中学党建工作总结汇报", text_highlights="同上一堂党课"))
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:job_detail", args=[job.pk])
    assert job.kind == "summary" and job.params == summary.job_params(START, END) and job.status == "done"
    download = client.get(reverse("reports:job_download", args=[job.pk]))
    assert download.status_code == 200
    data = b"".join(download.streaming_content) if download.streaming else download.content
    paragraphs = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert paragraphs[0] == "实验中学党建工作总结汇报" and "同上一堂党课" in paragraphs


def test_download_refuses_a_bad_period_and_other_scopes(client, tree, secretary):
    client.force_login(secretary)
    response = client.post(reverse("reports:summary_download", args=[tree["school_a"].pk]), period(END, START))
    assert response.status_code == 400 and "截止日期不能早于起始日期。" in response.content.decode()
    assert client.post(reverse("reports:summary_download", args=[tree["school_b"].pk]), period()).status_code == 404
    assert not ReportJob.objects.exists()


def test_edit_page_query_count_does_not_grow_with_the_data(client, tree, secretary, django_assert_num_queries):
    populate(tree, random.Random(8), meetings=3, records=1, files=1)
    summary.draft_save(actor=secretary, org=tree["school_a"], start=START, end=END, sections={"plans": "计划"})
    client.force_login(secretary)
    url = edit_url(tree["school_a"])
    client.get(url)  # warm the session and the role cache
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    populate(tree, random.Random(9))
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
    # The compliance engine's share grows when an app adds checks; the rest of the page is pinned exactly.
    with CaptureQueriesContext(connection) as engine:
        findings_for(list(Organisation.objects.subtree_of(tree["school_a"]).active(END)), on=END)
    assert len(small.captured_queries) - len(engine.captured_queries) == EDIT_PAGE_QUERIES


# The editing page without the compliance checks: session, user and roles, the organisation, its write right, the
# draft, and each app's summary (members 1, organisations 1, life 7, service 8, pipeline 2, vanguard 7, dues 3,
# review 4, appraisal 4, tasks 3, terms 4), the list of active organisations for the findings, and the session save.
EDIT_PAGE_QUERIES = 50


# --- API --------------------------------------------------------------------------------------------------------


def test_api_gives_the_same_figures_as_the_page(client, tree, secretary):
    populate(tree, random.Random(4))
    token = token_for(secretary)
    response = call(client, "get", "/reports/summary", token,
                    params={"org": tree["school_a"].pk, "start": START.isoformat(), "end": END.isoformat()})
    assert response.status_code == 200
    payload = response.json()
    expected = figures.collect(tree["school_a"], START, END).as_dict()
    assert payload["sections"] == expected["sections"]
    assert payload["org"] == {"id": tree["school_a"].pk, "name": "实验中学党总支"}
    assert payload["by_month"] == expected["by_month"]


def test_api_bad_input(client, tree, secretary):
    token = token_for(secretary)
    response = call(client, "get", "/reports/summary", token,
                    params={"org": tree["school_a"].pk, "start": END.isoformat(), "end": START.isoformat()})
    assert response.status_code == 422 and response.json()["errors"]["end"] == ["截止日期不能早于起始日期。"]
    response = call(client, "get", "/reports/summary", token,
                    params={"org": tree["school_b"].pk, "start": START.isoformat(), "end": END.isoformat()})
    assert response.status_code == 404
