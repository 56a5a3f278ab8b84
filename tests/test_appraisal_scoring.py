"""述职评议: forms, reports, scoring bounds, averaging, ranking with ties, grade bands, scope, audit rows."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dangjian.appraisal import selectors, services
from dangjian.appraisal.models import Report, ScoringForm, Sheet
from dangjian.core.models import AuditLog
from dangjian.orgs.models import CommitteePost, Role
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
YEAR = 2025
ITEMS = [{"name": "落实三会一课", "max_score": "60", "guidance": "按时召开"},
         {"name": "党员教育管理", "max_score": "40"}]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def secretary_of(org):
    person = make_person(org)
    CommitteePost.objects.create(org=org, person=person, post="secretary", started_on=date(2020, 1, 1))
    return person


def setup(tree, issuer="area"):
    boss = make_user(role=Role.SECRETARY, org=tree[issuer])
    form = services.form_save(actor=boss, org=tree[issuer], year=YEAR, title="书记述职评分表", items=ITEMS)
    return boss, form


def report(form, org):
    writer = make_user(role=Role.SECRETARY, org=org)
    return services.report_save(actor=writer, form=form, org=org, person=secretary_of(org), text="一年来的党建工作……")


def marks(form, *values):
    return dict(zip([i.pk for i in form.items.all()], values))


def test_scores_within_bounds_are_averaged_and_others_refused(tree):
    boss, form = setup(tree)
    r = report(form, tree["school_a"])
    for bad, field in ((("61", "10"), "item_"), (("-1", "10"), "item_"), (("10.25", "10"), "item_"),
                       (("abc", "10"), "item_"), ((None, "10"), "item_")):
        with pytest.raises(ValidationError) as exc:
            services.sheet_save(actor=boss, report=r, marks=marks(form, *bad))
        assert any(key.startswith(field) for key in exc.value.message_dict)
    assert not Sheet.objects.exists()
    services.sheet_save(actor=boss, report=r, marks=marks(form, "60", "40"), comment="很好")
    second = make_user(role=Role.ORG_ADMIN, org=tree["area"])
    services.sheet_save(actor=second, report=r, marks=marks(form, "50", "25.5"))
    reports, full, _ = selectors.ranking(form)
    assert full == 100 and reports[0].n_sheets == 2
    assert reports[0].average == Decimal("87.8")          # (100 + 75.5) / 2 = 87.75 → 87.8
    assert reports[0].grade == "较好"
    services.sheet_save(actor=second, report=r, marks=marks(form, "60", "40"))   # a scorer changes his sheet
    assert selectors.ranking(form)[0][0].average == 100 and Sheet.objects.count() == 2
    events = list(AuditLog.objects.filter(object_type="appraisal.sheet").values_list("event", flat=True))
    assert sorted(events) == ["create", "create", "update"]


def test_only_writers_of_the_level_above_score(tree):
    _, form = setup(tree)
    r = report(form, tree["school_a"])
    for actor in (make_user(role=Role.VIEWER, org=tree["area"]), make_user(role=Role.SECRETARY, org=tree["school_a"]),
                  make_user(role=Role.SECRETARY, org=tree["school_b"])):
        with pytest.raises(PermissionDenied):
            services.sheet_save(actor=actor, report=r, marks=marks(form, "1", "1"))
    district = make_user(role=Role.SECRETARY, org=tree["district"])   # an ancestor's writer covers the area
    services.sheet_save(actor=district, report=r, marks=marks(form, "1", "1"))


def test_ranking_with_ties_grades_and_unscored_reports(tree):
    boss, form = setup(tree)
    ra, rb = report(form, tree["school_a"]), report(form, tree["school_b"])
    rc = report(form, tree["branch_a1"])
    rd = report(form, tree["branch_a2"])
    services.sheet_save(actor=boss, report=ra, marks=marks(form, "50", "30"))   # 80
    services.sheet_save(actor=boss, report=rb, marks=marks(form, "50", "30"))   # 80
    services.sheet_save(actor=boss, report=rc, marks=marks(form, "30", "20"))   # 50
    reports, _, bands = selectors.ranking(form)
    assert [(r.pk, r.rank, r.grade) for r in reports] == [
        (ra.pk, 1, "较好"), (rb.pk, 1, "较好"), (rc.pk, 3, "差"), (rd.pk, None, "")]
    assert (bands.good, bands.better, bands.fair) == (90, 80, 60)


def test_grade_bands_follow_the_rulebook_override(tree):
    from dangjian.compliance.models import RuleOverride

    boss, form = setup(tree)
    r = report(form, tree["school_a"])
    services.sheet_save(actor=boss, report=r, marks=marks(form, "50", "30"))
    RuleOverride.objects.create(org=tree["district"], rule_id="appraisal.grade_bands", enabled=True,
                                params={"good": 80, "better": 70, "fair": 50}, reason="区委教育工委考核办法")
    reports, _, bands = selectors.ranking(form)
    assert reports[0].grade == "好" and "区委教育工委考核办法" in bands.basis


def test_ranking_takes_a_fixed_number_of_queries(tree, django_assert_max_num_queries):
    boss, form = setup(tree, "district")
    for key in ("school_a", "school_b"):
        services.sheet_save(actor=boss, report=report(form, tree[key]), marks=marks(form, "40", "30"))
    with django_assert_max_num_queries(4):
        assert len(selectors.ranking(form)[0]) == 2
    for key in ("area", "branch_a1", "branch_a2", "group_a1"):
        services.sheet_save(actor=boss, report=report(form, tree[key]), marks=marks(form, "40", "20"))
    with django_assert_max_num_queries(4):
        assert len(selectors.ranking(form)[0]) == 6


def test_report_rules_edit_until_scoring_starts_and_audit(tree):
    boss, form = setup(tree)
    writer = make_user(role=Role.SECRETARY, org=tree["school_a"])
    person = secretary_of(tree["school_a"])
    with pytest.raises(ValidationError, match="下级组织"):
        services.report_save(actor=boss, form=form, org=tree["area"], person=person, text="x")
    with pytest.raises(ValidationError, match="须是实验中学党总支的人员"):
        services.report_save(actor=writer, form=form, org=tree["school_a"], person=make_person(tree["school_b"]),
                             text="x")
    with pytest.raises(ValidationError, match="请填写述职报告"):
        services.report_save(actor=writer, form=form, org=tree["school_a"], person=person, text="  ")
    with pytest.raises(ValidationError, match="只能上传"):
        services.report_save(actor=writer, form=form, org=tree["school_a"], person=person, text="述职",
                             upload=SimpleUploadedFile("a.exe", b"MZ\x90\x00" * 10))
    with pytest.raises(PermissionDenied):
        services.report_save(actor=make_user(role=Role.SECRETARY, org=tree["school_b"]), form=form,
                             org=tree["school_a"], person=person, text="述职")
    assert not Report.objects.exists()
    r = services.report_save(actor=writer, form=form, org=tree["school_a"], person=person, text="述职",
                             upload=SimpleUploadedFile("报告.pdf", b"%PDF-1.4 test"))
    assert r.submitted_on == timezone.localdate() and r.attachments.get().original_name == "报告.pdf"
    with pytest.raises(ValidationError, match="已提交"):
        services.report_save(actor=writer, form=form, org=tree["school_a"], person=person, text="again")
    services.report_save(actor=writer, report=r, person=person, text="修改后的述职")
    services.sheet_save(actor=boss, report=r, marks=marks(form, "1", "1"))
    with pytest.raises(ValidationError, match="已开始评分"):
        services.report_save(actor=writer, report=r, person=person, text="再改")
    with pytest.raises(ValidationError, match="已开始评分"):
        services.report_delete(actor=writer, report=r)
    with pytest.raises(ValidationError, match="评分项目不能再修改"):
        services.form_save(actor=boss, form=form, title="改名", items=[{"name": "新", "max_score": "100"}])
    services.form_save(actor=boss, form=form, title="改名", items=ITEMS)     # the title alone may change
    with pytest.raises(ValidationError, match="不能删除评分表"):
        services.form_delete(actor=boss, form=form)
    events = list(AuditLog.objects.filter(object_type__startswith="appraisal.").order_by("id")
                  .values_list("object_type", "event"))
    assert events == [("appraisal.scoringform", "create"), ("appraisal.report", "create"),
                      ("appraisal.report", "update"), ("appraisal.sheet", "create"),
                      ("appraisal.scoringform", "update")]
    r2 = report(form, tree["school_b"])
    services.report_delete(actor=make_user(role=Role.SECRETARY, org=tree["school_b"]), report=r2)
    assert AuditLog.objects.filter(object_type="appraisal.report", event="delete").exists()


@pytest.mark.parametrize("items,message", [
    ([], "至少填写一个"), ([{"name": "a", "max_score": "0"}], "满分"), ([{"name": "a", "max_score": "101"}], "满分"),
    ([{"name": "a", "max_score": "5"}, {"name": "a", "max_score": "5"}], "重复"),
    ([{"name": "", "max_score": "5"}], "名称"),
])
def test_bad_forms_are_refused(tree, items, message):
    boss = make_user(role=Role.SECRETARY, org=tree["area"])
    with pytest.raises(ValidationError, match=message):
        services.form_save(actor=boss, org=tree["area"], year=YEAR, title="表", items=items)
    assert not ScoringForm.objects.exists()


def test_form_delete_and_duplicate_year(tree):
    boss, form = setup(tree)
    with pytest.raises(ValidationError, match="已有述职评议评分表"):
        services.form_save(actor=boss, org=tree["area"], year=YEAR, title="表", items=ITEMS)
    services.form_delete(actor=boss, form=form)
    assert not ScoringForm.objects.exists()
    assert AuditLog.objects.filter(object_type="appraisal.scoringform", event="delete").exists()


def test_scope_of_forms_and_reports(client, tree):
    boss, form = setup(tree)
    ra, rb = report(form, tree["school_a"]), report(form, tree["school_b"])
    school_a = make_user(role=Role.VIEWER, org=tree["school_a"])
    client.force_login(school_a)
    # The area's form reaches school A; school A sees its own report, not school B's.
    page = client.get(reverse("appraisal:form_detail", args=[form.pk]))
    assert page.status_code == 200 and [r.pk for r in page.context["reports"]] == [ra.pk]
    assert client.get(reverse("appraisal:report_detail", args=[ra.pk])).status_code == 200
    assert client.get(reverse("appraisal:report_detail", args=[rb.pk])).status_code == 404
    client.force_login(make_user(role=Role.VIEWER, org=tree["district"]))
    page = client.get(reverse("appraisal:form_detail", args=[form.pk]))
    assert {r.pk for r in page.context["reports"]} == {ra.pk, rb.pk}


def test_views_create_form_submit_report_and_score(client, tree):
    boss = make_user(role=Role.SECRETARY, org=tree["area"])
    client.force_login(boss)
    response = client.post(reverse("appraisal:form_create"), {"org": tree["area"].pk, "year": YEAR, "title": "评分表",
                                                              "items": "落实三会一课|60|按时\n党员管理|40"})
    form = ScoringForm.objects.get()
    assert response.status_code == 302 and [i.name for i in form.items.all()] == ["落实三会一课", "党员管理"]
    bad = client.post(reverse("appraisal:form_create"), {"org": tree["area"].pk, "year": YEAR + 1, "title": "x",
                                                         "items": "只有名称"})
    assert bad.status_code == 400 and ScoringForm.objects.count() == 1
    writer = make_user(role=Role.SECRETARY, org=tree["school_b"])
    person = secretary_of(tree["school_b"])
    client.force_login(writer)
    response = client.post(reverse("appraisal:report_create", args=[form.pk]),
                           {"org": tree["school_b"].pk, "person": person.pk, "text": "述职内容"})
    r = Report.objects.get()
    assert response.status_code == 302 and r.person == person
    assert client.get(reverse("appraisal:score", args=[r.pk])).status_code == 403
    client.force_login(boss)
    items = list(form.items.all())
    response = client.post(reverse("appraisal:score", args=[r.pk]), {f"item_{items[0].pk}": "70",
                                                                     f"item_{items[1].pk}": "30"})
    assert response.status_code == 400 and "须在0至60.0之间" in response.content.decode()
    client.post(reverse("appraisal:score", args=[r.pk]), {f"item_{items[0].pk}": "55", f"item_{items[1].pk}": "30"})
    page = client.get(reverse("appraisal:report_detail", args=[r.pk])).content.decode()
    assert "85.0" in page and "较好" in page


def test_summary_counts_sessions_reports_and_grades(tree):
    boss, form = setup(tree)
    ra, rb = report(form, tree["school_a"]), report(form, tree["school_b"])
    services.sheet_save(actor=boss, report=ra, marks=marks(form, "60", "35"))
    today = timezone.localdate()
    result = selectors.summary(tree["district"], date(today.year, 1, 1), date(today.year, 12, 31))
    assert result["reports"] == 2 and result["scored"] == 1 and result["grades"]["好"] == 1
    assert result["sessions"] == (1 if today.year == YEAR else 0)
    assert selectors.summary(tree["school_b"], date(YEAR, 1, 1), today)["reports"] == 1
