"""Roster filters (selectors.roster_queryset) and the Excel export that uses them."""

import io
import zipfile
from datetime import date, timedelta
from urllib.parse import quote

import openpyxl
import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.models import AuditLog
from dangjian.members.exporting import EXPORT_HEADERS
from dangjian.members.models import Person, Status
from dangjian.members.selectors import roster_queryset
from dangjian.orgs.models import Role
from tests.factories import make_person, make_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def names(qs):
    return sorted(p.name for p in qs)


def export_rows(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(sheet.values)


@pytest.fixture
def admin(tree, client):
    user = make_user(role=Role.ORG_ADMIN, org=tree["district"])
    client.force_login(user)
    return user


# --- export ----------------------------------------------------------------------------------------------------

def test_export_contains_masked_id_numbers_and_phones_only(client, tree, admin):
    person = make_person(tree["branch_a1"], name="王芳", gender="F", group=tree["group_a1"], is_backbone=True,
                         professional_title="高级教师")
    full_id, full_phone = person.get_id_number(), person.get_phone()

    response = client.get(reverse("members:export"))

    assert response.status_code == 200 and response["Content-Type"] == XLSX
    # The full numbers appear nowhere: not in the file, not in any decompressed part of it.
    assert full_id.encode() not in response.content and full_phone.encode() not in response.content
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        for part in archive.namelist():
            text = archive.read(part)
            assert full_id.encode() not in text and full_phone.encode() not in text
    rows = export_rows(response)
    assert list(rows[0]) == EXPORT_HEADERS
    assert EXPORT_HEADERS[:7] == ["姓名", "性别", "民族", "出生日期", "学历", "身份证号", "手机号"]
    values = dict(zip(EXPORT_HEADERS, rows[1]))
    assert values["姓名"] == "王芳" and values["性别"] == "女" and values["民族"] == "汉族"
    assert values["出生日期"].date() == date(1985, 5, 20)
    assert values["身份证号"] == person.id_number_masked == full_id[:6] + "********" + full_id[-4:]
    assert values["手机号"] == person.phone_masked
    assert values["所在党组织"] == "实验中学第一党支部" and values["党小组"] == "语文组党小组"
    assert values["政治面貌"] == "正式党员" and values["职称"] == "高级教师"
    assert values["入党日期"].date() == date(2010, 7, 1) and values["转正日期"].date() == date(2011, 7, 1)
    assert (values["班主任"], values["教研组长"], values["骨干教师"], values["行政"]) == ("否", "否", "是", "否")


def test_formula_like_text_is_exported_as_text(client, tree, admin):
    make_person(tree["branch_a1"], name="=HYPERLINK(\"http://x\")", professional_title="=1+1")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(reverse("members:export")).content)).active
    row = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert row[0].value == '=HYPERLINK("http://x")' and row[0].data_type == "s"
    assert row[12].value == "=1+1" and row[12].data_type == "s"


def test_export_has_a_chinese_file_name(client, tree, admin):
    response = client.get(reverse("members:export"), {"org": tree["school_a"].pk})
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    expected = f"党员名册_实验中学党总支_{date.today():%Y%m%d}.xlsx"
    assert f"filename*=UTF-8''{quote(expected)}" in disposition


def test_export_respects_scope(client, tree):
    make_person(tree["branch_a1"], name="一支部甲")
    make_person(tree["branch_a1"], name="一支部乙")
    make_person(tree["branch_a2"], name="二支部丙")
    make_person(tree["school_b"], name="城南丁")
    user = make_user(role=Role.SECRETARY, org=tree["branch_a1"])
    client.force_login(user)

    rows = export_rows(client.get(reverse("members:export")))
    assert sorted(r[0] for r in rows[1:]) == ["一支部乙", "一支部甲"]

    # Asking for an organisation outside the scope does not widen it.
    rows = export_rows(client.get(reverse("members:export"), {"org": tree["school_b"].pk}))
    assert sorted(r[0] for r in rows[1:]) == ["一支部乙", "一支部甲"]


def test_export_follows_the_roster_filters_and_is_audited(client, tree, admin):
    make_person(tree["branch_a1"], name="张三", is_class_teacher=True)
    make_person(tree["branch_a1"], name="张四")
    make_person(tree["school_b"], name="张五", is_class_teacher=True)
    make_person(tree["branch_a2"], name="李六", is_class_teacher=True)

    response = client.get(reverse("members:export"), {"org": tree["school_a"].pk, "post": "class_teacher", "q": "张"})

    assert [r[0] for r in export_rows(response)[1:]] == ["张三"]
    entry = AuditLog.objects.filter(event="export").first()
    assert entry.username == admin.username and entry.outcome == "success"
    assert entry.changes["count"] == 1
    assert entry.changes["params"] == {"org": tree["school_a"].pk, "post": "class_teacher", "q": "张"}
    assert "组织：实验中学党总支" in entry.changes["filters"] and "岗位：班主任" in entry.changes["filters"]


