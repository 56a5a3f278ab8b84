"""廉政 records: who sees them (纪检 and the district only), every read audited, create/edit/delete audited,
bad input refused with a Chinese message and nothing changed."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.api.errors import is_conflict
from dangjian.core.audit import Event
from dangjian.core.models import AuditLog
from dangjian.integrity import selectors, services
from dangjian.integrity.models import IntegrityFile, Talk, WarningEducation
from dangjian.orgs.models import Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    return {"a2": make_person(tree["branch_a2"], name="张干部"), "b": make_person(tree["school_b"], name="李干部")}


@pytest.fixture
def users(tree, people):
    return {
        "discipline": make_user("jj", Role.DISCIPLINE, tree["school_a"]),
        "district_viewer": make_user("dv", Role.VIEWER, tree["district"]),
        "district_admin": make_user("da", Role.ORG_ADMIN, tree["district"]),
        "district_discipline": make_user("dd", Role.DISCIPLINE, tree["district"]),
        "area_secretary": make_user("as", Role.SECRETARY, tree["area"]),
        "school_secretary": make_user("ss", Role.SECRETARY, tree["school_a"]),
        "school_admin": make_user("sa", Role.ORG_ADMIN, tree["school_a"]),
        "school_viewer": make_user("sv", Role.VIEWER, tree["school_a"]),
        "member": make_user("mm", Role.MEMBER, tree["branch_a1"], person=make_person(tree["branch_a1"])),
    }


def talk(person, **extra):
    return Talk.objects.create(org=person.org, person=person, talked_on=extra.pop("talked_on", date(2026, 3, 1)),
                               kind=extra.pop("kind", Talk.Kind.REMINDER), talked_by="纪委书记", summary="要点")


def reads(user):
    return AuditLog.objects.filter(user=user, event=Event.READ)


# --- visibility --------------------------------------------------------------------------------------------

# user → (sees the school_a record, sees the school_b record, may write in school_a)
VISIBILITY = {
    "discipline": (True, False, True),
    "district_viewer": (True, True, False),
    "district_admin": (True, True, True),
    "district_discipline": (True, True, True),
    "area_secretary": (False, False, False),
    "school_secretary": (False, False, False),
    "school_admin": (False, False, False),
    "school_viewer": (False, False, False),
    "member": (False, False, False),
}


@pytest.mark.parametrize("who", sorted(VISIBILITY))
def test_each_role_sees_exactly_what_the_rule_says(client, tree, people, users, who):
    inside, outside = talk(people["a2"]), talk(people["b"])
    sees_in, sees_out, writes = VISIBILITY[who]
    user = users[who]
    assert set(Talk.objects.visible_to(user)) == {t for t, ok in ((inside, sees_in), (outside, sees_out)) if ok}
    assert selectors.can_write(user, tree["branch_a2"]) is writes
    client.force_login(user)
    home = client.get(reverse("integrity:home") + "?tab=talks")
    assert home.status_code == (200 if sees_in else 403)
    for record, seen in ((inside, sees_in), (outside, sees_out)):
        response = client.get(reverse("integrity:detail", args=["talks", record.pk]))
        assert response.status_code == (200 if seen else 404)
    edit = client.get(reverse("integrity:edit", args=["talks", inside.pk]))
    assert edit.status_code == (200 if writes else 403 if sees_in else 404)


def test_no_record_leaks_into_a_list_of_someone_without_the_right(client, people, users):
    talk(people["a2"])
    client.force_login(users["school_secretary"])
    assert client.get(reverse("integrity:home")).status_code == 403
    assert AuditLog.objects.filter(user=users["school_secretary"], event=Event.DENIED).exists()


# --- every read audited ---------------------------------------------------------------------------------------

def test_the_list_page_audits_what_was_shown(client, people, users):
    shown = talk(people["a2"])
    talk(people["b"])  # outside the 纪检's scope: neither shown nor logged
    client.force_login(users["discipline"])
    response = client.get(reverse("integrity:home") + "?tab=talks&q=张")
    assert response.status_code == 200 and "张干部" in response.content.decode()
    entry = reads(users["discipline"]).get()
    assert entry.object_type == "integrity.talk"
    assert entry.changes["ids"] == [shown.pk] and entry.changes["filters"]["q"] == "张"


def test_the_detail_page_audits_the_record_read(client, people, users):
    record = talk(people["a2"])
    client.force_login(users["district_viewer"])
    assert client.get(reverse("integrity:detail", args=["talks", record.pk])).status_code == 200
    entry = reads(users["district_viewer"]).get()
    assert (entry.object_type, entry.object_id) == ("integrity.talk", str(record.pk))


def test_an_empty_list_is_still_a_read_and_says_so(client, users):
    client.force_login(users["discipline"])
    response = client.get(reverse("integrity:home") + "?tab=sanctions")
    assert "暂无纪律处分" in response.content.decode()
    assert reads(users["discipline"]).get().changes["ids"] == []


def test_list_filters_and_pagination(client, people, users):
    for i in range(55):
        talk(people["a2"], talked_on=date(2025, 1, 1) + timedelta(days=i))
    talk(people["a2"], talked_on=date(2024, 6, 1))
    client.force_login(users["discipline"])
    first = client.get(reverse("integrity:home") + "?tab=talks&year=2025")
    assert len(first.context["page"].object_list) == 50 and first.context["page"].paginator.count == 55
    second = client.get(reverse("integrity:home") + "?tab=talks&year=2025&page=2")
    assert len(second.context["page"].object_list) == 5
    assert reads(users["discipline"]).count() == 2


def test_list_queries_do_not_grow_with_the_data(client, people, users, django_assert_max_num_queries):
    client.force_login(users["district_admin"])
    talk(people["a2"])
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("integrity:home") + "?tab=talks")
    for _ in range(30):
        talk(people["b"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("integrity:home") + "?tab=talks")


# --- create / edit / delete ------------------------------------------------------------------------------------

def test_discipline_creates_edits_and_deletes_a_file_through_the_pages(client, people, users):
    client.force_login(users["discipline"])
    response = client.post(reverse("integrity:create", args=["files"]), {
        "person": people["a2"].pk, "post": "副校长", "relatives_count": 3, "declarations": "房产一处",
        "updated_on": "2026-02-01"})
    record = IntegrityFile.objects.get()
    assert response.status_code == 302 and record.org == people["a2"].org and record.relatives_count == 3
    assert AuditLog.objects.filter(event=Event.CREATE, object_type="integrity.integrityfile").exists()
    response = client.post(reverse("integrity:edit", args=["files", record.pk]), {
        "person": people["a2"].pk, "post": "校长", "relatives_count": 4, "updated_on": "2026-03-01"})
    assert response.status_code == 302
    change = AuditLog.objects.get(event=Event.UPDATE, object_type="integrity.integrityfile").changes
    assert change["after"]["post"] == "校长" and change["before"]["relatives_count"] == 3
    response = client.post(reverse("integrity:delete", args=["files", record.pk]))
    assert response.status_code == 302 and not IntegrityFile.objects.exists()
    deleted = AuditLog.objects.get(event=Event.DELETE, object_type="integrity.integrityfile")
    assert deleted.changes["before"]["post"] == "校长"


def test_district_admin_records_warning_education_and_a_sanction(users, people, tree):
    actor = users["district_admin"]
    edu = services.record_create(actor=actor, what="education", org=tree["school_b"], held_on=date(2026, 4, 1),
                                 title="观看警示教育片", form="集中观看", participants=30, person_times=30)
    assert edu.org == tree["school_b"]
    sanction = services.record_create(actor=actor, what="sanctions", person=people["b"], kind="probation",
                                      decided_on=date(2026, 1, 10), decided_by="区委教育工委",
                                      document_no="教工委纪〔2026〕1号", probation_until=date(2027, 1, 9))
    assert list(selectors.sanctions_for(people["b"])) == [sanction]
    assert selectors.on_probation(people["b"], date(2026, 6, 1)) == sanction
    assert selectors.on_probation(people["b"], date(2027, 1, 10)) is None
    # sanctions_for(person, user) keeps what that user may see: a school secretary sees none.
    assert not selectors.sanctions_for(people["b"], users["school_secretary"]).exists()
    assert AuditLog.objects.filter(event=Event.CREATE, object_type="integrity.sanction").count() == 1


def test_a_reader_without_the_write_right_cannot_write(users, people):
    record = talk(people["a2"])
    with pytest.raises(PermissionDenied):
        services.record_create(actor=users["district_viewer"], what="talks", person=people["a2"],
                               talked_on=date(2026, 1, 1), kind="reminder", talked_by="某某")
    with pytest.raises(PermissionDenied):
        services.record_delete(actor=users["district_viewer"], record=record)
    assert Talk.objects.count() == 1


# --- bad input --------------------------------------------------------------------------------------------------

def _sanction(**overrides):
    return {"kind": "warning", "decided_on": date(2026, 1, 10), "decided_by": "区委教育工委",
            "document_no": "〔2026〕2号", "probation_until": None, **overrides}


@pytest.mark.parametrize("what,fields,field,message", [
    ("files", {"post": " ", "relatives_count": 1, "updated_on": date(2026, 1, 1)}, "post", "请填写职务"),
    ("files", {"post": "校长", "relatives_count": -1, "updated_on": date(2026, 1, 1)}, "relatives_count", "0至"),
    ("talks", {"talked_on": "future", "kind": "reminder", "talked_by": "甲"}, "talked_on", "不能晚于今天"),
    ("talks", {"talked_on": date(2026, 1, 1), "kind": "shout", "talked_by": "甲"}, "kind", "约谈类型"),
    ("sanctions", _sanction(kind="probation"), "probation_until", "须填写期满日期"),
    ("sanctions", _sanction(kind="probation", probation_until=date(2029, 1, 10)), "probation_until", "不超过二年"),
    ("sanctions", _sanction(kind="probation", probation_until=date(2026, 1, 10)), "probation_until", "晚于决定日期"),
    ("sanctions", _sanction(probation_until=date(2027, 1, 1)), "probation_until", "只有留党察看"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(users, people, what, fields, field, message):
    fields = {k: (timezone.localdate() + timedelta(days=1) if v == "future" else v) for k, v in fields.items()}
    with pytest.raises(ValidationError) as exc:
        services.record_create(actor=users["discipline"], what=what, person=people["a2"], **fields)
    assert message in " ".join(exc.value.message_dict[field])
    assert not AuditLog.objects.filter(event=Event.CREATE).exists()
    assert not any(k.model.objects.exists() for k in services.KINDS.values())


def test_warning_education_counts_must_add_up(users, tree):
    base = {"org": tree["branch_a2"], "held_on": date(2026, 1, 1), "title": "案例通报", "form": "会议"}
    with pytest.raises(ValidationError) as exc:
        services.record_create(actor=users["discipline"], what="education", participants=20, person_times=10, **base)
    assert "不能少于参加人数" in exc.value.message_dict["person_times"][0]
    with pytest.raises(ValidationError) as exc:
        services.record_create(actor=users["discipline"], what="education", participants=5, person_times=5,
                               **{**base, "org": tree["school_b"]})
    assert "有权登记" in exc.value.message_dict["org"][0]
    assert not WarningEducation.objects.exists()


def test_a_person_outside_the_scope_is_refused(users, people):
    with pytest.raises(ValidationError) as exc:
        services.record_create(actor=users["discipline"], what="talks", person=people["b"],
                               talked_on=date(2026, 1, 1), kind="reminder", talked_by="甲")
    assert "不在您的管理范围内" in exc.value.message_dict["person"][0]


def test_a_second_file_for_the_same_cadre_is_a_conflict(users, people):
    fields = {"person": people["a2"], "post": "校长", "relatives_count": 2, "updated_on": date(2026, 1, 1)}
    services.record_create(actor=users["discipline"], what="files", **fields)
    with pytest.raises(ValidationError) as exc:
        services.record_create(actor=users["discipline"], what="files", **fields)
    assert is_conflict(exc.value) and "已有廉政档案" in exc.value.message_dict["person"][0]
    assert IntegrityFile.objects.count() == 1


def test_the_form_page_shows_the_message_and_keeps_the_record(client, users, people):
    record = talk(people["a2"])
    client.force_login(users["discipline"])
    response = client.post(reverse("integrity:edit", args=["talks", record.pk]), {
        "person": people["a2"].pk, "talked_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "kind": "admonition", "talked_by": "甲"})
    assert response.status_code == 400 and "日期不能晚于今天" in response.content.decode()
    record.refresh_from_db()
    assert record.kind == Talk.Kind.REMINDER
    assert not AuditLog.objects.filter(event=Event.UPDATE).exists()


def test_unknown_tab_and_kind(client, users):
    client.force_login(users["discipline"])
    assert client.get(reverse("integrity:home") + "?tab=nope").status_code == 200
    assert client.get("/integrity/nope/new/").status_code == 404
