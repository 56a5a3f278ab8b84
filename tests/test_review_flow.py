"""民主评议党员: the whole flow through services and pages, bad input, scope and audit rows.

Helpers here (`branch_with_members`, `open_round`, `vote_all`) are used by the other tests/test_review_*.py files.
"""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.members.models import Status
from dangjian.orgs.models import Role
from dangjian.review import services
from dangjian.review.models import Comment, FollowUp, Grade, Round, StaffCode, Subject, Tally, Voter
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db


def branch_with_members(org, n, *, probationary=0, prefix="党员"):
    """n members of `org` (the last `probationary` of them 预备党员), each with a login; returns [(person, user)]."""
    out = []
    for i in range(n):
        status = Status.PROBATIONARY if i >= n - probationary else Status.FULL
        person = make_person(org, name=f"{prefix}{i + 1:02d}", status=status)
        out.append((person, make_user(person=person)))
    return out


def open_round(secretary, org, year=None):
    today = timezone.localdate()
    r = services.round_create(actor=secretary, org=org, year=year or today.year, starts_on=today, ends_on=today)
    return services.round_open(actor=secretary, round=r)


def grades_for(round_, grade=Grade.QUALIFIED, exclude_person=None):
    return {s.pk: grade for s in services.ballot_targets(round_, exclude_person=exclude_person)}


def vote_all(round_, members, grade=Grade.QUALIFIED):
    for person, user in members:
        services.peer_ballot_submit(actor=user, round=round_, grades=grades_for(round_, grade, person))


@pytest.fixture
def setup(tree):
    org = tree["branch_a1"]
    secretary = make_user(role=Role.SECRETARY, org=tree["school_a"])
    members = branch_with_members(org, 4, probationary=1)
    make_person(org, status=Status.ACTIVIST)  # not a party member: never on the list
    return {"org": org, "secretary": secretary, "members": members, "tree": tree}


