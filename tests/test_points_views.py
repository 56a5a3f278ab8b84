"""党员积分 pages: the ranking, 我的积分, the rule-set pages; the API."""

from datetime import date

import pytest
from django.urls import reverse

from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.points.models import RuleSet
from dangjian.points.sources import all_sources
from tests.factories import make_person, make_user
from tests.test_api_permissions import call, token_for
from tests.test_points_scores import YEAR, attend

pytestmark = pytest.mark.django_db


def test_member_sees_how_the_score_was_made(client, tree):
    me = make_person(tree["branch_a1"], name="李明")
    user = make_user(role=Role.MEMBER, org=tree["branch_a1"], person=me)
    attend(me, date(YEAR, 4, 1))
    client.force_login(user)
    assert client.get(reverse("points:home")).url == reverse("points:mine")
    assert client.get(reverse("points:home"), {"year": YEAR}).url == reverse("points:mine") + f"?year={YEAR}"
    response = client.get(reverse("points:mine") + f"?year={YEAR}", follow=True)
    html = response.content.decode()
    assert response.status_code == 200 and "我的积分" in html
    assert response.context["score"].total == 62
    assert "出席组织生活" in html and "学习党章" in html and "平台默认" in html
    other = make_person(tree["branch_a1"])
    assert client.get(reverse("points:person", args=[other.pk])).status_code == 404


def test_ranking_page_searches_and_paginates(client, tree):
    writer = make_user(role=Role.SECRETARY, org=tree["school_a"])
    for i in range(55):
        make_person(tree["branch_a1"], name=f"教师{i:02d}")
    client.force_login(writer)
    response = client.get(reverse("points:home"), {"org": tree["school_a"].pk, "year": YEAR})
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 55 and len(response.context["page"].object_list) == 50
    response = client.get(reverse("points:home"), {"org": tree["school_a"].pk, "year": YEAR, "q": "教师07"})
    assert [s.name for s in response.context["page"]] == ["教师07"]
    response = client.get(reverse("points:home"), {"org": tree["school_b"].pk})   # outside: the widest own org
    assert response.context["org"] == tree["school_a"]
    assert "暂无党员积分" in client.get(reverse("points:home"), {"org": tree["branch_a2"].pk}).content.decode()


def test_rule_set_pages_edit_show_origin_and_refuse_bad_input(client, tree):
    writer = make_user(role=Role.SECRETARY, org=tree["school_a"])
    client.force_login(writer)
    url = reverse("points:rules_edit", args=[tree["school_a"].pk])
    data = {"base": "70", "basis": "总支委员会决定"}
    for key, source in all_sources().items():
        data[f"p__{key}"], data[f"c__{key}"] = str(source.default_points), ""
    bad = dict(data, **{"p__life.absence": "-500"})
    response = client.post(url, bad)
    assert response.status_code == 400 and "须在-100至100之间" in response.content.decode()
    assert not RuleSet.objects.exists()
    assert client.post(url, data).status_code == 302
    page = client.get(reverse("points:rules"), {"org": tree["branch_a1"].pk}).content.decode()
    assert "沿用实验中学党总支的办法" in page and "总支委员会决定" in page
    page = client.get(reverse("points:rules"), {"org": tree["school_a"].pk}).content.decode()
    assert "本组织制定" in page
    assert client.post(reverse("points:rules_remove", args=[tree["school_a"].pk])).status_code == 302
    assert not RuleSet.objects.exists()
    assert AuditLog.objects.filter(object_type="points.ruleset").count() == 2


def test_api_scores_and_breakdown(client, tree):
    writer = make_user(role=Role.VIEWER, org=tree["school_a"])
    p = make_person(tree["branch_a1"], name="王芳")
    attend(p, date(YEAR, 5, 1))
    token = token_for(writer)
    response = call(client, "get", "/points/scores", token, params={"org": tree["school_a"].pk, "year": YEAR})
    body = response.json()
    assert response.status_code == 200 and body["count"] == 1
    assert body["items"][0]["total"] == "62.0" and body["items"][0]["rank"] == 1
    detail = call(client, "get", f"/points/people/{p.pk}", token, params={"year": YEAR}).json()
    line = next(line for line in detail["lines"] if line["key"] == "life.attendance")
    assert (line["quantity"], line["subtotal"], len(line["records"])) == ("1", "2.0", 1)
    period = call(client, "get", f"/points/people/{p.pk}", token,
                  params={"start": f"{YEAR}-06-01", "end": f"{YEAR}-12-31"}).json()
    assert period["total"] == "60.0"
    bad = call(client, "get", f"/points/people/{p.pk}", token,
               params={"start": f"{YEAR}-06-01", "end": f"{YEAR}-01-01"})
    assert bad.status_code == 422
