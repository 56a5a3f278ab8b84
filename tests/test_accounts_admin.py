"""The security administrator's user and role management (三员分立), and `dangjian createadmin`."""

import re
from html import unescape

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from dangjian.accounts import services
from dangjian.accounts.models import User
from dangjian.core import scoping
from dangjian.core.audit import Event, verify_chain
from dangjian.core.models import AuditLog
from dangjian.members.models import Status
from dangjian.orgs.models import Role, RoleAssignment
from tests.factories import PASSWORD, make_person, make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


@pytest.fixture
def security(db):
    return make_user("sec_admin", admin_role="security")


@pytest.fixture
def sec_client(security):
    client = Client()
    client.force_login(security)
    return client


def one_time_password(response):
    match = re.search(r'data-testid="one-time-password">([^<]+)<', response.content.decode())
    assert match, "the result page shows the generated password"
    return unescape(match.group(1))


def login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def audit_rows(event, object_id=None):
    rows = AuditLog.objects.filter(event=event)
    if object_id is not None:
        rows = rows.filter(object_type="accounts.user", object_id=str(object_id))
    return list(rows.order_by("id"))


# --- who may use the pages --------------------------------------------------------------------

def _user_routes(target, assignment):
    return [
        ("get", reverse("accounts:users")),
        ("get", reverse("accounts:user_create")),
        ("post", reverse("accounts:user_create")),
        ("get", reverse("accounts:user_detail", args=[target.pk])),
        ("post", reverse("accounts:user_edit", args=[target.pk])),
        ("post", reverse("accounts:user_role_grant", args=[target.pk])),
        ("post", reverse("accounts:user_role_revoke", args=[target.pk, assignment.pk])),
        ("post", reverse("accounts:user_admin_role", args=[target.pk])),
        ("post", reverse("accounts:user_set_active", args=[target.pk])),
        ("post", reverse("accounts:user_password_reset", args=[target.pk])),
        ("post", reverse("accounts:user_unlock", args=[target.pk])),
        ("post", reverse("accounts:user_link_person", args=[target.pk])),
        ("post", reverse("accounts:user_unlink_person", args=[target.pk])),
        ("post", reverse("accounts:unlock_ip")),
    ]


@pytest.mark.parametrize("kind", ["system", "audit", "org_admin", "secretary", "member", "no_role"])
def test_everyone_but_the_security_admin_gets_403_on_every_user_page(tree, kind):
    target = make_user("target", Role.VIEWER, tree["branch_a1"])
    assignment = target.role_assignments.get()
    if kind in ("system", "audit"):
        user = make_user(admin_role=kind)
    elif kind == "no_role":
        user = make_user()
    elif kind == "member":
        user = make_user(role=Role.MEMBER, org=tree["branch_a1"], person=make_person(tree["branch_a1"]))
    else:
        user = make_user(role=kind, org=tree["district"])
    client = Client()
    client.force_login(user)
    before = AuditLog.objects.filter(event=Event.DENIED).count()
    routes = _user_routes(target, assignment)
    for method, url in routes:
        response = getattr(client, method)(url, {"active": "0", "admin_role": "audit", "ip": "10.0.0.1"})
        assert response.status_code == 403, (method, url)
    target.refresh_from_db()
    assert target.is_active and target.admin_role == "" and target.role_assignments.count() == 1
    assert AuditLog.objects.filter(event=Event.DENIED, outcome="denied").count() == before + len(routes)


def test_anonymous_users_are_sent_to_the_login_page(tree):
    target = make_user("target", Role.VIEWER, tree["branch_a1"])
    client = Client()
    for method, url in _user_routes(target, target.role_assignments.get()):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith(LOGIN), url


# --- the list ------------------------------------------------------------------------

def _populate(tree, n, prefix):
    for i in range(n):
        user = make_user(f"{prefix}{i}", Role.VIEWER, tree["branch_a1"])
        RoleAssignment.objects.create(user=user, org=tree["school_b"], role=Role.SECRETARY)
        make_user(f"{prefix}m{i}", Role.MEMBER, tree["branch_a2"], person=make_person(tree["branch_a2"]))