def test_whole_flow_from_creation_to_closing(client, setup):
    sec, org, members = setup["secretary"], setup["org"], setup["members"]
    client.force_login(sec)
    today = timezone.localdate()
    response = client.post(reverse("review:round_create"), {"org": org.pk, "year": today.year,
                                                             "starts_on": today, "ends_on": today, "note": "结合组织生活会"})
    r = Round.objects.get(org=org)
    assert response.status_code == 302 and r.status == Round.Status.PREPARING
    assert client.get(reverse("review:round_detail", args=[r.pk])).status_code == 200
    client.post(reverse("review:round_advance", args=[r.pk]))
    r.refresh_from_db()
    assert r.status == Round.Status.EVALUATING and r.opened_on == today
    assert r.subjects.count() == 4 and Voter.objects.filter(round=r).count() == 4
    assert r.subjects.get(person=members[3][0]).probationary

    # Each member: self-review and peer ballot (on their own page).
    for person, user in members:
        client.force_login(user)
        assert client.get(reverse("review:mine", args=[r.pk])).status_code == 200
        assert client.post(reverse("review:self_review", args=[r.pk]), {"text": f"{person.name}的自我评价"}).status_code == 302
        data = {f"grade_{s.pk}": "excellent" if s.person == members[0][0] else "qualified"
                for s in services.ballot_targets(r, exclude_person=person)}
        assert client.post(reverse("review:ballot", args=[r.pk]), data).status_code == 302
    assert Voter.objects.filter(round=r, voted=True).count() == 4
    first = Tally.objects.get(subject__person=members[0][0])
    assert (first.peer_excellent, first.peer_qualified) == (3, 0)
    second = Tally.objects.get(subject__person=members[1][0])
    assert (second.peer_excellent, second.peer_qualified) == (0, 3)

    # Staff: the secretary generates codes, a staff member uses one without logging in.
    client.force_login(sec)
    response = client.post(reverse("review:staff_codes", args=[r.pk]), {"count": 2})
    codes = response.context["codes"]
    assert len(codes) == 2 and StaffCode.objects.filter(round=r).count() == 2
    client.logout()
    step = client.post(reverse("review:staff"), {"code": codes[0].lower()})
    assert step.status_code == 200 and step.context["ballot"] is not None
    data = {"code": codes[0], "step": "ballot", "branch_grade": "satisfied", "branch_comment": "支部战斗力强"}
    data |= {f"grade_{s.pk}": "qualified" for s in services.ballot_targets(r)}
    assert client.post(reverse("review:staff"), data).context["done"]
    r.refresh_from_db()
    assert r.staff_satisfied == 1 and Tally.objects.get(subject__person=members[0][0]).staff_qualified == 1

    # Committee: tallies visible only after evaluation ends; grade; 不合格 needs a follow-up to close.
    client.force_login(sec)
    assert "计票结果在" in client.get(reverse("review:tally", args=[r.pk])).content.decode()
    client.post(reverse("review:round_advance", args=[r.pk]))
    r.refresh_from_db()
    assert r.status == Round.Status.COMMITTEE
    page = client.get(reverse("review:tally", args=[r.pk])).content.decode()
    assert "支部战斗力强" in page and f"{members[0][0].name}的自我评价" in page
    subjects = {s.person_id: s for s in r.subjects.all()}
    grades = {members[0][0].pk: "basic", members[1][0].pk: "excellent", members[2][0].pk: "qualified",
              members[3][0].pk: "unqualified"}
    data = {f"final_{subjects[pid].pk}": g for pid, g in grades.items()}
    data |= {f"proposed_{subjects[pid].pk}": g for pid, g in grades.items()}
    assert client.post(reverse("review:tally", args=[r.pk]), data).status_code == 302
    client.post(reverse("review:round_advance", args=[r.pk]))
    r.refresh_from_db()
    assert r.status == Round.Status.COMMITTEE  # refused: the 不合格 member has no follow-up yet
    weak = subjects[members[3][0].pk]
    response = client.post(reverse("review:follow_up", args=[weak.pk]), {"measure": "correction", "due_on": ""})
    assert response.status_code == 400 and "限期改正须填写改正期限" in response.content.decode()
    due = today.replace(year=today.year + 1, month=3, day=31)
    assert client.post(reverse("review:follow_up", args=[weak.pk]),
                       {"measure": "correction", "due_on": due, "detail": "谈话提醒"}).status_code == 302
    client.post(reverse("review:round_advance", args=[r.pk]))
    r.refresh_from_db()
    assert r.status == Round.Status.CLOSED and r.closed_on == today
    results = client.get(reverse("review:results", args=[r.pk])).content.decode()
    assert "限期改正" in results and "谈话提醒" in results
    export = client.get(reverse("review:results_export", args=[r.pk]))
    assert export["Content-Disposition"].startswith("attachment") and export.content[:2] == b"PK"
    events = set(AuditLog.objects.values_list("object_type", "event"))
    for expected in [("review.round", "create"), ("review.round", "update"), ("review.self_review", "create"),
                     ("review.peer_ballot", "create"), ("review.staff_codes", "create"),
                     ("review.staff_ballot", "create"), ("review.grades", "update"), ("review.followup", "create"),
                     ("review.results", "export")]:
        assert expected in events, expected


def test_one_round_per_org_and_year(setup):
    sec, org = setup["secretary"], setup["org"]
    today = timezone.localdate()
    services.round_create(actor=sec, org=org, year=today.year, starts_on=today, ends_on=today)
    with pytest.raises(ValidationError) as exc:
        services.round_create(actor=sec, org=org, year=today.year, starts_on=today, ends_on=today)
    from dangjian.api.errors import is_conflict

    assert is_conflict(exc.value) and "已有民主评议" in str(exc.value)
    assert Round.objects.count() == 1


@pytest.mark.parametrize("field,value,message", [
    ("year", 1999, "评议年度须在"), ("year", "future", "评议年度须在"), ("ends_on", date(2000, 1, 1), "不能早于开始日期"),
])
def test_bad_round_input_changes_nothing(setup, field, value, message):
    today = timezone.localdate()
    data = {"year": today.year, "starts_on": today, "ends_on": today}
    data[field] = today.year + 1 if value == "future" else value
    with pytest.raises(ValidationError) as exc:
        services.round_create(actor=setup["secretary"], org=setup["org"], **data)
    assert message in str(exc.value) and not Round.objects.exists()


