"""The pipeline board, the file page (record a step, inline errors, the override box), opening a file,
findings and reminders — with their query counts pinned."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from dangjian.compliance.engine import findings_for
from dangjian.compliance.rulebook import Severity
from dangjian.members.models import Person, Status
from dangjian.orgs.models import Role
from dangjian.pipeline import todos
from dangjian.pipeline.models import DevelopmentFile, DevelopmentStep
from tests.factories import make_user
from tests.test_pipeline_helpers import World, advance

pytestmark = pytest.mark.django_db

BOARD_QUERIES = 11
# The file page: session, user, roles, file, steps, rule overrides, session save (3); the step form adds one
# query per choice list of the next step (step 2: the talker; step 15: the meetings and their votes).
FILE_QUERIES = 10   # incl. the attachments of the steps (one query)


@pytest.fixture
def world(tree):
    return World(tree)


def files(world, n):
    out = []
    for i in range(n):
        file = world.open(date(2023, 1, 10), person=world.candidate(name=f"候选{i}"))
        out.append(advance(world, file, [1, 3, 7, 17][i % 4]))
    return out


def test_board_shows_candidates_by_stage_sorted_by_urgency(client, world):
    recent = world.open(date.today() - timedelta(days=25), person=world.candidate(name="近期申请"))
    old = world.open(date.today() - timedelta(days=40), person=world.candidate(name="逾期谈话"))
    activist = advance(world, world.open(date(2023, 1, 10), person=world.candidate(name="积极分子")), 3)
    client.force_login(world.writer)
    response = client.get(reverse("pipeline:board"))
    assert response.status_code == 200
    columns = {key: files for key, _, files in response.context["columns"]}
    assert [f.person.name for f in columns["applicant"]] == ["逾期谈话", "近期申请"]
    assert [f.person.name for f in columns["activist"]] == ["积极分子"]
    html = response.content.decode()
    assert "逾期" in html and "派人谈话" in html and "发展党员工作看板" in html
    assert recent.pk and old.pk and activist.pk


def test_board_query_count_does_not_grow_with_the_files(client, world, django_assert_num_queries):
    client.force_login(world.writer)
    files(world, 1)
    with django_assert_num_queries(BOARD_QUERIES):
        client.get(reverse("pipeline:board"))
    files(world, 6)
    with django_assert_num_queries(BOARD_QUERIES):
        response = client.get(reverse("pipeline:board"))
    assert sum(len(f) for _, _, f in response.context["columns"]) == 7


def test_board_for_another_organisation_outside_the_scope_is_404(client, world, tree):
    client.force_login(world.writer)
    assert client.get(reverse("pipeline:board"), {"org": tree["school_b"].pk}).status_code == 404
    assert client.get(reverse("pipeline:board"), {"org": tree["branch_a2"].pk}).status_code == 200


def test_file_page_lists_the_25_steps_with_rule_sources(client, world, django_assert_num_queries):
    file = advance(world, world.open(date(2023, 1, 10)), 17)
    client.force_login(world.writer)
    url = reverse("pipeline:file", args=[file.pk])
    with django_assert_num_queries(FILE_QUERIES + 1):        # the holiday calendar for the 公示 length
        response = client.get(url)
    html = response.content.decode()
    assert html.count('data-step="') == 25
    assert "细则 第七条" in html and "党章 第七条；细则 第三十二条" in html
    assert "预备期满" in html and reverse("members:detail", args=[file.person_id]) in html
    assert 'id="id_override"' not in html
    viewer = make_user(role=Role.VIEWER, org=world.tree["school_a"])
    client.force_login(viewer)
    with django_assert_num_queries(FILE_QUERIES + 1):
        response = client.get(url)
    assert 'id="record"' not in response.content.decode()


def test_file_page_query_count_does_not_grow_with_the_steps_or_the_choices(client, world,
                                                                           django_assert_num_queries):
    client.force_login(world.writer)
    short = advance(world, world.open(date(2023, 1, 10)), 14)
    long = advance(world, world.open(date(2023, 1, 10)), 14)
    for d in (date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)):
        world.vote(world.meeting(d), person=long.person)
    for file in (short, long):
        with django_assert_num_queries(FILE_QUERIES + 3):     # meetings and votes for step 15; the calendar
            response = client.get(reverse("pipeline:file", args=[file.pk]))
        assert "支部大会讨论" in response.content.decode()
    talk = world.open(date(2024, 3, 15))
    with django_assert_num_queries(FILE_QUERIES + 1):         # the talker list for step 2
        client.get(reverse("pipeline:file", args=[talk.pk]))


def test_recording_a_step_shows_inline_errors_then_the_override_box(client, world):
    file = world.open(date(2024, 3, 15))
    client.force_login(world.writer)
    url = reverse("pipeline:step_record", args=[file.pk])
    response = client.post(url, {"number": 2, "date": "2024-03-14", "talker": world.sponsor_1.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert "日期不能早于上一步骤" in html and 'id="id_override"' not in html
    response = client.post(url, {"number": 2, "date": "2024-04-16", "talker": world.sponsor_1.pk})
    html = response.content.decode()
    assert response.status_code == 400 and "谈话日期晚于期限 2024-04-15" in html and 'id="id_override"' in html
    assert not DevelopmentStep.objects.filter(file=file, number=2).exists()
    response = client.post(url, {"number": 2, "date": "2024-04-16", "talker": world.sponsor_1.pk,
                                 "override": "on", "override_reason": "申请人外出培训"})
    assert response.status_code == 302
    assert DevelopmentStep.objects.get(file=file, number=2).override_reason == "申请人外出培训"


def test_the_form_offers_only_the_allowed_steps(client, world):
    file = world.open(date(2024, 3, 15))
    client.force_login(world.writer)
    response = client.post(reverse("pipeline:step_record", args=[file.pk]), {"number": 5, "date": "2024-03-20"})
    assert response.status_code == 400
    assert not DevelopmentStep.objects.filter(file=file, number=5).exists()


def test_opening_a_file_from_the_page(client, world):
    person = world.candidate(name="新申请人")
    client.force_login(world.writer)
    url = reverse("pipeline:file_open", args=[person.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"applied_on": "2024-03-15"})
    file = DevelopmentFile.objects.get(person=person)
    assert response.status_code == 302 and response["Location"] == reverse("pipeline:file", args=[file.pk])
    assert Person.objects.get(pk=person.pk).status == Status.APPLICANT
    assert client.get(url).status_code == 302   # already open: go to the file


def test_opening_a_file_for_a_minor_needs_an_override(client, world):
    person = world.candidate(name="未成年", birth=date(2010, 1, 1))
    client.force_login(world.writer)
    url = reverse("pipeline:file_open", args=[person.pk])
    response = client.post(url, {"applied_on": "2024-03-15"})
    assert response.status_code == 400 and "未满18周岁" in response.content.decode()
    assert 'id="id_override"' in response.content.decode()
    assert not DevelopmentFile.objects.filter(person=person).exists()


def test_extend_form_errors_are_inline(client, world):
    file = advance(world, world.open(date(2023, 1, 10)), 17)
    client.force_login(world.writer)
    response = client.post(reverse("pipeline:file_extend", args=[file.pk]),
                           {"decided_on": str(date.today()), "months": 3, "approval_no": "批1"})
    assert response.status_code == 400 and "不少于6个月" in response.content.decode()


def test_findings_flag_deadlines_due_soon_and_overdue(world, django_assert_num_queries):
    file = world.open(date(2024, 3, 15))
    org = world.branch
    with django_assert_num_queries(3):
        found = [f for f in findings_for([org], date(2024, 4, 15), only=["pipeline"])]
    assert [(f.rule_id, f.severity, f.due_on) for f in found] == [("pipeline.talk", Severity.SOON, date(2024, 4, 15))]
    found = findings_for([org], date(2024, 4, 16), only=["pipeline"])
    assert [(f.rule_id, f.severity) for f in found] == [("pipeline.talk", Severity.OVERDUE)]
    assert "逾期" in found[0].message and file.person.name in found[0].message
    assert findings_for([org], date(2024, 3, 15), only=["pipeline"]) == []   # 31 days left: not yet


def test_reminders_at_30_and_7_days_for_the_writers(world, django_assert_num_queries):
    world.open(date(2024, 3, 15))
    assert todos.todos_for(world.writer, date(2024, 3, 15)) == []        # 31 days before
    items = todos.todos_for(world.writer, date(2024, 3, 16))             # 30 days before
    assert len(items) == 1 and "30天提醒" in items[0].title and not items[0].overdue
    with django_assert_num_queries(3):    # files, steps, rule overrides (the roles are cached on the user)
        items = todos.todos_for(world.writer, date(2024, 4, 8))          # 7 days before
    assert "7天提醒" in items[0].title
    items = todos.todos_for(world.writer, date(2024, 4, 16))
    assert items[0].overdue and "已逾期1天" in items[0].title
    viewer = make_user(role=Role.VIEWER, org=world.tree["school_a"])
    assert todos.todos_for(viewer, date(2024, 4, 8)) == []


def test_board_lists_applicants_and_non_members_with_an_application_date_without_a_file(client, world):
    from tests.factories import make_person

    waiting = make_person(world.branch, name="待建档", status=Status.APPLICANT, applied_on=date(2024, 3, 1))
    applied = make_person(world.branch, name="群众申请", status=Status.NON_MEMBER, applied_on=date(2024, 3, 2))
    make_person(world.branch, name="普通群众", status=Status.NON_MEMBER)
    world.open(date(2024, 3, 15), person=world.candidate(name="已建档"))
    client.force_login(world.writer)
    response = client.get(reverse("pipeline:board"))
    assert [p.name for p in response.context["waiting"]] == ["待建档", "群众申请"]
    assert reverse("pipeline:file_open", args=[waiting.pk]) in response.content.decode()
    assert applied.pk
