"""Closing a file before admission: 申请人撤回 / 组织终止培养 with reason and date; the person is a 群众 again
(through the members service, with its history), the file is closed and shown as such, audited; bad input
changes nothing; a 预备党员's file cannot be withdrawn."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dangjian.core.models import AuditLog
from dangjian.members.models import Person, Status, StatusEvent
from dangjian.pipeline import selectors, services
from dangjian.pipeline.models import DevelopmentFile
from tests.test_pipeline_helpers import World, advance

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree):
    return World(tree)


def withdraw(world, file, **kw):
    data = {"kind": "org", "decided_on": date(2024, 9, 1), "reason": "考察期间表现不符合要求"} | kw
    return services.file_withdraw(actor=world.writer, file=file, **data)


def state(file):
    file = DevelopmentFile.objects.get(pk=file.pk)
    return file.state, Person.objects.get(pk=file.person_id).status, AuditLog.objects.count()


@pytest.mark.parametrize("upto, status", [(1, Status.APPLICANT), (3, Status.ACTIVIST), (7, Status.CANDIDATE)])
def test_withdrawing_returns_the_person_to_non_member_and_closes_the_file(world, upto, status):
    file = advance(world, world.open(date(2023, 1, 10)), upto)
    assert Person.objects.get(pk=file.person_id).status == status
    withdraw(world, file, kind="applicant", decided_on=date(2024, 6, 1), reason="个人原因撤回入党申请")
    file.refresh_from_db()
    assert file.state == DevelopmentFile.State.WITHDRAWN and file.withdrawn_on == date(2024, 6, 1)
    assert file.get_withdraw_kind_display() == "申请人撤回" and file.withdraw_reason == "个人原因撤回入党申请"
    person = Person.objects.get(pk=file.person_id)
    assert person.status == Status.NON_MEMBER and person.status_since == date(2024, 6, 1)
    event = StatusEvent.objects.filter(person=person).latest("id")
    assert event.previous_status == status and event.decided_by == "申请人本人"
    assert "申请人撤回：个人原因撤回入党申请" in event.note
    row = AuditLog.objects.filter(object_type="pipeline.developmentfile", object_id=str(file.pk)).latest("id")
    assert row.changes["withdraw"]["kind"] == "申请人撤回" and row.changes["withdraw"]["reason"] == "个人原因撤回入党申请"


def test_a_withdrawn_file_takes_no_more_steps_and_a_new_one_can_be_opened(world):
    file = advance(world, world.open(date(2023, 1, 10)), 3)
    withdraw(world, file)
    with pytest.raises(ValidationError) as exc:
        world.record(file, 4, date(2024, 9, 2))
    assert "已终止" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        withdraw(world, file)
    assert selectors.people_without_file(world.writer, world.tree["school_a"]) == []
    again = world.open(date(2024, 10, 1), person=file.person)
    assert again.state == DevelopmentFile.State.OPEN


@pytest.mark.parametrize("kw, field, message", [
    ({"reason": "  "}, "reason", "请填写原因。"),
    ({"kind": "other"}, "kind", "请选择终止方式。"),
    ({"decided_on": None}, "decided_on", "请填写日期。"),
    ({"decided_on": date(2023, 2, 1)}, "decided_on", "日期不能早于上一步骤（第3步“推荐和确定入党积极分子”，2023-02-10）。"),
    ({"decided_on": date(2099, 1, 1)}, "decided_on", "日期不能晚于今天。"),
])
def test_bad_input_changes_nothing(world, kw, field, message):
    file = advance(world, world.open(date(2023, 1, 10)), 3)
    before = state(file)
    with pytest.raises(ValidationError) as exc:
        withdraw(world, file, **kw)
    assert exc.value.message_dict[field] == [message]
    assert state(file) == before


def test_a_probationary_members_file_cannot_be_withdrawn(world):
    file = advance(world, world.open(date(2023, 1, 10)), 17)
    before = state(file)
    with pytest.raises(ValidationError) as exc:
        withdraw(world, file)
    assert "取消预备党员资格" in exc.value.messages[0]
    assert state(file) == before


def test_the_file_page_offers_withdrawal_then_shows_the_closed_file(client, world):
    file = advance(world, world.open(date(2023, 1, 10), person=world.candidate(name="赵云")), 3)
    client.force_login(world.writer)
    page = reverse("pipeline:file", args=[file.pk])
    assert "撤回或终止培养" in client.get(page).content.decode()
    url = reverse("pipeline:file_withdraw", args=[file.pk])
    response = client.post(url, {"kind": "org", "decided_on": "2024-09-01", "reason": ""})
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    response = client.post(url, {"kind": "org", "decided_on": "2024-09-01", "reason": "长期不参加培养教育"})
    assert response.status_code == 302
    html = client.get(page).content.decode()
    assert "已关闭 · 组织终止培养" in html and "2024-09-01 组织终止培养，档案已关闭：长期不参加培养教育" in html
    assert 'id="record"' not in html and "撤回或终止培养" not in html
    board = client.get(reverse("pipeline:board")).content.decode()
    assert "赵云" not in board
