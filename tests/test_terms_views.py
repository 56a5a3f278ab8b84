"""The terms pages: the subtree's table (filters, pagination, fixed queries), recording an election through the
form with its candidate formset, the detail page's actions, and the scope."""

from datetime import date

import pytest
from django.urls import reverse

from dangjian.core.models import AuditLog
from dangjian.orgs.models import CommitteePost, Role
from dangjian.terms.models import Election
from tests.factories import make_org, make_user
from tests.life_helpers import member
from tests.test_terms_elections import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def sec(tree):
    return make_user(role=Role.SECRETARY, org=tree["school_a"])


@pytest.fixture
def sec_client(client, sec):
    client.force_login(sec)
    return client


def form_data(people, votes, **fields):
    data = {"held_on": "2024-06-15", "method": "competitive", "seats": "3", "electors_present": "9",
            "ballots_cast": "9", "invalid_ballots": "0", "blank_ballots": "0", "override_reason": "", "note": "",
            "c-TOTAL_FORMS": str(len(people) + 1), "c-INITIAL_FORMS": "0", "c-MIN_NUM_FORMS": "0",
            "c-MAX_NUM_FORMS": "60"}
    for i, (person, v) in enumerate(zip(people, votes)):
        data[f"c-{i}-person"], data[f"c-{i}-votes"] = str(person.pk), str(v)
    data[f"c-{len(people)}-person"], data[f"c-{len(people)}-votes"] = "", ""   # an empty row is ignored
    return data | fields


def table(response):
    return response.content.decode().split('id="terms-table"')[1]


def test_home_lists_the_subtree_with_term_end_days_left_and_state(sec_client, tree, sec):
    org = tree["branch_a2"]
    people = [member(org) for _ in range(9)]
    record(sec, org, people[:4], held=date(2022, 6, 15))
    page = table(sec_client.get(reverse("terms:home")))
    assert "实验中学第二党支部" in page and "2025-06-15" in page and "逾期未换届" in page
    assert "无换届记录" in page and "城南小学党支部" not in page and "语文组党小组" not in page
    filtered = table(sec_client.get(reverse("terms:home"), {"state": "none"}))
    assert "实验中学第二党支部" not in filtered and "实验中学第一党支部" in filtered
    assert "实验中学第一" not in table(sec_client.get(reverse("terms:home"), {"q": "第二"}))


