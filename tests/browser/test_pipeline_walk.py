"""Browser: a school secretary walks one applicant through all 25 steps of 发展党员 on the file page — from the
入党申请 to 转正 and 材料归档 — with dates that keep every time rule, and the deciding meetings and votes recorded
beforehand through the life services (the file page links them, it does not create them)."""

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dangjian.life import services as life
from dangjian.life.models import Attendance, MeetingType, Vote
from dangjian.members.models import OrgMembership, Person, Status
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from tests.browser.conftest import login
from tests.factories import PASSWORD, make_person, make_tree
from tests.test_pipeline_helpers import World

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path("/tmp/shots")

APPLIED = date(2024, 3, 4)
ASSEMBLY = date(2025, 8, 4)              # 支部大会 (step ⑮): 预备期 runs to 2026-08-04
PROBATION_END = date(2026, 8, 4)
# Step → date. Talk within a month, reviews at most 6 months apart, 发展对象 after a full activist year,
# 公示 of ⑬ and ㉓ ten working days, approvals within 3 months, 转正 meeting on the day the 预备期 ends.
DATES = {
    2: date(2024, 3, 14), 3: date(2024, 4, 8), 4: date(2024, 4, 11), 5: date(2024, 4, 15),
    "6a": date(2024, 9, 9), "6b": date(2025, 2, 10), 7: date(2025, 4, 10), 8: date(2025, 4, 14),
    9: date(2025, 4, 16), 10: date(2025, 5, 6), 11: date(2025, 5, 26), 12: date(2025, 6, 16),
    13: date(2025, 7, 7), 14: date(2025, 7, 14), 15: ASSEMBLY, 16: date(2025, 8, 11), 17: date(2025, 9, 1),
    18: date(2025, 9, 10), 19: date(2025, 9, 11), 20: date(2025, 9, 12), 21: date(2026, 2, 4),
    22: date(2026, 7, 6), 23: PROBATION_END, 24: date(2026, 9, 7), 25: date(2026, 9, 14),
}
PUBLICITY = {13: (date(2025, 6, 23), date(2025, 7, 4)), 23: (date(2026, 7, 20), date(2026, 7, 31))}


def _meetings(world, candidate):
    """The deciding meetings, recorded as a secretary would in 组织生活: 支委会 for ③ ⑦ ⑫, the 党总支 meeting
    for ⑬ ⑰ ㉔, and the two 支部党员大会 with every voter present and a passed vote about the candidate."""
    actor, branch, school = world.writer, world.branch, world.tree["school_a"]
    voters = [world.sponsor_1, world.sponsor_2, make_person(branch, name="党员丙")]
    for person in voters:
        OrgMembership.objects.create(person=person, org=branch, started_on=date(2011, 7, 1))
    meetings = {}
    for number, org, kind in ((3, branch, MeetingType.COMMITTEE), (7, branch, MeetingType.COMMITTEE),
                              (12, branch, MeetingType.COMMITTEE), (13, school, MeetingType.UPPER_COMMITTEE),
                              (17, school, MeetingType.UPPER_COMMITTEE), (24, school, MeetingType.UPPER_COMMITTEE)):
        meetings[number] = (life.meeting_record(actor=actor, org=org, type=kind, date=DATES[number],
                                                theme=f"研究发展党员工作（第{number}步）"), None)
    for number, kind, subject in ((15, Vote.Kind.ADMISSION, "接收为预备党员"),
                                  (23, Vote.Kind.CONFIRMATION, "预备党员转为正式党员")):
        meeting = life.meeting_record(actor=actor, org=branch, type=MeetingType.ASSEMBLY, date=DATES[number],
                                      theme=f"支部党员大会：讨论{candidate.name}{subject}")
        life.attendance_set(actor=actor, meeting=meeting,
                            entries=[{"person": p, "status": Attendance.Status.PRESENT} for p in voters])
        vote = life.vote_record(actor=actor, meeting=meeting, kind=kind, subject=f"{candidate.name}{subject}",
                                yes=3, no=0, abstain=0, subject_person=candidate)
        assert vote.passed, vote.rule_note
        meetings[number] = (meeting, vote)
    return meetings


