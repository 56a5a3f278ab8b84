"""Anonymity of peer and staff evaluation, once-only ballots, and the staff codes (random, single-use, bound to
their round, rate-limited)."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from dangjian.core.models import AuditLog
from dangjian.orgs.models import Role
from dangjian.review import services, views
from dangjian.review.models import Comment, Round, StaffCode, Tally, Voter
from tests.factories import make_person, make_user
from tests.test_review_flow import branch_with_members, grades_for, open_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def rnd(tree):
    sec = make_user(role=Role.SECRETARY, org=tree["school_a"])
    members = branch_with_members(tree["branch_a1"], 4)
    return {"sec": sec, "round": open_round(sec, tree["branch_a1"]), "members": members, "tree": tree}


def _person_columns(model):
    """Columns of a model that could point at a person or a user, or order rows in time."""
    suspicious = []
    for field in model._meta.concrete_fields:
        target = getattr(field, "related_model", None)
        label = target._meta.label if target else ""
        if label in ("members.Person", "accounts.User") or field.get_internal_type() in ("DateTimeField",
                                                                                        "DateField"):
            suspicious.append(field.name)
    return suspicious


def test_evaluation_tables_hold_no_voter_no_time_and_no_sequential_key():
    assert _person_columns(Tally) == [] and _person_columns(Comment) == []
    assert Comment._meta.pk.get_internal_type() == "UUIDField"
    # Who voted is a separate table, with no reference to a ballot, a tally or a comment.
    assert {f.name for f in Voter._meta.concrete_fields} == {"id", "round", "person", "voted"}
    assert {f.name for f in StaffCode._meta.concrete_fields} == {"id", "round", "digest", "used"}


def test_nothing_in_the_database_tells_who_gave_which_grade(rnd):
    r, members = rnd["round"], rnd["members"]
    (a, user_a), (b, user_b) = members[0], members[1]
    target = r.subjects.get(person=members[2][0])
    ga = grades_for(r, exclude_person=a) | {target.pk: "excellent"}
    gb = grades_for(r, exclude_person=b) | {target.pk: "unqualified"}
    voter_rows_before = list(Voter.objects.filter(round=r).order_by("pk").values_list("pk", "person_id"))
    services.peer_ballot_submit(actor=user_a, round=r, grades=ga, comments={target.pk: "甲的意见"})
    services.peer_ballot_submit(actor=user_b, round=r, grades=gb, comments={target.pk: "乙的意见"})
    tally = Tally.objects.get(subject=target)
    assert (tally.peer_excellent, tally.peer_unqualified) == (1, 1)
    # The voter table only flipped flags on rows that existed before anyone voted: no insertion order.
    assert list(Voter.objects.filter(round=r).order_by("pk").values_list("pk", "person_id")) == voter_rows_before
    assert set(Voter.objects.filter(round=r, voted=True).values_list("person_id", flat=True)) == {a.pk, b.pk}
    # Comments: no author, no time; the page lists them sorted by text, not by arrival.
    rows = list(Comment.objects.filter(round=r).values())
    assert all(set(row) == {"id", "round_id", "subject_id", "source", "text"} for row in rows)
    # The audit rows name the voters (it is their action) but carry no grade and no comment.
    ballots = AuditLog.objects.filter(object_type="review.peer_ballot")
    assert {e.username for e in ballots} == {user_a.username, user_b.username}
    for entry in ballots:
        text = f"{entry.changes} {entry.object_repr}"
        assert "excellent" not in text and "unqualified" not in text and "意见" not in text
    # No table of the app has a column naming the voter next to a grade.
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, Tally._meta.db_table)}
    assert not {"person_id", "user_id", "voter_id", "created_at", "at"} & columns


def test_tallies_are_hidden_while_voting_so_nobody_can_watch_the_counters(rnd, client):
    r, members, sec = rnd["round"], rnd["members"], rnd["sec"]
    person, user = members[0]
    target = r.subjects.get(person=members[1][0])
    services.peer_ballot_submit(actor=user, round=r, grades=grades_for(r, exclude_person=person)
                                | {target.pk: "unqualified"}, comments={target.pk: "秘密意见"})
    client.force_login(sec)
    page = client.get(reverse("review:tally", args=[r.pk])).content.decode()
    assert "秘密意见" not in page and "计票结果在" in page
    results = client.get(reverse("review:results", args=[r.pk])).content.decode()
    assert "秘密意见" not in results
    # The member's own page after voting shows that he voted, not what.
    client.force_login(user)
    own = client.get(reverse("review:mine", args=[r.pk])).content.decode()
    assert "您已提交互评" in own and "秘密意见" not in own


def test_a_peer_votes_once_the_second_time_changes_nothing(rnd, client):
    r, (person, user) = rnd["round"], rnd["members"][0]
    grades = grades_for(r, exclude_person=person)
    services.peer_ballot_submit(actor=user, round=r, grades=grades)
    snapshot = list(Tally.objects.order_by("pk").values())
    with pytest.raises(ValidationError, match="您已提交过互评，每人只能提交一次"):
        services.peer_ballot_submit(actor=user, round=r, grades=grades, comments={next(iter(grades)): "再来一次"})
    assert list(Tally.objects.order_by("pk").values()) == snapshot and not Comment.objects.exists()
    client.force_login(user)
    response = client.post(reverse("review:ballot", args=[r.pk]), {f"grade_{pk}": "excellent" for pk in grades})
    assert response.status_code == 400 and "您已提交互评" in response.content.decode()
    assert list(Tally.objects.order_by("pk").values()) == snapshot


def staff_ballot(r, code, grade="qualified", branch="satisfied"):
    return dict(code=code, grades={s.pk: grade for s in services.ballot_targets(r)}, branch_grade=branch)


def test_staff_codes_are_long_random_and_stored_hashed(rnd):
    codes = services.staff_codes_generate(actor=rnd["sec"], round=rnd["round"], count=50)
    assert len(set(codes)) == 50
    for code in codes:
        raw = code.replace("-", "")
        assert len(raw) == 12 and set(raw) <= set(services.CODE_ALPHABET)
    stored = set(StaffCode.objects.values_list("digest", flat=True))
    assert not any(code in d or code.replace("-", "") in d for code in codes for d in stored)
    assert AuditLog.objects.get(object_type="review.staff_codes").changes == {"count": 50}
    with pytest.raises(ValidationError, match="1至500"):
        services.staff_codes_generate(actor=rnd["sec"], round=rnd["round"], count=501)


def test_a_staff_code_is_used_once_and_only_for_its_open_round(rnd, tree):
    r, sec = rnd["round"], rnd["sec"]
    code, other = services.staff_codes_generate(actor=sec, round=r, count=2)
    services.staff_ballot_submit(**staff_ballot(r, code.lower().replace("-", " ")))
    r.refresh_from_db()
    assert r.staff_satisfied == 1
    snapshot = list(Tally.objects.order_by("pk").values())
    with pytest.raises(ValidationError, match="已使用"):
        services.staff_ballot_submit(**staff_ballot(r, code, grade="excellent"))
    assert list(Tally.objects.order_by("pk").values()) == snapshot
    with pytest.raises(ValidationError, match="评议码无效"):
        services.staff_code_round("ABCD-EFGH-JKLM")
    entry = AuditLog.objects.get(object_type="review.staff_ballot")
    assert entry.user is None and code not in str(entry.changes)
    # The same code text means nothing in another branch's round, and codes die when voting ends.
    sec_b = make_user(role=Role.SECRETARY, org=tree["school_b"])
    make_person(tree["school_b"])
    r_b = open_round(sec_b, tree["school_b"])
    services.ballot_targets(r_b)
    services.round_to_committee(actor=sec, round=r)
    with pytest.raises(ValidationError, match="不在进行中"):
        services.staff_ballot_submit(**staff_ballot(r, other))
    assert Round.objects.get(pk=r.pk).staff_satisfied == 1


def test_staff_page_works_without_login_and_limits_wrong_codes(rnd, client):
    cache.clear()
    r = rnd["round"]
    (code,) = services.staff_codes_generate(actor=rnd["sec"], round=r, count=1)
    assert client.get(reverse("review:staff")).status_code == 200
    for _ in range(views.CODE_FAILURES_MAX):
        response = client.post(reverse("review:staff"), {"code": "AAAA-BBBB-CCCC"})
        assert response.status_code == 400 and "评议码无效" in response.content.decode()
    blocked = client.post(reverse("review:staff"), {"code": code})
    assert blocked.status_code == 429 and "次数过多" in blocked.content.decode()
    assert StaffCode.objects.get().used is False
    cache.clear()
    incomplete = {"code": code, "step": "ballot", "branch_grade": "satisfied"}
    response = client.post(reverse("review:staff"), incomplete)
    assert response.status_code == 400 and "请选择评议等次" in response.content.decode()
    assert StaffCode.objects.get().used is False