def test_home_issues_a_fixed_number_of_queries(sec_client, tree, sec, django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            branch = make_org(tree["school_a"], f"新支部{i}")
            people = [member(branch) for _ in range(5)]
            record(sec, branch, people[:4], present=5, votes=(5, 4, 3, 1))

    grow(1)
    with django_assert_max_num_queries(12) as small:
        assert sec_client.get(reverse("terms:home")).status_code == 200
    grow(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert sec_client.get(reverse("terms:home")).status_code == 200


def test_recording_through_the_form_computes_the_result(sec_client, tree):
    org = tree["branch_a2"]
    people = [member(org, name=f"候选{i}") for i in range(9)]
    url = reverse("terms:election_new", args=[org.pk])
    assert "候选0（实验中学第二党支部）" in sec_client.get(url).content.decode()
    response = sec_client.post(url, form_data(people[:4], (9, 8, 7, 1)))
    election = Election.objects.get()
    assert response.status_code == 302 and response.url == reverse("terms:detail", args=[election.pk])
    page = sec_client.get(response.url).content.decode()
    assert "当选（第1名）" in page and "得票须超过实到人数的一半（5票及以上）" in page


def test_a_refused_election_shows_the_rule_and_saves_nothing(sec_client, tree):
    org = tree["branch_a2"]
    people = [member(org) for _ in range(10)]
    url = reverse("terms:election_new", args=[org.pk])
    response = sec_client.post(url, form_data(people[:4], (8, 7, 6, 1), electors_present="8", ballots_cast="8"))
    assert response.status_code == 400 and "五分之四" in response.content.decode()
    response = sec_client.post(url, form_data(people[:3], (9, 8, 7), electors_present="9"))
    assert response.status_code == 400 and "等额选举" in response.content.decode()
    response = sec_client.post(url, form_data(people[:4], (10, 8, 7, 1), electors_present="9"))
    assert "计票不符" in response.content.decode()
    assert not Election.objects.exists()


def test_detail_actions_assign_posts_approve_and_seat_the_committee(sec_client, tree, sec):
    org = tree["branch_a2"]
    people = [member(org) for _ in range(9)]
    election = record(sec, org, people[:4])
    winners = list(election.candidates.filter(elected=True).order_by("rank"))
    sec_client.post(reverse("terms:approve", args=[election.pk]),
                    {"approval_authority": "片区党委", "approval_no": "1号", "approved_on": "2024-07-01"})
    assert not Election.objects.get().is_approved      # no 书记 yet
    posts = {f"post-{c.pk}": p for c, p in zip(winners, ("secretary", "deputy", "member"))}
    assert sec_client.post(reverse("terms:posts", args=[election.pk]), posts).status_code == 302
    response = sec_client.post(reverse("terms:approve", args=[election.pk]),
                               {"approval_authority": "片区党委", "approval_no": "1号", "approved_on": "2024-07-01"},
                               follow=True)
    assert "已登记批复" in response.content.decode()
    assert CommitteePost.objects.filter(org=org, ended_on__isnull=True).count() == 3
    assert "删除（录入有误）" not in response.content.decode()


def test_delete_is_confirmed_audited_and_only_before_approval(sec_client, tree, sec):
    org = tree["branch_a2"]
    people = [member(org) for _ in range(9)]
    election = record(sec, org, people[:4])
    page = sec_client.get(reverse("terms:detail", args=[election.pk])).content.decode()
    assert "data-confirm=" in page
    response = sec_client.post(reverse("terms:delete", args=[election.pk]))
    assert response.url == reverse("terms:org", args=[org.pk])
    assert not Election.objects.exists()
    assert AuditLog.objects.filter(object_type="terms.election", event="delete").count() == 1


def test_extension_request_and_approval_through_the_page(sec_client, tree, sec):
    org = tree["branch_a2"]
    people = [member(org) for _ in range(9)]
    election = record(sec, org, people[:4], held=date(2022, 6, 15))
    url = reverse("terms:detail", args=[election.pk])
    response = sec_client.post(reverse("terms:extension_request", args=[election.pk]),
                               {"extended_to": "2026-07-01", "reason": "学校撤并"}, follow=True)
    assert "不超过12个月" in response.content.decode()
    sec_client.post(reverse("terms:extension_request", args=[election.pk]),
                    {"extended_to": "2026-06-15", "reason": "学校撤并"})
    extension = election.extensions.get()
    sec_client.post(reverse("terms:extension_approve", args=[extension.pk]),
                    {"x-approval_authority": "片区党委", "x-approval_no": "片党〔2025〕3号", "x-approved_on": "2025-06-01"})
    extension.refresh_from_db()
    assert extension.status == "approved"
    assert "已批准延期" in sec_client.get(url).content.decode()


def test_outside_the_scope_is_404_and_readers_cannot_record(client, tree, sec):
    people = [member(tree["school_b"]) for _ in range(9)]
    election = record(None, tree["school_b"], people[:4])
    client.force_login(sec)
    assert client.get(reverse("terms:detail", args=[election.pk])).status_code == 404
    assert client.get(reverse("terms:org", args=[tree["school_b"].pk])).status_code == 404
    client.force_login(make_user(role=Role.VIEWER, org=tree["school_a"]))
    assert client.get(reverse("terms:election_new", args=[tree["branch_a2"].pk])).status_code == 403
    client.force_login(make_user(role=Role.VIEWER, org=tree["district"]))
    assert client.get(reverse("terms:detail", args=[election.pk])).status_code == 200