def test_secretary_walks_an_applicant_through_all_25_steps(page):
    world = World(make_tree())
    candidate = world.candidate(name="林晓", birth=date(1998, 3, 15))
    meetings = _meetings(world, candidate)
    sponsor_1, sponsor_2 = str(world.sponsor_1.pk), str(world.sponsor_2.pk)
    login(page, world.writer.username, PASSWORD)

    # ① 递交入党申请书: the file is opened from the person.
    page.goto(page.base + f"/pipeline/open/{candidate.pk}/")
    page.fill("#id_applied_on", APPLIED.isoformat())
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    file = DevelopmentFile.objects.get(person=candidate)
    assert page.url.endswith(f"/pipeline/{file.pk}/")
    expect(page.locator("[data-step='1'] .badge")).to_have_text("已完成")

    def record(number, when, **fields):
        page.select_option("#id_number", str(number))
        page.fill("#id_date", when.isoformat())
        for name, value in fields.items():
            selector = f"#id_{name}"
            if name in ("talker", "contact_1", "contact_2", "sponsor_1", "sponsor_2", "meeting", "vote"):
                page.select_option(selector, value)
            else:
                page.fill(selector, value)
        with page.expect_navigation():
            page.click("main #record button[type=submit]")
        success = page.locator(".alert-success")
        assert success.count() == 1, f"step {number}: " + page.inner_text("#record")
        expect(success).to_contain_text(f"已登记第{number}步")
        assert "违反规则" not in success.inner_text()

    def decided_by(number):
        meeting, vote = meetings[number]
        out = {"meeting": str(meeting.pk)}
        if vote is not None:
            out["vote"] = str(vote.pk)
        return out

    def publicity(number):
        start, end = PUBLICITY[number]
        return {"publicity_start": start.isoformat(), "publicity_end": end.isoformat()}

    record(2, DATES[2], talker=sponsor_1)
    record(3, DATES[3], **decided_by(3))
    record(4, DATES[4], approval_no="实验中学党总支备〔2024〕3号")
    record(5, DATES[5], contact_1=sponsor_1, contact_2=sponsor_2)
    record(6, DATES["6a"], note="第一次考察：表现良好")
    record(6, DATES["6b"], note="第二次考察：表现良好")
    record(7, DATES[7], **decided_by(7))
    record(8, DATES[8], approval_no="实验中学党总支备〔2025〕8号")
    record(9, DATES[9], sponsor_1=sponsor_1, sponsor_2=sponsor_2)
    record(10, DATES[10], conclusion="政治审查合格")
    record(11, DATES[11], training_days="3", training_hours="24")
    record(12, DATES[12], **decided_by(12))
    record(13, DATES[13], **decided_by(13), **publicity(13))
    record(14, DATES[14])
    record(15, DATES[15], **decided_by(15))
    record(16, DATES[16], talker_name="上级党委组织员")
    record(17, DATES[17], **decided_by(17), approval_no="实验中学党总支批〔2025〕17号")
    candidate.refresh_from_db()
    assert (candidate.status, candidate.joined_on) == (Status.PROBATIONARY, ASSEMBLY)
    expect(page.locator("main")).to_contain_text(f"预备期满：{PROBATION_END:%Y-%m-%d}")
    for number in (18, 19, 20, 21, 22):
        record(number, DATES[number], **({"approval_no": "区委教育工委组织部备〔2025〕18号"} if number == 18 else {}))
    record(23, DATES[23], **decided_by(23), **publicity(23))
    record(24, DATES[24], **decided_by(24), approval_no="实验中学党总支批〔2026〕24号")
    record(25, DATES[25], note="材料已归档")

    person = Person.objects.get(pk=candidate.pk)
    assert person.status == Status.FULL
    assert (person.joined_on, person.full_member_on) == (ASSEMBLY, PROBATION_END)    # 党龄 from the 预备期 end
    file.refresh_from_db()
    assert file.state == DevelopmentFile.State.DONE
    numbers = list(DevelopmentStep.objects.filter(file=file).order_by("date", "number").values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6, 6, *range(7, 26)]
    assert not DevelopmentStep.objects.filter(file=file, overridden=True).exists()
    expect(page.locator("main .badge.text-bg-success").first).to_have_text("已完成")
    expect(page.locator("[data-step] .badge", has_text="已完成")).to_have_count(25)
    expect(page.locator("#record")).to_have_count(0)                       # nothing left to record
    expect(page.locator("main")).to_contain_text(f"党龄起算：{PROBATION_END:%Y-%m-%d}")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "pipeline_walk_done_1366.png"), full_page=True)

    page.goto(page.base + f"/members/{person.pk}/")
    main = page.inner_text("main")
    assert "正式党员" in main and PROBATION_END.isoformat() in main