def _export_queries(client, tree, count):
    Person.objects.all().delete()
    for i in range(count):
        make_person(tree["branch_a1"] if i % 2 else tree["branch_a2"], name=f"人员{i:03d}",
                    group=tree["group_a1"] if i % 2 else None)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("members:export"), {"org": tree["school_a"].pk, "status": "members"})
    assert len(export_rows(response)) == count + 1
    return len(queries)


def test_export_issues_a_fixed_number_of_queries(client, tree, admin, django_assert_num_queries):
    client.get(reverse("members:export"))  # warm up the session
    five = _export_queries(client, tree, 5)
    fifty = _export_queries(client, tree, 50)
    assert five == fifty
    with django_assert_num_queries(five):
        client.get(reverse("members:export"), {"org": tree["school_a"].pk, "status": "members"})


def test_roster_queryset_issues_one_query_whatever_the_size(tree, django_assert_num_queries):
    user = make_user(role=Role.ORG_ADMIN, org=tree["district"])
    roster_queryset(user, {})  # the user's roles are read once per request and cached on the user
    for count in (5, 50):
        Person.objects.all().delete()
        for i in range(count):
            make_person(tree["branch_a1"], group=tree["group_a1"] if i % 2 else None)
        with django_assert_num_queries(1):
            people = list(roster_queryset(user, {})[0])
            labels = [(p.org.name, p.group.name if p.group_id else "") for p in people]
        assert len(labels) == count


def test_export_needs_a_party_scope(client, tree):
    person = make_person(tree["branch_a1"])
    member = make_user(role=Role.MEMBER, org=tree["branch_a1"], person=person)
    client.force_login(member)
    assert client.get(reverse("members:export")).status_code == 403
    assert AuditLog.objects.filter(event="export").count() == 0


# --- roster filters ----------------------------------------------------------------------------------------------

@pytest.fixture
def viewer(tree):
    return make_user(role=Role.VIEWER, org=tree["district"])


def test_default_status_is_everyone_on_the_roster(tree, viewer):
    make_person(tree["branch_a1"], name="正式", status=Status.FULL)
    make_person(tree["branch_a1"], name="预备", status=Status.PROBATIONARY)
    make_person(tree["branch_a1"], name="积极", status=Status.ACTIVIST)
    make_person(tree["branch_a1"], name="除名", status=Status.REMOVED)
    make_person(tree["branch_a1"], name="转出", status=Status.TRANSFERRED_OUT)

    qs, filters = roster_queryset(viewer, {})
    assert names(qs) == ["正式", "积极", "预备"] and filters["status"] == ""
    assert names(roster_queryset(viewer, {"status": "members"})[0]) == ["正式", "预备"]
    assert names(roster_queryset(viewer, {"status": "full"})[0]) == ["正式"]
    assert names(roster_queryset(viewer, {"status": "removed"})[0]) == ["除名"]
    assert names(roster_queryset(viewer, {"status": "all"})[0]) == ["正式", "积极", "转出", "除名", "预备"]
    qs, filters = roster_queryset(viewer, {"status": "nonsense"})
    assert names(qs) == ["正式", "积极", "预备"] and filters["status"] == ""


def test_post_filter(tree, viewer):
    make_person(tree["branch_a1"], name="班主任", is_class_teacher=True)
    make_person(tree["branch_a1"], name="组长", is_research_lead=True)
    make_person(tree["branch_a1"], name="骨干", is_backbone=True)
    make_person(tree["branch_a1"], name="行政", is_administrative=True)
    make_person(tree["branch_a1"], name="普通")
    assert names(roster_queryset(viewer, {"post": "class_teacher"})[0]) == ["班主任"]
    assert names(roster_queryset(viewer, {"post": "research_lead"})[0]) == ["组长"]
    assert names(roster_queryset(viewer, {"post": "backbone"})[0]) == ["骨干"]
    assert names(roster_queryset(viewer, {"post": "administrative"})[0]) == ["行政"]
    qs, filters = roster_queryset(viewer, {"post": "boss"})
    assert len(names(qs)) == 5 and filters["post"] == ""