def test_user_list_shows_each_users_roles_with_a_fixed_number_of_queries(tree, sec_client, django_assert_num_queries):
    _populate(tree, 2, "a")
    url = reverse("accounts:users")
    sec_client.get(url)  # session start-up writes happen once
    with django_assert_num_queries(12):
        response = sec_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "实验中学第一党支部 · 查看" in html and "城南小学党支部 · 书记" in html and "安全管理员" in html
    _populate(tree, 15, "b")
    with django_assert_num_queries(12):
        response = sec_client.get(url, {"q": "b", "active": "1", "role": "viewer", "page": "1"})
    assert response.status_code == 200


def test_user_list_searches_and_filters_by_role_and_state(tree, sec_client):
    zhang = make_user("zhang_wei", Role.SECRETARY, tree["branch_a1"])
    User.objects.filter(pk=zhang.pk).update(display_name="张伟")
    make_user("li_na", Role.VIEWER, tree["school_b"])
    gone = make_user("wang_fang", Role.VIEWER, tree["school_b"])
    User.objects.filter(pk=gone.pk).update(is_active=False)
    make_user("auditor", admin_role="audit")
    make_user("nobody")

    def names(**params):
        response = sec_client.get(reverse("accounts:users"), params)
        assert response.status_code == 200
        return {u.username for u in response.context["rows"]}

    assert names(q="张伟") == {"zhang_wei"}
    assert names(q="LI_") == {"li_na"}
    assert names(role="secretary") == {"zhang_wei"}
    assert names(role="audit") == {"auditor"}
    assert names(role="none") == {"nobody"}
    assert names(active="0") == {"wang_fang"}
    assert "wang_fang" not in names(active="1")
    assert names(role="not-a-role") >= {"zhang_wei", "li_na", "auditor", "nobody"}  # bad filter: ignored


def test_user_list_paginates_by_page_size(tree, sec_client, settings):
    settings.PAGE_SIZE = 3
    for i in range(7):
        make_user(f"p{i:02d}")
    response = sec_client.get(reverse("accounts:users"), {"q": "p0", "page": "3"})
    assert [u.username for u in response.context["rows"]] == ["p06"]
    assert response.context["page"].paginator.num_pages == 3


# --- create ----------------------------------------------------------------------------

