"""党建目标责任书 (who has / has not signed for a year), 党建指导员 (assigned to schools, contact masked), and the
year-end summary figures."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dangjian.api.errors import is_conflict
from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.tasks import selectors, services
from dangjian.tasks.models import Instructor, Pledge, Receipt
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n" + b"0" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture
def users(tree):
    return {"district": make_user("p_district", Role.ORG_ADMIN, tree["district"]),
            "school_a": make_user("p_school_a", Role.SECRETARY, tree["school_a"]),
            "viewer": make_user("p_viewer", Role.VIEWER, tree["school_a"]),
            "school_b": make_user("p_b", Role.SECRETARY, tree["school_b"])}


def pledge(actor, org, year=2026, **extra):
    return services.pledge_save(actor=actor, org=org, year=year, signed_on=extra.pop("signed_on", date(2026, 2, 1)),
                                signers=extra.pop("signers", "书记 王某"),
                                upload=extra.pop("upload", SimpleUploadedFile("责任书.pdf", PDF)), **extra)


# --- pledges ----------------------------------------------------------------------------------------------------

def test_coverage_shows_who_signed_for_the_year(tree, users):
    pledge(users["school_a"], tree["school_a"])
    pledge(users["school_a"], tree["branch_a1"], year=2025, signed_on=date(2025, 2, 1))
    rows = {o.name: p for o, p in selectors.pledge_coverage(tree["school_a"], 2026)}
    assert set(rows) == {"实验中学党总支", "实验中学第一党支部", "实验中学第二党支部"}  # no 党小组
    assert rows["实验中学党总支"] is not None and rows["实验中学第一党支部"] is None


def test_pledge_create_edit_delete_are_audited(tree, users):
    p = pledge(users["school_a"], tree["branch_a2"])
    assert p.file_name == "责任书.pdf" and p.content_type == "application/pdf"
    services.pledge_save(actor=users["school_a"], org=tree["branch_a2"], year=2026, signed_on=date(2026, 3, 1),
                         signers="书记 李某", pledge=p)
    p.refresh_from_db()
    assert p.signers == "书记 李某" and p.file_name == "责任书.pdf"  # the file is kept when none is sent
    services.pledge_delete(actor=users["school_a"], pledge=p)
    assert not Pledge.objects.exists()
    events = list(AuditLog.objects.filter(object_type="tasks.pledge").order_by("id").values_list("event", flat=True))
    assert events == [Event.CREATE, Event.UPDATE, Event.DELETE]


@pytest.mark.parametrize("extra,field,message", [
    ({"upload": None}, "file", "请上传责任书文件"),
    ({"upload": SimpleUploadedFile("x.txt", b"hello world, not a pdf")}, "file", "PDF"),
    ({"signed_on": timezone.localdate() + timedelta(days=1)}, "signed_on", "不能晚于今天"),
    ({"signers": "  "}, "signers", "请填写签订人"),
    ({"year": 1999}, "year", "年度应在"),
])
def test_bad_pledges_are_refused(tree, users, extra, field, message):
    with pytest.raises(ValidationError) as exc:
        pledge(users["school_a"], tree["branch_a2"], **extra)
    assert message in exc.value.message_dict[field][0]
    assert not Pledge.objects.exists()


def test_a_second_pledge_for_the_same_year_is_a_conflict(tree, users):
    pledge(users["school_a"], tree["branch_a2"])
    with pytest.raises(ValidationError) as exc:
        pledge(users["school_a"], tree["branch_a2"], upload=SimpleUploadedFile("p.png", PNG))
    assert is_conflict(exc.value) and Pledge.objects.count() == 1


def test_pledge_pages(client, tree, users):
    client.force_login(users["school_a"])
    response = client.post(reverse("tasks:pledge_new"), {
        "org": tree["branch_a1"].pk, "year": 2026, "signed_on": "2026-02-10", "signers": "书记 赵某",
        "file": SimpleUploadedFile("scan.png", PNG)})
    assert response.status_code == 302
    page = client.get(reverse("tasks:pledges") + f"?org={tree['school_a'].pk}&year=2026").content.decode()
    assert "已签订 <strong>1</strong> / 3" in page and "未签订" in page
    p = Pledge.objects.get()
    download = client.get(reverse("tasks:pledge_file", args=[p.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    client.force_login(users["school_b"])
    assert client.get(reverse("tasks:pledge_file", args=[p.pk])).status_code == 404
    client.force_login(users["viewer"])
    assert client.post(reverse("tasks:pledge_delete", args=[p.pk])).status_code == 403


# --- instructors ----------------------------------------------------------------------------------------------

def test_instructor_assigned_to_a_school_with_masked_contact(client, tree, users):
    person = make_person(tree["district"], name="周指导")
    i = services.instructor_save(actor=users["district"], org=tree["school_b"], person=person, name="",
                                 unit="区教育局", started_on=date(2026, 1, 1), phone="13912345678")
    assert i.name == "周指导" and i.phone_masked == "139****5678" and i.get_phone() == "13912345678"
    services.instructor_save(actor=users["district"], instructor=i, unit="区教师发展中心", phone=None)
    i.refresh_from_db()
    assert i.unit == "区教师发展中心" and i.get_phone() == "13912345678"
    client.force_login(users["district"])
    page = client.get(reverse("tasks:instructors")).content.decode()
    assert "周指导" in page and "139****5678" in page and "13912345678" not in page
    client.force_login(users["school_a"])  # another school's instructor: not in this list
    assert "周指导" not in client.get(reverse("tasks:instructors")).content.decode()
    services.instructor_delete(actor=users["district"], instructor=i)
    events = list(AuditLog.objects.filter(object_type="tasks.instructor").order_by("id").values_list("event", flat=True))
    assert events == [Event.CREATE, Event.UPDATE, Event.DELETE]
    assert "13912345678" not in str(list(AuditLog.objects.values_list("changes", flat=True)))


@pytest.mark.parametrize("fields,field,message", [
    ({"org": "branch_a2"}, "org", "学校党组织"),                   # a branch inside a school is not a school
    ({"name": ""}, "name", "请填写姓名"),
    ({"ended_on": date(2025, 1, 1)}, "ended_on", "不能早于起始日期"),
    ({"phone": "12ab"}, "phone", "手机号"),
])
def test_bad_instructors_are_refused(tree, users, fields, field, message):
    data = {"org": tree["school_a"], "name": "吴指导", "unit": "区教育局", "started_on": date(2026, 1, 1),
            "phone": ""} | {k: (tree[v] if k == "org" else v) for k, v in fields.items()}
    with pytest.raises(ValidationError) as exc:
        services.instructor_save(actor=users["district"], **data)
    assert message in exc.value.message_dict[field][0]
    assert not Instructor.objects.exists()


def test_schools_are_the_organisations_directly_under_a_committee(tree, users):
    assert [o.name for o in selectors.school_orgs(users["district"])] == ["实验中学党总支", "城南小学党支部"]
    assert [o.name for o in selectors.school_orgs(users["school_a"])] == ["实验中学党总支"]


# --- summary -----------------------------------------------------------------------------------------------------

def test_summary_figures(tree, users, django_assert_num_queries):
    issued_on = date(2026, 3, 1)
    t1 = services.task_issue(actor=None, org=tree["district"], title="任务一", due_on=date(2026, 3, 31),
                             receivers="branches", today=issued_on)
    services.task_issue(actor=None, org=tree["school_a"], title="任务二", due_on=date(2026, 4, 30),
                        receivers="branches", today=issued_on)
    gone = services.task_issue(actor=None, org=tree["school_a"], title="撤回", due_on=date(2026, 4, 30),
                               receivers="branches", today=issued_on)
    services.task_withdraw(actor=None, task=gone)
    services.receipt_answer(actor=None, receipt=Receipt.objects.get(task=t1, org=tree["branch_a1"]), answer="完成",
                            today=date(2026, 3, 20))
    services.receipt_answer(actor=None, receipt=Receipt.objects.get(task=t1, org=tree["branch_a2"]), answer="完成",
                            today=date(2026, 4, 2))
    pledge(None, tree["school_a"])
    with django_assert_num_queries(3):
        figures = selectors.summary(tree["school_a"], date(2026, 1, 1), date(2026, 12, 31))
    # school_a's subtree: 任务二 issued; received: 任务一 ×2 (branches a1, a2) + 任务二 ×2.
    assert figures == {"tasks_issued": 1, "tasks_received": 4, "completed_on_time": 1, "completed_late": 1,
                       "overdue": 2, "pledges_signed": 1}
    district = selectors.summary(tree["district"], date(2026, 1, 1), date(2026, 12, 31))
    assert district["tasks_issued"] == 2 and district["tasks_received"] == 5
