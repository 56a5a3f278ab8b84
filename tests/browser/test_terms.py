"""Browser: a secretary records a branch election with the candidate formset (adding a row), sees a refusal and
the computed result, assigns the posts and records the approval; the overview on a phone."""

from datetime import date

import pytest

from dangjian.orgs.models import CommitteePost, Role
from dangjian.terms.models import Election
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_tree, make_user
from tests.life_helpers import member

pytestmark = pytest.mark.django_db(transaction=True)


def test_secretary_records_an_election_and_approves_the_committee(page, phone):
    tree = make_tree()
    org = tree["branch_a1"]
    people = [member(org, name=n) for n in ("王一", "李二", "张三", "赵四", "钱五", "孙六", "周七", "吴八", "郑九")]
    make_user("sec", Role.SECRETARY, tree["school_a"])

    login(page, "sec", PASSWORD)
    page.goto(page.base + f"/terms/org/{org.pk}/new/")
    page.fill("#id_held_on", "2024-06-15")
    page.select_option("#id_method", "competitive")
    page.fill("#id_seats", "3")
    page.fill("#id_electors_present", "8")          # 8 of 9: more than ⅘
    page.fill("#id_ballots_cast", "8")
    for i, (person, votes) in enumerate(zip(people[:3], (8, 7, 6))):
        page.select_option(f"#id_c-{i}-person", str(person.pk))
        page.fill(f"#id_c-{i}-votes", str(votes))
    with page.expect_navigation():
        page.click("#election-form button[type=submit]")
    assert "属于等额选举" in page.inner_text("main")           # 3 candidates for 3 seats: refused
    assert not Election.objects.exists()
    for i in range(6):
        page.click("#add-candidate")                             # rows 6 … 11 are added by the script
    assert page.locator(".candidate-row").count() == 12
    page.select_option("#id_c-10-person", str(people[3].pk))
    page.fill("#id_c-10-votes", "2")
    shot(page, "terms_form_1366")
    with page.expect_navigation():
        page.click("#election-form button[type=submit]")
    election = Election.objects.get()
    assert "当选（第1名）" in page.inner_text("#candidates")
    page.select_option(f"#id_post-{election.candidates.get(person=people[0]).pk}", "secretary")
    page.select_option(f"#id_post-{election.candidates.get(person=people[1]).pk}", "organisation")
    with page.expect_navigation():
        page.click("#posts-form button[type=submit]")
    page.fill("#id_approval_authority", "实验中学党总支")
    page.fill("#id_approval_no", "实总支〔2024〕5号")
    page.fill("#id_approved_on", "2024-07-01")
    with page.expect_navigation():
        page.click("#approve-form button[type=submit]")
    assert "已批复" in page.inner_text("#election-status")
    assert CommitteePost.objects.get(org=org, post="secretary", ended_on__isnull=True).person == people[0]
    shot(page, "terms_detail_1366")
    page.goto(page.base + "/terms/")
    shot(page, "terms_home_1366")

    login(phone, "sec", PASSWORD)
    phone.goto(phone.base + "/terms/")
    assert "无换届记录" in phone.inner_text("#terms-table")
    shot(phone, "terms_home_375")
    phone.goto(phone.base + f"/terms/{election.pk}/")
    shot(phone, "terms_detail_375")
    assert election.held_on == date(2024, 6, 15)