def test_creating_a_user_shows_a_strong_password_once_and_forces_a_change_at_first_login(tree, sec_client):
    response = sec_client.post(reverse("accounts:user_create"), {
        "username": "teacher1", "display_name": "李老师", "admin_role": "", "org": "", "role": ""})
    assert response.status_code == 200
    password = one_time_password(response)
    password_validation.validate_password(password)  # meets the validators
    user = User.objects.get(username="teacher1")
    assert user.display_name == "李老师" and user.must_change_password and user.check_password(password)
    created = audit_rows(Event.CREATE, user.pk)
    assert len(created) == 1 and created[0].username == "sec_admin"
    assert created[0].changes["after"]["username"] == "teacher1"
    assert password not in str(created[0].changes)
    # Never shown again.
    assert password not in sec_client.get(reverse("accounts:user_detail", args=[user.pk])).content.decode()
    assert password not in sec_client.get(reverse("accounts:users")).content.decode()

    client = Client()
    assert login(client, "teacher1", password).status_code == 302
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response.url == reverse("accounts:password_change")
    response = client.post(reverse("accounts:password_change"), {
        "old_password": password, "new_password1": "Neu-Passw0rt", "new_password2": "Neu-Passw0rt"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get(reverse("core:home")).status_code == 200


def test_creating_a_user_with_an_initial_role_and_a_linked_person(tree, sec_client):
    person = make_person(tree["branch_a1"], name="王小明")
    response = sec_client.post(reverse("accounts:user_create"), {
        "username": "wxm", "display_name": "王小明", "org": tree["branch_a1"].pk, "role": Role.MEMBER,
        "person": person.pk})
    assert response.status_code == 200, response.content.decode()
    user = User.objects.get(username="wxm")
    person.refresh_from_db()
    assert person.user_id == user.pk
    assert list(user.role_assignments.values_list("org_id", "role")) == [(tree["branch_a1"].pk, Role.MEMBER)]
    grant = audit_rows(Event.ROLE_GRANT, user.pk)
    assert len(grant) == 1 and grant[0].changes["after"]["role"] == "党员"
    assert audit_rows(Event.CREATE, user.pk)[0].changes["after"]["person"] == "王小明（实验中学第一党支部）"


def test_person_search_offers_only_people_without_an_account(tree, sec_client):
    free = make_person(tree["branch_a1"], name="陈静")
    make_person(tree["branch_a1"], name="陈静怡", user=make_user("taken"))
    make_person(tree["branch_a1"], name="陈静远", status=Status.DECEASED)
    response = sec_client.get(reverse("accounts:user_create"), {"person_q": "陈静"},
                              HTTP_HX_REQUEST="true", HTTP_HX_TARGET="person-results")
    assert response.status_code == 200
    assert [p.pk for p in response.context["people"]] == [free.pk]
    assert "<html" not in response.content.decode()  # the fragment only
    # Without JavaScript the whole page answers with the same results.
    response = sec_client.get(reverse("accounts:user_create"), {"person_q": "陈静"})
    assert [p.pk for p in response.context["people"]] == [free.pk] and "<html" in response.content.decode()


def test_a_person_already_linked_cannot_be_linked_again(tree, sec_client):
    person = make_person(tree["branch_a1"], user=make_user("first"))
    response = sec_client.post(reverse("accounts:user_create"), {"username": "second", "person": person.pk})
    assert response.status_code == 400
    assert not User.objects.filter(username="second").exists()


@pytest.mark.parametrize("data, message", [
    ({"username": "", "display_name": "x"}, "这个字段是必填项"),
    ({"username": "sec_admin"}, "该用户名已存在"),
    ({"username": "SEC_ADMIN"}, "该用户名已存在"),
    ({"username": "bad name!"}, "用户名只能包含"),
    ({"username": "half", "role": Role.VIEWER}, "组织和角色须同时选择"),
    ({"username": "adm", "admin_role": "audit", "role": Role.VIEWER, "org": "ORG"}, "三员分立"),
])
def test_bad_input_on_create_changes_nothing_and_says_why(tree, sec_client, data, message):
    if data.get("org") == "ORG":
        data["org"] = tree["branch_a1"].pk
    users, rows = User.objects.count(), AuditLog.objects.count()
    response = sec_client.post(reverse("accounts:user_create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == users and AuditLog.objects.count() == rows


# --- 三员分立 ------------------------------------------------------------------------

def test_granting_an_org_role_to_an_administrator_account_is_refused(tree, security):
    auditor = make_user("auditor", admin_role="audit")
    with pytest.raises(ValidationError, match="三员分立"):
        services.user_role_grant(actor=security, user=auditor, org=tree["district"], role=Role.VIEWER)
    assert not auditor.role_assignments.exists()
    client = Client()
    client.force_login(security)
    response = client.post(reverse("accounts:user_role_grant", args=[auditor.pk]),
                           {"org": tree["district"].pk, "role": Role.VIEWER})
    assert response.status_code == 400 and "三员分立" in response.content.decode()
    assert not auditor.role_assignments.exists()


def test_an_account_with_org_roles_cannot_become_an_administrator(tree, security, sec_client):
    user = make_user("secretary", Role.SECRETARY, tree["school_a"])
    response = sec_client.post(reverse("accounts:user_admin_role", args=[user.pk]), {"admin_role": "audit"})
    assert response.status_code == 400 and "三员分立" in response.content.decode()
    user.refresh_from_db()
    assert user.admin_role == ""
    linked = make_user("linked", person=make_person(tree["branch_a1"]))
    with pytest.raises(ValidationError, match="三员分立"):
        services.user_set_admin_role(actor=security, user=linked, admin_role="security")
    with pytest.raises(ValidationError, match="三员分立"):
        services.user_link_person(actor=security, user=make_user(admin_role="system"),
                                  person=make_person(tree["branch_a1"]))


def test_the_admin_role_of_a_plain_account_can_be_set_and_is_audited(tree, sec_client):
    user = make_user("plain")
    response = sec_client.post(reverse("accounts:user_admin_role", args=[user.pk]), {"admin_role": "audit"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_audit_admin
    row = audit_rows(Event.UPDATE, user.pk)[-1]
    assert row.changes == {"before": {"admin_role": "无"}, "after": {"admin_role": "审计管理员"}}


def test_the_security_admin_cannot_change_their_own_admin_role_or_deactivate_themselves(security, sec_client):
    response = sec_client.post(reverse("accounts:user_admin_role", args=[security.pk]), {"admin_role": ""})
    assert response.status_code == 400 and "不能修改自己的管理员角色" in response.content.decode()
    response = sec_client.post(reverse("accounts:user_set_active", args=[security.pk]), {"active": "0"})
    assert response.status_code == 400 and "不能停用自己的账户" in response.content.decode()
    security.refresh_from_db()
    assert security.is_security_admin and security.is_active


def test_services_refuse_an_actor_who_is_not_the_security_admin(tree):
    actor = make_user(role=Role.ORG_ADMIN, org=tree["district"])
    with pytest.raises(ValidationError, match="只有安全管理员"):
        services.user_create(actor=actor, username="x1")
    with pytest.raises(ValidationError, match="只有安全管理员"):
        services.user_role_grant(actor=actor, user=make_user(), org=tree["district"], role=Role.ORG_ADMIN)


# --- roles ---------------------------------------------------------------------------

def test_granting_a_role_writes_an_audit_row_and_gives_access_at_once(tree, sec_client):
    user = make_user("newcomer")
    client = Client()
    client.force_login(user)
    assert reverse("orgs:tree") not in client.get(reverse("core:home")).content.decode()
    assert not scoping.can_read(user, tree["branch_a1"])

    response = sec_client.post(reverse("accounts:user_role_grant", args=[user.pk]),
                               {"org": tree["school_a"].pk, "role": Role.SECRETARY})
    assert response.status_code == 302
    assert reverse("orgs:tree") in client.get(reverse("core:home")).content.decode()  # the next request
    row = audit_rows(Event.ROLE_GRANT, user.pk)[-1]
    assert row.username == "sec_admin" and row.role == "安全管理员"
    assert row.changes == {"before": {}, "after": {"org": "实验中学党总支", "org_id": tree["school_a"].pk,
                                                   "role": "书记"}}

    # The service drops the scopes cached on the very object it was given.
    assert not scoping.can_read(user, tree["branch_a1"])  # caches [] on this object
    services.user_role_grant(actor=make_user(admin_role="security"), user=user, org=tree["school_b"],
                             role=Role.VIEWER)
    assert scoping.can_read(user, tree["school_b"])


def test_revoking_a_role_writes_an_audit_row_and_removes_access_at_once(tree, sec_client):
    user = make_user("leaver", Role.ORG_ADMIN, tree["school_a"])
    assignment = user.role_assignments.get()
    client = Client()
    client.force_login(user)
    assert reverse("orgs:tree") in client.get(reverse("core:home")).content.decode()
    detail = sec_client.get(reverse("accounts:user_detail", args=[user.pk])).content.decode()
    assert 'data-confirm="确定撤销 leaver 在 实验中学党总支 的“组织管理员”角色吗？"' in detail

    response = sec_client.post(reverse("accounts:user_role_revoke", args=[user.pk, assignment.pk]))
    assert response.status_code == 302
    assert not user.role_assignments.exists()
    assert reverse("orgs:tree") not in client.get(reverse("core:home")).content.decode()
    row = audit_rows(Event.ROLE_REVOKE, user.pk)[-1]
    assert row.changes["before"] == {"org": "实验中学党总支", "org_id": tree["school_a"].pk, "role": "组织管理员"}


def test_revoking_another_users_assignment_through_this_user_is_refused(tree, sec_client):
    user = make_user("u1", Role.VIEWER, tree["school_a"])
    other = make_user("u2", Role.VIEWER, tree["school_b"])
    response = sec_client.post(reverse("accounts:user_role_revoke",
                                       args=[user.pk, other.role_assignments.get().pk]))
    assert response.status_code == 400
    assert other.role_assignments.count() == 1


def test_granting_a_role_twice_or_on_a_dissolved_org_is_refused(tree, security):
    from datetime import date

    user = make_user("twice", Role.VIEWER, tree["school_a"])
    with pytest.raises(ValidationError, match="已有该角色"):
        services.user_role_grant(actor=security, user=user, org=tree["school_a"], role=Role.VIEWER)
    group = tree["group_a1"]
    group.dissolved_on = date(2024, 1, 1)
    group.save(update_fields=["dissolved_on"])
    with pytest.raises(ValidationError, match="已撤销"):
        services.user_role_grant(actor=security, user=user, org=group, role=Role.VIEWER)


def test_the_member_role_needs_a_linked_person_of_that_subtree(tree, security):
    user = make_user("m1")
    with pytest.raises(ValidationError, match="关联人员档案"):
        services.user_role_grant(actor=security, user=user, org=tree["branch_a1"], role=Role.MEMBER)
    services.user_link_person(actor=security, user=user, person=make_person(tree["branch_a1"]))
    with pytest.raises(ValidationError, match="所在组织或其上级组织"):
        services.user_role_grant(actor=security, user=user, org=tree["school_b"], role=Role.MEMBER)
    services.user_role_grant(actor=security, user=user, org=tree["branch_a1"], role=Role.MEMBER)
    with pytest.raises(ValidationError, match="先撤销"):
        services.user_unlink_person(actor=security, user=user)


def test_linking_and_unlinking_a_person_on_the_detail_page(tree, sec_client):
    user = make_user("linkme")
    person = make_person(tree["branch_a2"], name="赵敏")
    response = sec_client.get(reverse("accounts:user_detail", args=[user.pk]), {"person_q": "赵"})
    assert [p.pk for p in response.context["people"]] == [person.pk]
    assert sec_client.post(reverse("accounts:user_link_person", args=[user.pk]),
                           {"person": person.pk}).status_code == 302
    person.refresh_from_db()
    assert person.user_id == user.pk
    assert sec_client.post(reverse("accounts:user_unlink_person", args=[user.pk])).status_code == 302
    person.refresh_from_db()
    assert person.user_id is None
    actions = [r.changes["action"] for r in audit_rows(Event.UPDATE, user.pk)]
    assert actions == ["关联人员档案", "解除人员档案关联"]


# --- password, lock, activation --------------------------------------------------------------

def test_resetting_a_password_shows_the_new_one_once_and_forces_a_change(tree, sec_client):
    user = make_user("forgetful", Role.VIEWER, tree["school_a"])
    response = sec_client.post(reverse("accounts:user_password_reset", args=[user.pk]))
    assert response.status_code == 200
    password = one_time_password(response)
    user.refresh_from_db()
    assert user.must_change_password and user.check_password(password) and not user.check_password(PASSWORD)
    row = audit_rows(Event.PASSWORD, user.pk)[-1]
    assert row.changes["action"] == "重置密码" and password not in str(row.changes)
    client = Client()
    assert login(client, "forgetful", password).status_code == 302
    assert client.get(reverse("core:home")).url == reverse("accounts:password_change")


def test_resetting_a_password_ends_the_users_open_sessions(tree, sec_client):
    user = make_user("busy", Role.VIEWER, tree["school_a"])
    client = Client()
    client.force_login(user)
    assert client.get(reverse("core:home")).status_code == 200
    sec_client.post(reverse("accounts:user_password_reset", args=[user.pk]))
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_a_deactivated_user_cannot_log_in_until_reactivated(tree, sec_client):
    user = make_user("paused", Role.VIEWER, tree["school_a"])
    open_session = Client()
    open_session.force_login(user)
    assert sec_client.post(reverse("accounts:user_set_active", args=[user.pk]), {"active": "0"}).status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert open_session.get(reverse("core:home")).status_code == 302  # the open session ends too
    assert login(Client(REMOTE_ADDR="10.9.0.1"), "paused", PASSWORD).status_code == 200  # refused
    assert sec_client.post(reverse("accounts:user_set_active", args=[user.pk]), {"active": "1"}).status_code == 302
    assert login(Client(REMOTE_ADDR="10.9.0.2"), "paused", PASSWORD).status_code == 302
    changes = [r.changes for r in audit_rows(Event.UPDATE, user.pk)]
    assert changes[0] == {"action": "停用账户", "before": {"is_active": True}, "after": {"is_active": False}}
    assert changes[1]["action"] == "启用账户"


def test_editing_the_display_name_is_audited_with_before_and_after(sec_client):
    user = make_user("renamed")
    assert sec_client.post(reverse("accounts:user_edit", args=[user.pk]),
                           {"display_name": "新名字"}).status_code == 302
    row = audit_rows(Event.UPDATE, user.pk)[-1]
    assert row.changes == {"before": {"display_name": ""}, "after": {"display_name": "新名字"}}


def test_user_detail_page_renders_for_every_kind_of_account(tree, security, sec_client):
    for user in (security, make_user(admin_role="audit"), make_user(role=Role.SECRETARY, org=tree["school_a"]),
                 make_user(person=make_person(tree["branch_a1"]))):
        response = sec_client.get(reverse("accounts:user_detail", args=[user.pk]))
        assert response.status_code == 200
    assert sec_client.get(reverse("accounts:user_detail", args=[999999])).status_code == 404
    assert sec_client.get(reverse("accounts:user_create")).status_code == 200


def test_every_action_keeps_the_audit_chain_intact(tree, security, sec_client):
    user, _ = services.user_create(actor=security, username="chain", org=tree["school_a"], role=Role.VIEWER)
    services.user_password_reset(actor=security, user=user)
    services.user_unlock(actor=security, user=user)
    services.user_set_active(actor=security, user=user, active=False)
    ok, count, broken = verify_chain()
    assert ok and broken is None and count >= 5


# --- createadmin -------------------------------------------------------------------------

def test_createadmin_non_interactive_creates_an_administrator_and_audits_it(monkeypatch, capsys):
    monkeypatch.setenv("DANGJIAN_ADMIN_PASSWORD", "Sicher-2024!")
    call_command("createadmin", "--username", "auditor", "--role", "audit")
    user = User.objects.get(username="auditor")
    assert user.is_audit_admin and user.check_password("Sicher-2024!") and not user.must_change_password
    assert "已创建审计管理员：auditor" in capsys.readouterr().out
    row = AuditLog.objects.get(event=Event.CREATE, object_id=str(user.pk))
    assert row.username == services.CLI_ACTOR and row.changes["after"]["admin_role"] == "审计管理员"
    # Default role: security.
    call_command("createadmin", "--username", "sec2")
    assert User.objects.get(username="sec2").is_security_admin


@pytest.mark.parametrize("weak", ["password1", "abcdefgh", "Abcdefgh", "Ab1!"])
def test_createadmin_rejects_weak_passwords(monkeypatch, weak):
    monkeypatch.setenv("DANGJIAN_ADMIN_PASSWORD", weak)
    with pytest.raises(CommandError, match="创建失败"):
        call_command("createadmin", "--username", "weakling", "--role", "security")
    assert not User.objects.filter(username="weakling").exists()
    assert not AuditLog.objects.filter(event=Event.CREATE).exists()


def test_createadmin_refuses_an_existing_username_and_a_missing_password(monkeypatch):
    make_user("taken")
    monkeypatch.setenv("DANGJIAN_ADMIN_PASSWORD", "Sicher-2024!")
    with pytest.raises(CommandError, match="已存在"):
        call_command("createadmin", "--username", "taken", "--role", "system")
    monkeypatch.delenv("DANGJIAN_ADMIN_PASSWORD")
    with pytest.raises(CommandError, match="DANGJIAN_ADMIN_PASSWORD"):
        call_command("createadmin", "--username", "newone", "--noinput")


def test_createadmin_interactive_prompts_and_revalidates(monkeypatch, capsys):
    make_user("taken")
    monkeypatch.delenv("DANGJIAN_ADMIN_PASSWORD", raising=False)
    answers = iter(["taken", "boss", "3"])
    passwords = iter(["abcdefgh", "abcdefgh", "Sicher-2024!", "different", "Sicher-2024!", "Sicher-2024!"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))
    call_command("createadmin")
    user = User.objects.get(username="boss")
    assert user.is_audit_admin and user.check_password("Sicher-2024!")
    err = capsys.readouterr().err
    assert "已存在" in err and "两次输入的密码不一致" in err and "3类" in err


def test_createadmin_interactive_defaults_to_the_security_role(monkeypatch):
    monkeypatch.delenv("DANGJIAN_ADMIN_PASSWORD", raising=False)
    answers = iter(["chief", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "Sicher-2024!")
    call_command("createadmin")
    assert User.objects.get(username="chief").is_security_admin