def test_round_must_belong_to_a_branch_and_the_actor_must_write(setup):
    tree, today = setup["tree"], timezone.localdate()
    with pytest.raises(ValidationError, match="以党支部为单位"):
        services.round_create(actor=setup["secretary"], org=tree["school_a"], year=today.year, starts_on=today,
                              ends_on=today)
    viewer = make_user(role=Role.VIEWER, org=tree["school_a"])
    with pytest.raises(PermissionDenied):
        services.round_create(actor=viewer, org=setup["org"], year=today.year, starts_on=today, ends_on=today)
    assert not Round.objects.exists()


def test_edit_and_delete_are_audited_and_delete_only_while_preparing(setup):
    sec, today = setup["secretary"], timezone.localdate()
    r = services.round_create(actor=sec, org=setup["org"], year=today.year, starts_on=today, ends_on=today)
    services.round_update(actor=sec, round=r, starts_on=today, ends_on=today, note="新说明")
    assert AuditLog.objects.filter(object_type="review.round", event="update").last().changes["after"] == {
        "note": "新说明"}
    services.round_delete(actor=sec, round=r)
    deleted = AuditLog.objects.filter(object_type="review.round", event="delete").get()
    assert deleted.changes["deleted"]["year"] == today.year and not Round.objects.exists()
    r = open_round(sec, setup["org"])
    with pytest.raises(ValidationError, match="不能删除"):
        services.round_delete(actor=sec, round=r)
    assert Round.objects.filter(pk=r.pk).exists()


def test_opening_fixes_the_list_and_exempt_members_are_out_of_it(setup):
    sec, org, members = setup["secretary"], setup["org"], setup["members"]
    r = open_round(sec, org)
    make_person(org, name="后来转入")  # joins after opening: not on the list
    assert set(r.subjects.values_list("person__name", flat=True)) == {p.name for p, _ in members}
    sick = r.subjects.get(person=members[0][0])
    with pytest.raises(ValidationError, match="原因"):
        services.subject_exempt(actor=sec, subject=sick, exempt=True, reason="  ")
    services.subject_exempt(actor=sec, subject=sick, exempt=True, reason="长期病假")
    assert sick.person not in [s.person for s in services.ballot_targets(r)]
    with pytest.raises(ValidationError, match="不参加本次评议"):
        services.self_review_submit(actor=members[0][1], round=r, text="自评")
    with pytest.raises(ValidationError, match="不参加本次评议"):
        services.peer_ballot_submit(actor=members[0][1], round=r, grades={})
    assert AuditLog.objects.filter(object_type="review.subject", event="update").exists()


def test_self_review_editable_until_the_round_moves_on(setup):
    sec, (person, user) = setup["secretary"], setup["members"][0]
    r = open_round(sec, setup["org"])
    services.self_review_submit(actor=user, round=r, text="第一稿")
    services.self_review_submit(actor=user, round=r, text="第二稿")
    assert Subject.objects.get(round=r, person=person).self_review == "第二稿"
    with pytest.raises(ValidationError, match="请填写自我评价"):
        services.self_review_submit(actor=user, round=r, text="   ")
    services.round_to_committee(actor=sec, round=r)
    with pytest.raises(ValidationError, match="不在自评互评期间"):
        services.self_review_submit(actor=user, round=r, text="第三稿")
    assert Subject.objects.get(round=r, person=person).self_review == "第二稿"


def test_rounds_that_are_not_open_refuse_evaluations(setup, client):
    sec, members, today = setup["secretary"], setup["members"], timezone.localdate()
    preparing = services.round_create(actor=sec, org=setup["org"], year=today.year - 1, starts_on=today,
                                      ends_on=today)
    codes = services.staff_codes_generate(actor=sec, round=preparing, count=1)
    with pytest.raises(ValidationError, match="不在进行中"):
        services.staff_code_round(codes[0])
    r = open_round(sec, setup["org"])
    services.round_to_committee(actor=sec, round=r)
    with pytest.raises(ValidationError, match="不在自评互评期间"):
        services.peer_ballot_submit(actor=members[0][1], round=r, grades=grades_for(r, exclude_person=members[0][0]))
    with pytest.raises(ValidationError, match="不能再生成评议码"):
        services.staff_codes_generate(actor=sec, round=r, count=1)
    assert not Voter.objects.filter(voted=True).exists() and not Comment.objects.exists()
    assert set(Tally.objects.values_list("peer_qualified", flat=True)) == {0}
    client.force_login(members[0][1])
    response = client.post(reverse("review:ballot", args=[r.pk]),
                           {f"grade_{pk}": "qualified" for pk in grades_for(r, exclude_person=members[0][0])})
    assert response.status_code == 400 and "互评已截止" in response.content.decode()


