"""Browser: 组织关系转接. A school secretary issues a letter to another branch on the platform; the member shows
转出中 on the roster until the receiving secretary accepts it on a phone; the member is then in the receiving
organisation with both memberships in the history. The area's admin makes a 县管校聘 move in one action after
its preview; a stale form that would move a member to the organisation they are already in is refused and changes
nothing. Screenshots at 1366 px and 375 px in /tmp/shots/."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.members.models import OrgMembership, Person
from dangjian.orgs.models import CommitteePost, Role
from dangjian.transfers import services
from dangjian.transfers.models import Kind, State, Transfer
from tests.factories import PASSWORD, make_person, make_tree, make_user

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots")
JOINED = date(2011, 7, 1)


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def member(org, name):
    person = make_person(org, name=name)
    OrgMembership.objects.create(person=person, org=org, started_on=JOINED)
    return person


def history(person):
    return list(OrgMembership.objects.filter(person=person).order_by("started_on", "id")
                .values_list("org__name", "ended_on"))


def test_a_transfer_out_is_accepted_by_the_receiving_branch(page, phone):
    tree = make_tree()
    teacher = member(tree["branch_a2"], "王老师")
    sender = make_user("t_school_sec", Role.SECRETARY, tree["school_a"])
    receiver = make_user("t_chengnan_sec", Role.SECRETARY, tree["school_b"])
    today = timezone.localdate()
    issued = today - timedelta(days=10)
    valid_until = issued + relativedelta(months=3)

    login(page, sender.username, PASSWORD)
    page.goto(page.base + f"/members/{teacher.pk}/")
    block = page.locator("#transfers-block")
    expect(block).to_contain_text("暂无转接记录")
    block.get_by_role("link", name="转出组织关系").click()
    page.wait_for_url(f"**/transfers/person/{teacher.pk}/out/")
    expect(page.locator(".alert-info")).to_contain_text("介绍信有效期3个月")
    assert page.locator(f"#id_to_org option[value='{tree['branch_a2'].pk}']").count() == 0   # not to itself
    page.select_option("#id_to_org", str(tree["school_b"].pk))
    page.fill("#id_letter_no", "实验中学党总支〔2026〕15号")
    page.fill("#id_issued_on", issued.isoformat())
    page.fill("#id_reason", "工作调动")
    shot(page, "transfers_out_form_1366")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    transfer = Transfer.objects.get(person=teacher)
    assert page.url.endswith(f"/transfers/{transfer.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("已开具介绍信")
    expect(page.locator("h1")).to_contain_text("转接中")
    assert f"{valid_until:%Y-%m-%d}（含当日）" in page.inner_text("main")
    assert page.locator("#accept-btn").count() == 0                  # the sender cannot accept its own letter
    expect(page.locator("#waiting")).to_contain_text("等待城南小学党支部接收")
    expect(page.get_by_role("button", name="撤销")).to_be_visible()
    shot(page, "transfers_detail_sender_1366")

    # Still on the sender's roster, marked 转出中, until the receiver accepts.
    page.goto(page.base + "/members/?q=王老师")
    row = page.locator("tr", has_text="王老师")
    expect(row.locator(".badge", has_text="转出中")).to_be_visible()
    shot(page, "transfers_roster_outgoing_1366")
    page.goto(page.base + f"/members/{teacher.pk}/")
    expect(page.locator("#transfers-block .badge", has_text="转出中")).to_be_visible()
    expect(page.locator("#transfers-block")).to_contain_text(f"介绍信有效期至 {valid_until:%Y-%m-%d}")
    expect(page.locator("#transfers-block").get_by_role("link", name="转出组织关系")).to_have_count(0)

    # The receiving secretary, on a phone, accepts it from the transfers list.
    login(phone, receiver.username, PASSWORD)
    phone.goto(phone.base + "/transfers/")
    assert Person.objects.visible_to(receiver).filter(pk=teacher.pk).count() == 0
    shot(phone, "transfers_list_receiver_375")
    phone.locator("table").get_by_role("link", name="王老师").click()
    phone.wait_for_url(f"**/transfers/{transfer.pk}/")
    shot(phone, "transfers_detail_receiver_375")
    assert phone.locator("#id_accepted_on").input_value() == today.isoformat()
    phone.fill("#id_note", "材料齐全，同意接收")
    phone.once("dialog", lambda dialog: dialog.accept())
    with phone.expect_navigation():
        phone.click("#accept-btn")
    expect(phone.locator(".alert-success")).to_contain_text("已接收，转接办结。")
    expect(phone.locator("h1")).to_contain_text("已接收")
    transfer.refresh_from_db()
    teacher.refresh_from_db()
    assert (transfer.state, transfer.decided_on, transfer.decision_note) == (State.ACCEPTED, today, "材料齐全，同意接收")
    assert teacher.org_id == tree["school_b"].pk
    assert history(teacher) == [("实验中学第二党支部", today), ("城南小学党支部", None)]

    phone.goto(phone.base + "/members/?q=王老师")
    expect(phone.locator("main")).to_contain_text("王老师")
    expect(phone.locator("main .badge", has_text="转出中")).to_have_count(0)
    phone.goto(phone.base + f"/members/{teacher.pk}/")
    memberships = phone.locator(".card").filter(has=phone.get_by_text("组织关系", exact=True))
    lines = memberships.locator("li").all_inner_texts()
    assert any("实验中学第二党支部" in t and f"{JOINED:%Y-%m-%d} 至 {today:%Y-%m-%d}" in t for t in lines), lines
    assert any("城南小学党支部" in t and f"{today:%Y-%m-%d} 至 今" in t for t in lines), lines
    shot(phone, "transfers_person_after_375")


def test_within_district_move_with_its_preview_and_a_stale_form_refused(page, phone):
    tree = make_tree()
    teacher = member(tree["branch_a1"], "李老师")
    CommitteePost.objects.create(org=tree["branch_a1"], person=teacher, post="organisation", started_on=date(2020, 1, 1))
    other = member(tree["branch_a2"], "赵老师")
    area = make_user("t_area_admin", Role.ORG_ADMIN, tree["area"])
    today = timezone.localdate()

    login(page, area.username, PASSWORD)
    page.goto(page.base + f"/members/{teacher.pk}/")
    page.locator("#transfers-block").get_by_role("link", name="区内调动（县管校聘）").click()
    page.wait_for_url(f"**/transfers/person/{teacher.pk}/within/")
    expect(page.locator("#carried-empty")).to_be_visible()
    assert page.locator("#id_effective_on").input_value() == today.isoformat()
    page.select_option("#id_to_org", str(tree["school_b"].pk))       # the preview follows the choice
    preview = page.locator("#carried")
    expect(preview).to_contain_text("组织关系记录 1 条")
    expect(preview).to_contain_text("同日离任：实验中学第一党支部组织委员")
    shot(page, "transfers_within_preview_1366")
    page.fill("#id_letter_no", "片区〔2026〕交流3号")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith(f"/members/{teacher.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("已完成区内调动")
    teacher.refresh_from_db()
    move = Transfer.objects.get(person=teacher)
    assert teacher.org_id == tree["school_b"].pk
    assert (move.kind, move.state, move.letter_no) == (Kind.WITHIN, State.ACCEPTED, "片区〔2026〕交流3号")
    assert history(teacher) == [("实验中学第一党支部", today), ("城南小学党支部", None)]
    assert CommitteePost.objects.get(person=teacher).ended_on == today
    expect(page.locator("#transfers-block")).to_contain_text("区内调动：实验中学第一党支部 → 城南小学党支部")

    # Bad input: the admin's form for 赵老师 still offers 城南小学党支部, but meanwhile another admin has moved
    # 赵老师 there. Saving would move the member to the organisation they are already in: refused, nothing changes.
    login(phone, area.username, PASSWORD)
    phone.goto(phone.base + f"/transfers/person/{other.pk}/within/")
    phone.select_option("#id_to_org", str(tree["school_b"].pk))
    expect(phone.locator("#carried")).to_contain_text("组织关系记录 1 条")
    services.transfer_within(actor=area, person=other, to_org=tree["school_b"], effective_on=today)
    before = (Transfer.objects.count(), history(other), list(other.status_events.values_list("pk", flat=True)))
    with phone.expect_navigation():
        phone.click("main form button[type=submit]")
    error = phone.locator("#id_to_org ~ .invalid-feedback").inner_text()
    assert "接收组织就是该党员现在所在的组织" in error, error
    expect(phone.locator(".alert-success")).to_have_count(0)
    other.refresh_from_db()
    assert other.org_id == tree["school_b"].pk
    assert (Transfer.objects.count(), history(other), list(other.status_events.values_list("pk", flat=True))) == before
    shot(phone, "transfers_within_refused_375")
