"""Study tasks, study logs, completion rates and the life to-dos."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dangjian.life import services, todos
from dangjian.life.models import StudyLog, StudyTask
from tests.factories import make_user
from tests.life_helpers import member, writer

pytestmark = pytest.mark.django_db
TODAY = date(2024, 5, 10)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def task(actor, org, **kw):
    return services.study_task_create(actor=actor, org=org, title=kw.pop("title", "学习二十大精神"),
                                      starts_on=kw.pop("starts_on", date(2024, 5, 1)),
                                      due_on=kw.pop("due_on", date(2024, 5, 31)), **kw)


def test_task_due_before_start_is_refused(tree):
    with pytest.raises(ValidationError, match="完成期限不能早于开始日期"):
        task(writer(tree["school_a"]), tree["school_a"], due_on=date(2024, 4, 1))
    assert not StudyTask.objects.exists()


def test_member_logs_completion_once_and_only_for_own_line(tree):
    t = task(writer(tree["school_a"]), tree["school_a"])
    me = member(tree["branch_a1"])
    user = make_user(person=me)
    services.study_log_add(actor=user, task=t, date=TODAY, hours=Decimal("2"), today=TODAY)
    with pytest.raises(ValidationError, match="已登记完成"):
        services.study_log_add(actor=user, task=t, date=TODAY, hours=Decimal("1"), today=TODAY)
    foreign = task(writer(tree["school_b"]), tree["school_b"])
    with pytest.raises(ValidationError, match="不是下达给您"):
        services.study_log_add(actor=user, task=foreign, date=TODAY, hours=Decimal("1"), today=TODAY)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.study_log_add(actor=user, date=TODAY + timedelta(days=1), hours=Decimal("1"), today=TODAY)
    with pytest.raises(ValidationError, match="学时须大于0"):
        services.study_log_add(actor=user, date=TODAY, hours=Decimal("0"), today=TODAY)
    services.study_log_add(actor=user, date=TODAY, hours=Decimal("1.5"), notes="自学党史", today=TODAY)
    assert StudyLog.objects.filter(person=me).count() == 2


def test_study_attachment_is_checked(tree):
    me = member(tree["branch_a1"])
    user = make_user(person=me)
    with pytest.raises(ValidationError, match="只能上传"):
        services.study_log_add(actor=user, date=TODAY, hours=Decimal("1"), today=TODAY,
                               upload=SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf"))
    assert not StudyLog.objects.exists()


def test_task_with_completions_cannot_be_deleted(tree):
    user = writer(tree["school_a"])
    t = task(user, tree["school_a"])
    services.study_log_add(actor=make_user(person=member(tree["branch_a1"])), task=t, date=TODAY, hours=Decimal("1"),
                           today=TODAY)
    with pytest.raises(ValidationError, match="不能删除"):
        services.study_task_delete(actor=user, task=t)
    empty = task(user, tree["school_a"], title="空任务")
    services.study_task_delete(actor=user, task=empty)
    assert not StudyTask.objects.filter(title="空任务").exists()


def _fill(tree, t, n):
    for i in range(n):
        p = member(tree["branch_a1"] if i % 2 else tree["branch_a2"])
        if i % 3 == 0:
            StudyLog.objects.create(person=p, task=t, date=TODAY, hours=1)


def test_task_page_shows_completion_per_org_with_fixed_queries(client, tree, django_assert_num_queries):
    user = writer(tree["school_a"])
    t = task(user, tree["school_a"])
    _fill(tree, t, 4)
    client.force_login(user)
    url = reverse("life:study_task_detail", args=[t.pk])
    client.get(url)
    with django_assert_num_queries(10) as small:
        assert client.get(url).status_code == 200
    _fill(tree, t, 30)
    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get(url).content.decode()
    assert "实验中学第一党支部" in body and "未完成人员" in body


def test_completion_counts_are_right(tree):
    user = writer(tree["school_a"])
    t = task(user, tree["school_a"])
    a, b = member(tree["branch_a1"]), member(tree["branch_a1"])
    member(tree["branch_a2"])
    StudyLog.objects.create(person=a, task=t, date=TODAY, hours=1)
    StudyLog.objects.create(person=a, date=TODAY, hours=1)  # self-directed: not a completion
    from dangjian.life.selectors import task_completion
    rows, missing, missing_total = task_completion(user, t)
    by_org = {r["org__name"]: (r["total"], r["done"], r["rate"]) for r in rows}
    assert by_org == {"实验中学第一党支部": (2, 1, 50), "实验中学第二党支部": (1, 0, 0)}
    assert missing_total == 2 and a not in missing and b in missing


def test_ancestor_task_is_visible_to_a_school_secretary_limited_to_their_school(client, tree):
    district_user = writer(tree["district"])
    t = task(district_user, tree["district"], title="全区学习任务")
    member(tree["branch_a1"], name="本校党员")
    member(tree["school_b"], name="外校党员")
    sec = writer(tree["school_a"])
    client.force_login(sec)
    body = client.get(reverse("life:study_task_detail", args=[t.pk])).content.decode()
    assert "本校党员" in body and "外校党员" not in body
    assert client.get(reverse("life:study_task_edit", args=[t.pk])).status_code == 403


def test_study_log_page_for_member(client, tree):
    t = task(writer(tree["school_a"]), tree["school_a"], starts_on=timezone.localdate() - timedelta(days=1),
             due_on=timezone.localdate() + timedelta(days=5))
    me = member(tree["branch_a1"])
    client.force_login(make_user(person=me))
    response = client.post(reverse("life:study_log_add"), {"task": t.pk, "date": timezone.localdate().isoformat(),
                                                            "hours": "2", "notes": "读原著"})
    assert response.status_code == 302
    assert "读原著" in client.get(reverse("life:study_mine")).content.decode()


# --- to-dos --------------------------------------------------------------------------------


def test_todos_list_meetings_tasks_and_backlog_with_fixed_queries(tree, django_assert_num_queries):
    org = tree["branch_a1"]
    sec_person = member(org)
    sec = make_user(person=sec_person)
    from dangjian.orgs.models import Role, RoleAssignment
    RoleAssignment.objects.create(user=sec, org=org, role=Role.SECRETARY)
    services.meeting_plan(actor=sec, org=org, type="assembly", theme="下周大会", date=TODAY + timedelta(days=7))
    services.meeting_plan(actor=sec, org=org, type="assembly", theme="太远", date=TODAY + timedelta(days=31))
    services.meeting_plan(actor=sec, org=org, type="committee", theme="上月支委会", date=TODAY - timedelta(days=20))
    task(sec, org, title="必读书目")
    from dangjian.core.scoping import forget
    forget(sec)
    with django_assert_num_queries(5) as small:
        items = todos.todos_for(sec, TODAY)
    titles = [i.title for i in items]
    assert any(t.startswith("参加：") and "下周大会" in t for t in titles)
    assert not any("太远" in t for t in titles)
    assert any("必读书目" in t for t in titles)
    assert any(t.startswith("补录会议记录") for t in titles)
    for i in range(10):
        services.meeting_plan(actor=sec, org=org, type="assembly", theme=f"会{i}", date=TODAY + timedelta(days=i))
        task(sec, org, title=f"任务{i}")
    forget(sec)
    with django_assert_num_queries(len(small.captured_queries)):
        todos.todos_for(sec, TODAY)