def test_a_ballot_must_grade_every_peer_with_a_valid_grade(setup):
    sec, (person, user) = setup["secretary"], setup["members"][0]
    r = open_round(sec, setup["org"])
    grades = grades_for(r, exclude_person=person)
    partial = dict(list(grades.items())[:1])
    with pytest.raises(ValidationError, match="请为每位党员选择评议等次"):
        services.peer_ballot_submit(actor=user, round=r, grades=partial)
    with pytest.raises(ValidationError, match="评议等次须为"):
        services.peer_ballot_submit(actor=user, round=r, grades={k: "best" for k in grades})
    own = Subject.objects.get(round=r, person=person)
    with pytest.raises(ValidationError, match="不在本次评议名单中"):
        services.peer_ballot_submit(actor=user, round=r, grades=grades | {own.pk: "excellent"})
    with pytest.raises(ValidationError, match="不能超过"):
        services.peer_ballot_submit(actor=user, round=r, grades=grades, comments={next(iter(grades)): "长" * 501})
    assert not Voter.objects.filter(voted=True).exists() and not Comment.objects.exists()


def test_outsider_cannot_see_or_use_a_members_page(setup, client, tree):
    r = open_round(setup["secretary"], setup["org"])
    other = make_person(tree["school_b"])
    outsider = make_user(person=other)
    client.force_login(outsider)
    assert client.get(reverse("review:mine", args=[r.pk])).status_code == 404
    assert client.post(reverse("review:ballot", args=[r.pk]), {}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.peer_ballot_submit(actor=outsider, round=r, grades={})


def test_scope_branch_sees_its_own_district_sees_all(setup, tree, client):
    sec = setup["secretary"]
    r_in = open_round(sec, setup["org"])
    sec_b = make_user(role=Role.SECRETARY, org=tree["school_b"])
    make_person(tree["school_b"])
    r_out = open_round(sec_b, tree["school_b"])
    district = make_user(role=Role.VIEWER, org=tree["district"])
    client.force_login(district)
    listed = client.get(reverse("review:home")).content.decode()
    assert tree["school_b"].name in listed and setup["org"].name in listed
    client.force_login(sec)
    listed = client.get(reverse("review:home")).content.decode()
    assert setup["org"].name in listed and tree["school_b"].name not in listed
    assert client.get(reverse("review:round_detail", args=[r_out.pk])).status_code == 404
    assert client.get(reverse("review:tally", args=[r_in.pk])).status_code == 200
    assert AuditLog.objects.filter(event="denied", object_type="review.round").exists()


def test_member_home_and_todos(setup):
    from dangjian.core.worklist import todos_for

    sec, (person, user) = setup["secretary"], setup["members"][0]
    r = open_round(sec, setup["org"])
    today = timezone.localdate()
    titles = [t.title for t in todos_for(user, today)]
    assert any("完成民主评议自评、互评" in t for t in titles)
    services.self_review_submit(actor=user, round=r, text="自评")
    assert any("完成民主评议互评" in t for t in (t.title for t in todos_for(user, today)))
    services.peer_ballot_submit(actor=user, round=r, grades=grades_for(r, exclude_person=person))
    assert not [t for t in todos_for(user, today) if t.kind == "评议"]


def test_follow_up_todo_for_writers(setup):
    from dangjian.core.worklist import todos_for

    sec, members = setup["secretary"], setup["members"]
    r = open_round(sec, setup["org"])
    services.round_to_committee(actor=sec, round=r)
    weak = r.subjects.get(person=members[0][0])
    services.grades_set(actor=sec, round=r, proposed={}, final={weak.pk: Grade.UNQUALIFIED})
    today = timezone.localdate()
    services.follow_up_set(actor=sec, subject=Subject.objects.get(pk=weak.pk), measure=FollowUp.Measure.CORRECTION,
                           due_on=today)
    items = [t for t in todos_for(sec, today) if t.kind == "评议"]
    assert len(items) == 1 and members[0][0].name in items[0].title and not items[0].overdue
