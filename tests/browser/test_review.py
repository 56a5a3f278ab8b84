"""Browser: on a phone, a member writes the self-review and evaluates two peers; the ballot leaves no trace of him."""

import pytest
from django.utils import timezone

from dangjian.orgs.models import Role
from dangjian.review import services
from dangjian.review.models import Subject, Tally, Voter
from tests.browser.conftest import login, shot
from tests.factories import PASSWORD, make_person, make_tree, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_member_self_reviews_and_evaluates_two_peers_on_a_phone(phone):
    tree = make_tree()
    org = tree["branch_a1"]
    sec = make_user("rsec", Role.SECRETARY, org)
    people = [make_person(org, name=n) for n in ("王老师", "李老师", "张老师")]
    make_user("wang", person=people[0])
    today = timezone.localdate()
    r = services.round_create(actor=sec, org=org, year=today.year, starts_on=today, ends_on=today)
    services.round_open(actor=sec, round=r)

    phone.on("dialog", lambda dialog: dialog.accept())
    login(phone, "wang", PASSWORD)
    phone.goto(phone.base + "/review/")
    with phone.expect_navigation():
        phone.click("text=填写自评和互评")
    phone.fill("#id_text", "本年度认真履行党员义务，按时参加组织生活。不足：理论学习不够深入。")
    with phone.expect_navigation():
        phone.click("#save-self-review")
    assert "已保存自我评价" in phone.inner_text("main")
    assert phone.locator(".review-target").count() == 2
    li, zhang = (Subject.objects.get(round=r, person=p) for p in people[1:])
    phone.click(f"label[for=id_grade_{li.pk}_0]")       # 优秀
    phone.click(f"label[for=id_grade_{zhang.pk}_1]")    # 合格
    phone.fill(f"#id_comment_{zhang.pk}", "希望多上公开课")
    # Nothing overflows sideways at 375 px.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(phone, "review_mine_375")
    with phone.expect_navigation():
        phone.click("#submit-ballot")
    assert "您已提交互评" in phone.inner_text("main")
    shot(phone, "review_mine_done_375")

    assert Subject.objects.get(round=r, person=people[0]).self_review.startswith("本年度")
    assert Voter.objects.get(round=r, person=people[0]).voted
    assert Tally.objects.get(subject=li).peer_excellent == 1 and Tally.objects.get(subject=zhang).peer_qualified == 1
