"""QR sign-in: signed expiring tokens, the time window at its edges, once per person, never foreign."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from dangjian.life import services
from dangjian.life.models import Attendance, MeetingType
from tests.factories import make_user
from tests.life_helpers import member, writer

pytestmark = pytest.mark.django_db
D = date(2024, 3, 12)


def at(d, h, m=0, s=0):
    return datetime(d.year, d.month, d.day, h, m, s, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def setup(tree):
    org = tree["branch_a1"]
    me = member(org)
    user = make_user(person=me)
    meeting = services.meeting_plan(actor=writer(org), org=org, type=MeetingType.ASSEMBLY, theme="党员大会", date=D,
                                    start_time=time(14), end_time=time(16))
    return meeting, user, me


def test_window_opens_30_minutes_before_start_and_closes_30_after_end(setup):
    meeting, user, me = setup
    token = services.signin_token(meeting)
    with pytest.raises(services.SignInError, match="开始"):
        services.meeting_signin(actor=user, token=token, now=at(D, 13, 29, 59))
    with pytest.raises(services.SignInError, match="已过"):
        services.meeting_signin(actor=user, token=token, now=at(D, 16, 30, 1))
    assert services.meeting_signin(actor=user, token=token, now=at(D, 16, 30)) == (meeting, False)
    row = Attendance.objects.get(meeting=meeting, person=me)
    assert row.status == Attendance.Status.PRESENT and row.signed_in_at == at(D, 16, 30)


def test_window_opens_exactly_at_start_minus_30(setup):
    meeting, user, _ = setup
    assert services.meeting_signin(actor=user, token=services.signin_token(meeting), now=at(D, 13, 30))[1] is False


def test_without_end_time_the_token_lasts_to_the_end_of_the_day(tree):
    org = tree["branch_a1"]
    me = member(org)
    user = make_user(person=me)
    m = services.meeting_plan(actor=writer(org), org=org, type="assembly", theme="会", date=D)
    token = services.signin_token(m)
    assert services.meeting_signin(actor=user, token=token, now=at(D, 23, 59, 59))[1] is False
    with pytest.raises(services.SignInError):
        services.meeting_signin(actor=user, token=token, now=at(D + timedelta(days=1), 0, 0, 1))


def test_token_expiry_is_part_of_the_signed_value(setup):
    meeting, user, _ = setup
    token = services.signin_token(meeting)
    meeting_id, expires = services.read_token(token)
    assert meeting_id == meeting.pk and expires == int(at(D, 16, 30).timestamp())
    # Moving the meeting later does not extend an old token.
    meeting.end_time = time(18)
    meeting.save()
    with pytest.raises(services.SignInError, match="已过"):
        services.meeting_signin(actor=user, token=token, now=at(D, 17))


def test_second_scan_says_already_signed_in_and_changes_nothing(setup):
    meeting, user, me = setup
    token = services.signin_token(meeting)
    services.meeting_signin(actor=user, token=token, now=at(D, 14))
    assert services.meeting_signin(actor=user, token=token, now=at(D, 15))[1] is True
    assert Attendance.objects.get(meeting=meeting, person=me).signed_in_at == at(D, 14)


def test_tampered_malformed_and_foreign_salt_tokens_are_refused(setup):
    meeting, user, _ = setup
    token = services.signin_token(meeting)
    for bad in [token[:-2] + "xx", "garbage", signing.TimestampSigner(salt="other").sign(f"{meeting.pk}.9999999999")]:
        with pytest.raises(services.SignInError, match="无效"):
            services.meeting_signin(actor=user, token=bad, now=at(D, 14))
    assert not Attendance.objects.filter(signed_in_at__isnull=False).exists()


def test_person_not_expected_or_of_another_org_cannot_sign_in(setup, tree):
    meeting, _, _ = setup
    outsider = make_user(person=member(tree["school_b"]))
    with pytest.raises(services.SignInError, match="不在本次会议的应到人员名单中"):
        services.meeting_signin(actor=outsider, token=services.signin_token(meeting), now=at(D, 14))
    unlinked = make_user()
    with pytest.raises(services.SignInError):
        services.meeting_signin(actor=unlinked, token=services.signin_token(meeting), now=at(D, 14))


def test_cancelled_meeting_refuses_sign_in(setup):
    meeting, user, _ = setup
    services.meeting_cancel(actor=writer(meeting.org), meeting=meeting)
    with pytest.raises(services.SignInError, match="取消"):
        services.meeting_signin(actor=user, token=services.signin_token(meeting), now=at(D, 14))


def _today_meeting(tree):
    org = tree["branch_a1"]
    me = member(org)
    user = make_user(person=me)
    m = services.meeting_plan(actor=writer(org), org=org, type="assembly", theme="今日会", date=timezone.localdate())
    return m, user, me


def test_signin_pages_confirm_then_mark_present_once(client, tree):
    m, user, me = _today_meeting(tree)
    client.force_login(user)
    url = reverse("life:signin", args=[services.signin_token(m)])
    page = client.get(url)
    assert page.status_code == 200 and "确认签到" in page.content.decode()
    assert not Attendance.objects.get(meeting=m, person=me).signed_in_at
    assert "签到成功" in client.post(url).content.decode()
    assert "您已签到" in client.post(url).content.decode()
    assert "您已签到" in client.get(url).content.decode()


def test_bad_token_page_is_clear_chinese_400(client, tree):
    client.force_login(make_user(person=member(tree["branch_a1"])))
    response = client.get(reverse("life:signin", args=["not-a-token"]))
    assert response.status_code == 400 and "签到码无效" in response.content.decode()


def test_short_code_signs_in(client, tree):
    m, user, me = _today_meeting(tree)
    client.force_login(user)
    bad = client.post(reverse("life:signin_code"), {"code": "ZZZZZZ"})
    assert bad.status_code == 400 and "签到码不正确" in bad.content.decode()
    ok = client.post(reverse("life:signin_code"), {"code": services.signin_code(m).lower()})
    assert "签到成功" in ok.content.decode()
    assert Attendance.objects.get(meeting=m, person=me).status == Attendance.Status.PRESENT


def test_sign_in_is_audited(setup):
    from dangjian.core.models import AuditLog
    meeting, user, _ = setup
    services.meeting_signin(actor=user, token=services.signin_token(meeting), now=at(D, 14))
    assert AuditLog.objects.filter(user=user, object_type="life.meeting").exists()


def test_short_codes_are_six_characters_and_differ(setup):
    meeting, _, _ = setup
    code = services.signin_code(meeting)
    assert len(code) == 6 and code.isalnum()
    other = type(meeting)(pk=meeting.pk + 1)
    assert services.signin_code(other) != code
