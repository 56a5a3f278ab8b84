"""selectors.summary equals independent counts; points sources; the API through the same services."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from dangjian.orgs.models import Role
from dangjian.points.sources import all_sources
from dangjian.service import selectors, services
from dangjian.service.models import ActivityKind, RecipientKind, VisitCategory
from tests.factories import make_person, make_user
from tests.test_api_permissions import call, token_for

pytestmark = pytest.mark.django_db

START, END = date(2025, 1, 1), date(2025, 12, 31)


@pytest.fixture
def secretary(tree):
    return make_user("sum_sec", Role.SECRETARY, tree["district"])


def _seed(tree, secretary, rng):
    """Random records in and around 2025 across the tree; returns what was written, for counting by hand."""
    orgs = [tree[k] for k in ("branch_a1", "branch_a2", "school_b")]
    people = {org.pk: [make_person(org) for _ in range(4)] for org in orgs}
    written = {"activities": [], "partnerships": [], "visits": [], "care": []}
    for i in range(30):
        org = rng.choice(orgs)
        day = START + timedelta(days=rng.randint(-40, 400))
        day = min(day, date.today())
        chosen = rng.sample(people[org.pk], rng.randint(0, 4))
        hours = [Decimal(rng.randint(0, 8)) / 2 for _ in chosen]
        extra, extra_hours = rng.randint(0, 5), Decimal(rng.randint(0, 20)) / 2
        kind = rng.choice(ActivityKind.values)
        services.activity_create(actor=secretary, org=org, kind=kind, title=f"活动{i}",
                                 date=day, extra_participants=extra, extra_hours=extra_hours,
                                 participants=[{"person": p, "hours": h} for p, h in zip(chosen, hours)])
        written["activities"].append((org, day, chosen, hours, extra, extra_hours, kind))
    for i in range(12):
        org = rng.choice(orgs)
        since = START + timedelta(days=rng.randint(-500, 300))
        until = rng.choice([None, since + timedelta(days=rng.randint(0, 400))])
        name = rng.choice(["东坪村", "西河村", "城南社区"])
        kind = "community" if name.endswith("社区") else "village"
        try:
            services.partnership_create(actor=secretary, org=org, partner_name=name, partner_kind=kind, since=since,
                                        until=until)
        except Exception:  # an ongoing duplicate: refused, not written
            continue
        written["partnerships"].append((org, name, kind, since, until))
    for i in range(25):
        org = rng.choice(orgs)
        day = min(START + timedelta(days=rng.randint(-30, 380)), date.today())
        category = rng.choice(VisitCategory.values)
        services.home_visit_create(actor=secretary, org=org, teacher=rng.choice(people[org.pk]), date=day,
                                   category=category, student_alias=f"S{i}")
        written["visits"].append((org, day, category))
    for i in range(15):
        org = rng.choice(orgs)
        day = min(START + timedelta(days=rng.randint(-30, 380)), date.today())
        row = dict(recipient_kind=rng.choice(RecipientKind.values), recipients=rng.randint(1, 6),
                   matters_solved=rng.randint(0, 5), money=Decimal(rng.randint(0, 3000)) / 4,
                   goods="慰问品", goods_value=Decimal(rng.randint(0, 500)))
        services.care_visit_create(actor=secretary, org=org, date=day, **row)
        written["care"].append((org, day, row))
    return written


def _inside(org, root, day=None):
    return org.path.startswith(root.path) and (day is None or START <= day <= END)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("root_key", ["district", "school_a", "branch_a1"])
def test_summary_equals_independent_counts(tree, secretary, seed, root_key, django_assert_max_num_queries):
    written = _seed(tree, secretary, random.Random(seed))
    root = tree[root_key]
    with django_assert_max_num_queries(8):
        figures = selectors.summary(root, START, END)

    acts = [a for a in written["activities"] if _inside(a[0], root, a[1])]
    for row in figures["activities"]:
        mine = [a for a in acts if a[6] == row["key"]]
        assert row["count"] == len(mine)
        assert row["participants"] == len({p.pk for a in mine for p in a[2]})
        assert row["person_times"] == sum(len(a[2]) + a[4] for a in mine)
        assert row["hours"] == sum((sum(a[3], Decimal(0)) + a[5] for a in mine), Decimal(0))
    total_times = sum(len(a[2]) + a[4] for a in acts)
    total_hours = sum((sum(a[3], Decimal(0)) + a[5] for a in acts), Decimal(0))
    assert figures["activity_totals"]["count"] == len(acts)
    assert figures["activity_totals"]["person_times"] == total_times
    assert figures["activity_totals"]["hours"] == total_hours
    assert figures["activity_totals"]["participants"] == len({p.pk for a in acts for p in a[2]})
    assert sum(r["count"] for r in figures["activities"]) == len(acts)

    active = [p for p in written["partnerships"] if p[0].path.startswith(root.path) and p[3] <= END
              and (p[4] is None or p[4] >= START)]
    assert figures["partnerships"]["branches"] == len({p[0].pk for p in active})
    assert figures["partnerships"]["partners"] == len({(p[2], p[1]) for p in active})

    visits = [v for v in written["visits"] if _inside(v[0], root, v[1])]
    by_cat = {r["key"]: r["count"] for r in figures["home_visits"]["by_category"]}
    assert by_cat == {c: sum(1 for v in visits if v[2] == c) for c in VisitCategory.values}
    assert figures["home_visits"]["total"] == len(visits)

    care = [c for c in written["care"] if _inside(c[0], root, c[1])]
    for row in figures["care"]["by_kind"]:
        mine = [c[2] for c in care if c[2]["recipient_kind"] == row["key"]]
        assert row["visits"] == len(mine)
        assert row["people"] == sum(c["recipients"] for c in mine)
        assert row["matters"] == sum(c["matters_solved"] for c in mine)
        assert row["money"] == sum((c["money"].quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") for c in mine),
                                   Decimal("0"))
        assert row["goods_value"] == sum((c["goods_value"] for c in mine), Decimal("0"))
    totals = figures["care"]["totals"]
    assert totals["money_and_goods"] == totals["money"] + totals["goods_value"]


def test_summary_counts_activities_by_kind_and_the_seed_001_care_figures(tree, secretary):
    org = tree["branch_a1"]
    a, b = make_person(org), make_person(org)
    day = date(2025, 5, 1)
    services.activity_create(actor=secretary, org=org, kind="volunteer", title="一", date=day, extra_participants=10,
                             extra_hours="20", participants=[{"person": a, "hours": "3"}, {"person": b, "hours": "2"}])
    services.activity_create(actor=secretary, org=org, kind="volunteer", title="二", date=day,
                             participants=[{"person": a, "hours": "1.5"}])
    services.activity_create(actor=secretary, org=org, kind="red", title="三", date=date(2024, 12, 31),
                             participants=[{"person": a, "hours": "9"}])
    services.care_visit_create(actor=secretary, org=org, date=day, recipient_kind="poor_student", recipients=40,
                               matters_solved=118, money="4191", goods="学习用品", goods_value="1000")
    figures = selectors.summary(tree["school_a"], START, END)
    volunteer = next(r for r in figures["activities"] if r["key"] == "volunteer")
    assert volunteer == {"key": "volunteer", "label": "志愿服务", "count": 2, "participants": 2, "person_times": 13,
                         "hours": Decimal("26.5")}
    assert next(r for r in figures["activities"] if r["key"] == "red")["count"] == 0
    totals = figures["care"]["totals"]
    assert (totals["people"], totals["matters"], totals["money_and_goods"]) == (40, 118, Decimal("5191.00"))


def test_points_sources_count_hours_and_activities_and_explain_them(tree, secretary):
    org = tree["branch_a1"]
    a, b = make_person(org), make_person(org)
    services.activity_create(actor=secretary, org=org, kind="volunteer", title="敬老", date=date(2025, 3, 1),
                             participants=[{"person": a, "hours": "2.5"}, {"person": b, "hours": "1"}])
    services.activity_create(actor=secretary, org=org, kind="teaching", title="送教", date=date(2025, 4, 1),
                             participants=[{"person": a, "hours": "4"}])
    services.activity_create(actor=secretary, org=org, kind="teaching", title="去年", date=date(2024, 4, 1),
                             participants=[{"person": a, "hours": "8"}])
    sources = all_sources()
    hours, count = sources["service.hours"], sources["service.activities"]
    assert (hours.unit, count.unit) == ("小时", "次")
    assert hours.count([a.pk, b.pk], START, END) == {a.pk: Decimal("6.5"), b.pk: Decimal("1.0")}
    assert count.count([a.pk, b.pk], START, END) == {a.pk: Decimal(2), b.pk: Decimal(1)}
    lines = hours.explain(a, START, END)
    assert [(d, q) for d, _, q in lines] == [(date(2025, 3, 1), Decimal("2.5")), (date(2025, 4, 1), Decimal("4.0"))]
    assert "敬老" in lines[0][1]
    # Points follow the records: an edit changes the quantity.
    activity = a.service_participations.get(activity__title="送教").activity
    services.activity_update(actor=secretary, activity=activity, participants=[{"person": a, "hours": "1"}])
    assert hours.count([a.pk], START, END) == {a.pk: Decimal("3.5")}


def test_api_creates_lists_updates_and_deletes_an_activity(client, tree):
    user = make_user("api_sec", Role.SECRETARY, tree["school_a"])
    token = token_for(user)
    a, b = make_person(tree["branch_a1"]), make_person(tree["branch_a1"])
    body = {"org": tree["branch_a1"].pk, "kind": "volunteer", "title": "接口志愿服务", "date": "2025-05-01",
            "extra_participants": 2, "extra_hours": "3",
            "participants": [{"person": a.pk, "hours": "2"}, {"person": b.pk, "hours": 1.5}]}
    response = call(client, "post", "/service/activities", token, body=body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["people"], data["person_times"], data["total_hours"]) == (2, 4, "6.5")
    pk = data["id"]
    listing = call(client, "get", "/service/activities", token, params={"kind": "volunteer"}).json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == pk
    response = call(client, "patch", f"/service/activities/{pk}", token, body={"participants": [
        {"person": a.pk, "hours": "5"}]})
    assert response.status_code == 200 and response.json()["total_hours"] == "8.0"
    outsider = make_person(tree["school_b"])
    response = call(client, "patch", f"/service/activities/{pk}", token, body={"participants": [
        {"person": outsider.pk, "hours": "1"}]})
    assert response.status_code == 422 and "participants" in response.json()["errors"]
    response = call(client, "post", "/service/activities", token, body=body | {"date": "2999-01-01"})
    assert response.status_code == 422 and "不能晚于今天" in response.json()["errors"]["date"][0]
    response = call(client, "post", "/service/care-visits", token, body={
        "org": tree["school_a"].pk, "date": "2025-05-01", "recipient_kind": "veteran", "recipients": 1,
        "money": "-5"})
    assert response.status_code == 422 and "不能为负数" in response.json()["errors"]["money"][0]
    assert call(client, "delete", f"/service/activities/{pk}", token).json() == {"id": pk, "deleted": True}
    assert call(client, "get", f"/service/activities/{pk}", token).status_code == 404


def test_api_list_query_count_is_fixed(client, tree, django_assert_max_num_queries):
    user = make_user("api_q", Role.VIEWER, tree["school_a"])
    writer = make_user("api_w", Role.SECRETARY, tree["school_a"])
    token = token_for(user)

    def grow(n):
        for i in range(n):
            p = make_person(tree["branch_a1"])
            services.activity_create(actor=writer, org=tree["branch_a1"], kind="volunteer", title="x",
                                     date=date(2025, 1, 1), participants=[{"person": p, "hours": 1}])
            services.care_visit_create(actor=writer, org=tree["branch_a1"], date=date(2025, 1, 1),
                                       recipient_kind="veteran", recipients=1, visitors=[p])

    for path in ("/service/activities", "/service/care-visits", "/service/home-visits", "/service/partnerships"):
        grow(2)
        call(client, "get", path, token)
        with django_assert_max_num_queries(8) as small:
            call(client, "get", path, token)
        grow(10)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert call(client, "get", path, token).status_code == 200
