"""任务清单: issue → one receipt per chosen receiver; a receiver answers; the issuer's table; edit, withdraw;
scope; bad input; query counts of the issuer's table."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.core.worklist import todos_for
from dangjian.orgs.models import Role
from dangjian.tasks import selectors, services
from dangjian.tasks.models import Receipt, ReceiptFile, Task
from tests.factories import make_org, make_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + b"0" * 64


def today():
    return timezone.localdate()


@pytest.fixture
def users(tree):
    return {"district": make_user("t_district", Role.ORG_ADMIN, tree["district"]),
            "school_a": make_user("t_school_a", Role.SECRETARY, tree["school_a"]),
            "a2": make_user("t_a2", Role.SECRETARY, tree["branch_a2"]),
            "a1": make_user("t_a1", Role.SECRETARY, tree["branch_a1"]),
            "a2_viewer": make_user("t_a2v", Role.VIEWER, tree["branch_a2"]),
            "school_b": make_user("t_b", Role.SECRETARY, tree["school_b"])}


def issue(actor, org, receivers="branches", explicit=(), due=None, **extra):
    return services.task_issue(actor=actor, org=org, title=extra.pop("title", "报送党建工作总结"),
                               due_on=due or today() + timedelta(days=10), receivers=receivers, explicit=explicit,
                               **extra)


def receivers_of(task):
    return sorted(task.receipts.values_list("org__name", flat=True))


# --- receivers ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode,expected", [
    ("branches", ["城南小学党支部", "实验中学第一党支部", "实验中学第二党支部"]),
    ("children", ["第一片区党委"]),
    ("schools", ["城南小学党支部", "实验中学党总支"]),
])
def test_issue_creates_one_receipt_for_exactly_the_chosen_receivers(tree, users, mode, expected):
    task = issue(users["district"], tree["district"], mode)
    assert receivers_of(task) == sorted(expected)
    assert task.issued_on == today() and task.status == Task.Status.OPEN
    entry = AuditLog.objects.get(event=Event.CREATE, object_type="tasks.task")
    assert sorted(entry.changes["receivers"]) == sorted(expected)


def test_explicit_receivers_and_dissolved_organisations(tree, users):
    gone = make_org(tree["school_a"], "已撤销党支部")
    gone.dissolved_on = date(2024, 1, 1)
    gone.save()
    task = issue(users["school_a"], tree["school_a"], "explicit", explicit=[tree["branch_a2"].pk, tree["group_a1"].pk])
    assert receivers_of(task) == ["实验中学第二党支部", "语文组党小组"]
    assert "已撤销党支部" not in receivers_of(issue(users["school_a"], tree["school_a"], "branches"))


@pytest.mark.parametrize("mode,explicit,field,message", [
    ("explicit", "school_b", "explicit", "下级组织"),        # not below the issuer
    ("explicit", "self", "explicit", "下级组织"),            # the issuer itself
    ("explicit", None, "explicit", "没有符合条件"),           # nothing chosen
    ("branches", None, "receivers", "没有符合条件"),          # a branch has no branches below
    ("everyone", None, "receivers", "请选择接收范围"),
])
def test_bad_receivers_are_refused(tree, users, mode, explicit, field, message):
    org = tree["branch_a2"] if mode == "branches" else tree["school_a"]
    ids = {"school_b": [tree["school_b"].pk], "self": [tree["school_a"].pk], None: []}[explicit]
    actor = users["a2"] if mode == "branches" else users["school_a"]
    with pytest.raises(ValidationError) as exc:
        issue(actor, org, mode, explicit=ids)
    assert message in exc.value.message_dict[field][0]
    assert not Task.objects.exists() and not Receipt.objects.exists()


@pytest.mark.parametrize("due,ok", [(-1, False), (0, True), (1, True)])
def test_the_due_date_may_not_be_before_today_when_issuing(tree, users, due, ok):
    if ok:
        assert issue(users["district"], tree["district"], due=today() + timedelta(days=due)).due_on >= today()
        return
    with pytest.raises(ValidationError) as exc:
        issue(users["district"], tree["district"], due=today() + timedelta(days=due))
    assert "不能早于今天" in exc.value.message_dict["due_on"][0]
    assert not Task.objects.exists()


def test_issuing_needs_the_write_right_on_the_issuer(tree, users):
    with pytest.raises(PermissionDenied):
        issue(users["a2"], tree["school_a"])
    with pytest.raises(PermissionDenied):
        issue(users["a2_viewer"], tree["branch_a2"])


def test_a_non_document_attachment_is_refused(tree, users):
    with pytest.raises(ValidationError) as exc:
        issue(users["district"], tree["district"], upload=SimpleUploadedFile("a.exe", b"MZ" + b"0" * 40))
    assert "PDF" in exc.value.message_dict["attachment"][0]
    assert not Task.objects.exists()


# --- answering ------------------------------------------------------------------------------------------------

def receipt_of(task, org):
    return Receipt.objects.get(task=task, org=org)


def test_a_receiver_answers_with_text_and_files(tree, users):
    task = issue(users["district"], tree["district"])
    receipt = receipt_of(task, tree["branch_a2"])
    services.receipt_answer(actor=users["a2"], receipt=receipt, answer="已完成总结并报送。",
                            files=[SimpleUploadedFile("总结.pdf", PDF)])
    receipt.refresh_from_db()
    assert receipt.done_on == today() and receipt.answer == "已完成总结并报送。"
    assert ReceiptFile.objects.get(receipt=receipt).original_name == "总结.pdf"
    assert receipt.state(today()) == Receipt.State.DONE
    assert AuditLog.objects.filter(event=Event.UPDATE, object_type="tasks.receipt").count() == 1


@pytest.mark.parametrize("answer", ["", "   "])
def test_an_empty_answer_is_refused(tree, users, answer):
    receipt = receipt_of(issue(users["district"], tree["district"]), tree["branch_a2"])
    with pytest.raises(ValidationError) as exc:
        services.receipt_answer(actor=users["a2"], receipt=receipt, answer=answer)
    assert "请填写完成情况" in exc.value.message_dict["answer"][0]
    receipt.refresh_from_db()
    assert receipt.done_on is None


def test_answer_pages_for_receivers_others_and_outsiders(client, tree, users):
    task = issue(users["district"], tree["district"])
    receipt = receipt_of(task, tree["branch_a2"])
    url = reverse("tasks:receipt_answer", args=[receipt.pk])
    client.force_login(users["a1"])  # a sibling branch: not a receiver of this receipt
    assert client.post(url, {"answer": "冒名反馈"}).status_code == 404
    client.force_login(users["school_b"])
    assert client.post(url, {"answer": "冒名反馈"}).status_code == 404
    client.force_login(users["a2_viewer"])  # inside, without the write right
    assert client.post(url, {"answer": "只读用户"}).status_code == 403
    client.force_login(users["a2"])
    assert client.post(url, {"answer": ""}).status_code == 400
    response = client.post(url, {"answer": "已组织学习", "files": [SimpleUploadedFile("x.pdf", PDF)]})
    assert response.status_code == 302
    receipt.refresh_from_db()
    assert receipt.answer == "已组织学习" and receipt.files.count() == 1
    assert AuditLog.objects.filter(event=Event.DENIED).count() == 3


def test_a_withdrawn_task_cannot_be_answered(tree, users):
    task = issue(users["district"], tree["district"])
    services.task_withdraw(actor=users["district"], task=task, reason="重复下达")
    with pytest.raises(ValidationError):
        services.receipt_answer(actor=users["a2"], receipt=receipt_of(task, tree["branch_a2"]), answer="完成")
    entry = AuditLog.objects.get(event=Event.UPDATE, object_type="tasks.task")
    assert entry.changes["note"] == "撤回任务" and entry.changes["open_receipts"] == 3


# --- the issuer's table ---------------------------------------------------------------------------------------

def test_issuer_table_figures_and_due_date_edit_recomputes(tree, users):
    task = issue(users["district"], tree["district"], due=today())
    services.receipt_answer(actor=users["a2"], receipt=receipt_of(task, tree["branch_a2"]), answer="完成",
                            today=today() - timedelta(days=1))
    services.receipt_answer(actor=users["a1"], receipt=receipt_of(task, tree["branch_a1"]), answer="完成",
                            today=today() + timedelta(days=2))
    on = today() + timedelta(days=3)
    rows, figures = selectors.issuer_table(task, on)
    states = {r.org.name: r.current_state for r in selectors.with_states(rows, on, task)}
    assert states == {"实验中学第一党支部": "done_late", "实验中学第二党支部": "done", "城南小学党支部": "overdue"}
    assert (figures["total"], figures["done"], figures["done_late"], figures["overdue"], figures["open"],
            figures["rate"]) == (3, 1, 1, 1, 0, 67)
    # Moving the due date later recomputes every state.
    services.task_update(actor=users["district"], task=task, due_on=today() + timedelta(days=5))
    task.refresh_from_db()
    _, figures = selectors.issuer_table(task, on)
    assert (figures["done"], figures["done_late"], figures["overdue"], figures["open"]) == (2, 0, 0, 1)
    change = AuditLog.objects.get(event=Event.UPDATE, object_type="tasks.task").changes
    assert change["after"]["due_on"] == (today() + timedelta(days=5)).isoformat()


def test_editing_the_due_date_before_the_issue_date_is_refused(tree, users):
    task = issue(users["district"], tree["district"])
    with pytest.raises(ValidationError) as exc:
        services.task_update(actor=users["district"], task=task, due_on=today() - timedelta(days=1))
    assert "不能早于下达日期" in exc.value.message_dict["due_on"][0]


def test_issuer_page_shows_the_table(client, tree, users):
    task = issue(users["district"], tree["district"])
    services.receipt_answer(actor=users["a2"], receipt=receipt_of(task, tree["branch_a2"]), answer="完成")
    client.force_login(users["district"])
    page = client.get(reverse("tasks:task_detail", args=[task.pk])).content.decode()
    assert 'data-figure="rate">33%' in page and "实验中学第二党支部" in page and "已完成" in page


def test_issuer_table_query_count_does_not_grow(client, tree, users, django_assert_max_num_queries):
    client.force_login(users["district"])
    small = issue(users["district"], tree["district"], "children")
    with django_assert_max_num_queries(20) as captured:
        assert client.get(reverse("tasks:task_detail", args=[small.pk])).status_code == 200
    for i in range(25):
        make_org(tree["area"], f"新学校{i}党支部")
    big = issue(users["district"], tree["district"], "branches")
    assert big.receipts.count() == 28
    for receipt in big.receipts.all()[:10]:
        services.receipt_answer(actor=users["district"], receipt=receipt, answer="完成",
                                files=[SimpleUploadedFile("a.pdf", PDF)])
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert client.get(reverse("tasks:task_detail", args=[big.pk])).status_code == 200


# --- scope and the pages ----------------------------------------------------------------------------------------

def test_scope_a_receiver_sees_its_receipt_an_outsider_sees_nothing(client, tree, users):
    task = issue(users["school_a"], tree["school_a"], "explicit", explicit=[tree["branch_a2"].pk])
    assert list(Task.objects.visible_to(users["a2"])) == [task]
    assert list(Task.objects.visible_to(users["district"])) == [task]
    assert not Task.objects.visible_to(users["a1"]).exists()
    assert not Task.objects.visible_to(users["school_b"]).exists()
    client.force_login(users["a2"])
    page = client.get(reverse("tasks:task_detail", args=[task.pk]))
    assert page.status_code == 200 and "反馈完成情况" in page.content.decode()
    assert "figures" not in page.context or page.context.get("figures") is None
    client.force_login(users["school_b"])
    assert client.get(reverse("tasks:task_detail", args=[task.pk])).status_code == 404
    client.force_login(users["a2"])  # a receiver may not edit or withdraw the issuer's task
    assert client.post(reverse("tasks:task_withdraw", args=[task.pk])).status_code == 403


def test_home_lists_received_and_issued_with_filters(client, tree, users):
    open_task = issue(users["district"], tree["district"], title="开展主题党日")
    done_task = issue(users["district"], tree["district"], title="报送发展党员计划")
    services.receipt_answer(actor=users["a2"], receipt=receipt_of(done_task, tree["branch_a2"]), answer="已报送")
    client.force_login(users["a2"])
    received = client.get(reverse("tasks:home")).content.decode()
    assert "开展主题党日" in received and "报送发展党员计划" in received
    only_open = client.get(reverse("tasks:home") + "?state=open").content.decode()
    assert "开展主题党日" in only_open and "报送发展党员计划" not in only_open
    assert "暂无下达的任务" in client.get(reverse("tasks:home") + "?tab=issued").content.decode()
    client.force_login(users["district"])
    issued = client.get(reverse("tasks:home") + "?tab=issued&q=主题").content.decode()
    assert "开展主题党日" in issued and "报送发展党员计划" not in issued
    assert open_task.pk


def test_issue_through_the_page(client, tree, users):
    client.force_login(users["school_a"])
    response = client.post(reverse("tasks:task_new"), {
        "org": tree["school_a"].pk, "title": "迎检材料", "body": "按清单准备", "receivers": "explicit",
        "explicit": [tree["branch_a1"].pk, tree["branch_a2"].pk], "due_on": (today() + timedelta(days=3)).isoformat(),
        "attachment": SimpleUploadedFile("清单.pdf", PDF)})
    assert response.status_code == 302
    task = Task.objects.get()
    assert receivers_of(task) == ["实验中学第一党支部", "实验中学第二党支部"] and task.attachment_name == "清单.pdf"
    download = client.get(reverse("tasks:task_file", args=[task.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    bad = client.post(reverse("tasks:task_new"), {
        "org": tree["school_a"].pk, "title": "过期任务", "receivers": "branches",
        "due_on": (today() - timedelta(days=1)).isoformat()})
    assert bad.status_code == 400 and "完成期限不能早于今天" in bad.content.decode()
    assert Task.objects.count() == 1


def test_todos_show_open_tasks_to_receiving_writers(tree, users):
    task = issue(users["district"], tree["district"], title="上报统计表")
    titles = [t.title for t in todos_for(users["a2"], today()) if t.kind == "任务"]
    assert titles == ["完成并反馈：上报统计表（实验中学第二党支部）"]
    assert not [t for t in todos_for(users["a2_viewer"], today()) if t.kind == "任务"]
    services.receipt_answer(actor=users["a2"], receipt=receipt_of(task, tree["branch_a2"]), answer="已上报")
    assert not [t for t in todos_for(users["a2"], today()) if t.kind == "任务"]
    overdue = [t for t in todos_for(users["a1"], today() + timedelta(days=11)) if t.kind == "任务"]
    assert overdue[0].overdue
    # the issuer (a writer of every receiver's ancestor) answers none of them: no to-do per receiver
    assert not [t for t in todos_for(users["district"], today()) if t.kind == "任务"]


@pytest.mark.parametrize("url", ["/tasks/", "/tasks/?tab=issued", "/tasks/pledges/", "/tasks/instructors/"])
def test_list_pages_use_a_fixed_number_of_queries(client, tree, users, url, django_assert_max_num_queries):
    client.force_login(users["district"])
    issue(users["district"], tree["district"])
    with django_assert_max_num_queries(20) as captured:
        assert client.get(url).status_code == 200
    for i in range(6):
        make_org(tree["area"], f"又一所学校{i}党支部")
        issue(users["district"], tree["district"], title=f"任务{i}")
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert client.get(url).status_code == 200