def test_age_bands_at_their_boundaries(tree, viewer):
    today = date.today()

    def born(age):
        """Birth date of someone whose `age`-th birthday is today."""
        return today - relativedelta(years=age)

    def day_before(age):
        """Birth date of someone whose `age`-th birthday is tomorrow (so `age` − 1 today)."""
        return born(age) + timedelta(days=1)

    cases = {
        "20岁": born(20), "30岁整": born(30), "31岁前一天": day_before(31), "31岁整": born(31), "35岁": born(35),
        "36岁前一天": day_before(36), "36岁整": born(36), "60岁": born(60), "61岁前一天": day_before(61),
        "61岁整": born(61), "70岁": born(70),
    }
    for name, birth in cases.items():
        make_person(tree["branch_a1"], name=name, birth=birth)
    ages = {p.name: p.age_on(today) for p in Person.objects.all()}
    assert (ages["30岁整"], ages["31岁前一天"], ages["31岁整"]) == (30, 30, 31)
    assert (ages["36岁前一天"], ages["61岁前一天"], ages["61岁整"]) == (35, 60, 61)

    def band(key):
        return names(roster_queryset(viewer, {"age": key})[0])

    assert band("30") == sorted(["20岁", "30岁整", "31岁前一天"])
    assert band("31-35") == sorted(["31岁整", "35岁", "36岁前一天"])
    assert band("36-40") == ["36岁整"]
    assert band("41-45") == band("46-50") == band("51-55") == []
    assert band("56-60") == sorted(["60岁", "61岁前一天"])
    assert band("61") == sorted(["61岁整", "70岁"])
    qs, filters = roster_queryset(viewer, {"age": "99"})
    assert len(names(qs)) == len(cases) and filters["age"] == ""
    assert roster_queryset(viewer, {"age": "31-35"})[1]["age"] == "31-35"


def test_party_age_bands_count_from_full_membership(tree, viewer):
    today = date.today()
    ago = {"满5年": relativedelta(years=5), "差一天满5年": relativedelta(years=5, days=-1),
           "满10年": relativedelta(years=10), "19年": relativedelta(years=19, months=6),
           "满20年": relativedelta(years=20), "刚转正": relativedelta(days=0)}
    for name, delta in ago.items():
        make_person(tree["branch_a1"], name=name, birth=date(1960, 1, 1), full_member_on=today - delta,
                    joined_on=today - delta - relativedelta(years=1))
    make_person(tree["branch_a1"], name="预备党员", status=Status.PROBATIONARY, full_member_on=None)

    def band(key):
        return names(roster_queryset(viewer, {"years": key})[0])

    assert band("lt5") == sorted(["差一天满5年", "刚转正"])
    assert band("5-10") == ["满5年"]
    assert band("10-20") == sorted(["满10年", "19年"])
    assert band("ge20") == ["满20年"]
    qs, filters = roster_queryset(viewer, {"years": "forever"})
    assert "预备党员" in names(qs) and filters["years"] == ""


def test_name_search(tree, viewer):
    make_person(tree["branch_a1"], name="张伟")
    make_person(tree["branch_a1"], name="李伟华")
    make_person(tree["branch_a1"], name="王芳")
    qs, filters = roster_queryset(viewer, {"q": " 伟 "})
    assert names(qs) == ["张伟", "李伟华"] and filters["q"] == "伟"


def test_org_filter_is_a_visible_subtree(tree):
    make_person(tree["branch_a1"], name="一支部")
    make_person(tree["branch_a2"], name="二支部")
    make_person(tree["school_b"], name="城南")
    district_viewer = make_user(role=Role.VIEWER, org=tree["district"])
    qs, filters = roster_queryset(district_viewer, {"org": str(tree["school_a"].pk)})
    assert names(qs) == ["一支部", "二支部"] and filters["org"] == tree["school_a"]
    assert names(roster_queryset(district_viewer, {"org": tree["branch_a2"].pk})[0]) == ["二支部"]

    branch_user = make_user(role=Role.SECRETARY, org=tree["branch_a1"])
    qs, filters = roster_queryset(branch_user, {"org": tree["school_b"].pk})  # not visible: ignored
    assert names(qs) == ["一支部"] and filters["org"] is None
    qs, filters = roster_queryset(branch_user, {"org": tree["school_a"].pk})  # the parent is not visible either
    assert names(qs) == ["一支部"] and filters["org"] is None


def test_invalid_parameters_are_ignored(tree, viewer):
    make_person(tree["branch_a1"], name="甲")
    params = {"org": "abc", "status": "<script>", "post": "1", "age": "-1", "years": "", "q": ""}
    qs, filters = roster_queryset(viewer, params)
    assert names(qs) == ["甲"]
    assert filters == {"org": None, "status": "", "post": "", "age": "", "years": "", "q": ""}
    assert names(roster_queryset(viewer, {"org": "99999999999999999999"})[0]) == ["甲"]


def test_roster_is_ordered_by_organisation_path_then_name(tree, viewer):
    make_person(tree["school_b"], name="阿")
    make_person(tree["branch_a2"], name="乙")
    make_person(tree["branch_a1"], name="丙")
    make_person(tree["branch_a1"], name="甲")
    people = list(roster_queryset(viewer, {})[0])
    assert [p.org.path for p in people] == sorted(p.org.path for p in people)
    assert [p.name for p in people if p.org_id == tree["branch_a1"].pk] == sorted(["丙", "甲"])
