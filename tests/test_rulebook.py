"""The rulebook screen: the 系统管理员 sees every rule with its source and overrides it per
organisation; overrides are audited and bad input changes nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dangjian.accounts.models import AdminRole
from dangjian.compliance.models import RuleOverride
from dangjian.compliance.rulebook import Tag, all_rules
from dangjian.compliance.services import rule_override_remove, rule_override_set
from dangjian.core.audit import Event, verify_chain
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Organisation, OrgKind, Role
from tests.factories import make_org, make_user

pytestmark = pytest.mark.django_db

MIN_FULL = "org.branch_min_full"
COMMITTEE_SIZE = "org.committee_size"


@pytest.fixture
def sysadmin():
    return make_user(admin_role=AdminRole.SYSTEM)


@pytest.fixture
def admin_client(client, sysadmin):
    client.force_login(sysadmin)
    return client


def rules_url(org=None):
    url = reverse("compliance:rules")
    return f"{url}?org={org.pk}" if org is not None else url


def edit_url(rule_id, org):
    return reverse("compliance:override_edit", args=[rule_id, org.pk])


def remove_url(override):
    return reverse("compliance:override_remove", args=[override.pk])


def override_audit_rows():
    return list(AuditLog.objects.filter(object_type="compliance.ruleoverride").exclude(event=Event.DENIED)
                .order_by("id"))


def post_override(client, rule_id, org, **data):
    return client.post(edit_url(rule_id, org), {"enabled": "on", "reason": "本校党总支会议决定", **data})


# --- permissions -----------------------------------------------------------------------------------

def _urls(tree, sysadmin):
    override = rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                                 params={"min_full": 4}, reason="本校规定")
    return [("get", rules_url()), ("get", rules_url(tree["school_a"])),
            ("get", edit_url(MIN_FULL, tree["branch_a1"])), ("post", remove_url(override))]


def test_system_admin_may_open_the_rules_screens(tree, sysadmin, admin_client):
    assert admin_client.get(rules_url()).status_code == 200
    assert admin_client.get(rules_url(tree["branch_a1"])).status_code == 200
    assert admin_client.get(edit_url(MIN_FULL, tree["branch_a1"])).status_code == 200


@pytest.mark.parametrize("admin_role", [AdminRole.SECURITY, AdminRole.AUDIT])
def test_other_administrators_are_forbidden(tree, sysadmin, client, admin_role):
    urls = _urls(tree, sysadmin)
    client.force_login(make_user(admin_role=admin_role))
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 403, url
    assert RuleOverride.objects.count() == 1


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.SECRETARY, Role.VIEWER, Role.DISCIPLINE, Role.MEMBER])
def test_org_roles_are_forbidden_even_at_the_top_of_the_tree(tree, sysadmin, client, role):
    urls = _urls(tree, sysadmin)
    client.force_login(make_user(role=role, org=tree["district"]))
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 403, url
    assert RuleOverride.objects.count() == 1


def test_forbidden_access_is_audited(tree, client):
    client.force_login(make_user(username="sec1", admin_role=AdminRole.SECURITY))
    client.get(rules_url())
    assert AuditLog.objects.filter(event=Event.DENIED, username="sec1", outcome="denied").exists()


def test_anonymous_visitors_are_sent_to_login(tree, sysadmin, client):
    login = reverse("accounts:login")
    for method, url in _urls(tree, sysadmin):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login)
    assert RuleOverride.objects.count() == 1


def test_other_methods_are_refused(admin_client, tree):
    assert admin_client.post(rules_url()).status_code == 405
    override = RuleOverride.objects.create(org=tree["school_a"], rule_id=MIN_FULL, params={"min_full": 4},
                                           reason="x")
    assert admin_client.get(remove_url(override)).status_code == 405


# --- the rules table -------------------------------------------------------------------------------

def test_rules_page_lists_every_rule_with_source_tag_severity_and_labelled_defaults(admin_client, tree):
    html = admin_client.get(rules_url()).content.decode()
    for rule in all_rules():
        assert rule.title in html
        assert rule.source in html
        assert f"[{rule.tag}] {rule.tag_label}" in html
        assert rule.severity_label in html
        for name, label in rule.param_labels.items():
            assert f"{label}：<strong>{rule.params[name]}</strong>" in html
    assert "最少正式党员数：<strong>3</strong>" in html


def test_rules_page_explains_every_tag_in_a_legend(admin_client, tree):
    html = admin_client.get(rules_url()).content.decode()
    assert 'data-testid="tag-legend"' in html
    for code, label in Tag.LABELS.items():
        assert f"[{code}] {label}" in html
        assert Tag.DESCRIPTIONS[code] in html
    assert {"原文条款", "内容确认", "地方或单位做法", "说法不一", "待核实"} <= set(Tag.LABELS.values())


def test_rules_page_names_the_organisations_overriding_each_rule(admin_client, tree, sysadmin):
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                      params={"min_full": 5}, reason="本校规定")
    rule_override_set(actor=sysadmin, org=tree["school_b"], rule_id=COMMITTEE_SIZE, enabled=False,
                      params={}, reason="城南小学另行规定")
    response = admin_client.get(rules_url())
    rows = {row["rule"].id: row for row in response.context["rows"]}
    assert [o["override"].org.name for o in rows[MIN_FULL]["overrides"]] == ["实验中学党总支"]
    assert [o["override"].org.name for o in rows[COMMITTEE_SIZE]["overrides"]] == ["城南小学党支部"]
    assert rows["org.branch_max_members"]["overrides"] == []
    html = response.content.decode()
    assert "本校规定" in html and "城南小学另行规定" in html


def test_org_select_lists_every_active_organisation(admin_client, tree):
    gone = make_org(tree["area"], "已撤销支部", OrgKind.BRANCH)
    Organisation.objects.filter(pk=gone.pk).update(dissolved_on="2024-12-31")
    html = admin_client.get(rules_url()).content.decode()
    for org in tree.values():
        assert f'value="{org.pk}"' in html
    assert f'value="{gone.pk}"' not in html


def test_choosing_an_organisation_shows_the_effective_setting_and_where_it_comes_from(admin_client, tree, sysadmin):
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                      params={"min_full": 5}, reason="本校规定")
    rule_override_set(actor=sysadmin, org=tree["branch_a1"], rule_id=COMMITTEE_SIZE, enabled=False,
                      params={}, reason="本支部暂停")
    response = admin_client.get(rules_url(tree["branch_a1"]))
    assert response.context["chosen"] == tree["branch_a1"]
    effective = {row["rule"].id: row["effective"] for row in response.context["rows"]}
    assert effective[MIN_FULL].params == {"min_full": 5}
    assert effective[MIN_FULL].origin_label == "继承自实验中学党总支"
    assert effective[COMMITTEE_SIZE].enabled is False
    assert effective[COMMITTEE_SIZE].origin_label == "本组织调整"
    assert effective["org.branch_max_members"].origin_label == "默认"
    html = response.content.decode()
    assert "继承自实验中学党总支" in html and "本组织调整" in html and "默认" in html
    # only the branch's own override may be removed from here
    assert remove_url(RuleOverride.objects.get(org=tree["branch_a1"])) in html
    assert remove_url(RuleOverride.objects.get(org=tree["school_a"])) not in html


def test_unknown_organisation_in_the_query_is_an_error_not_a_crash(admin_client, tree):
    response = admin_client.get(rules_url() + "?org=999999")
    assert response.status_code == 200
    assert response.context["chosen"] is None
    assert "请选择有效的组织。" in response.content.decode()
    assert admin_client.get(rules_url() + "?org=abc").status_code == 200


def _populate(parent, sysadmin, n):
    for i in range(n):
        org = make_org(parent, f"支部{i}", OrgKind.BRANCH)
        rule_override_set(actor=sysadmin, org=org, rule_id=all_rules()[i % len(all_rules())].id, enabled=bool(i % 2),
                          params={}, reason=f"依据{i}")


@pytest.mark.parametrize("n", [1, 12])
def test_rules_page_issues_a_fixed_number_of_queries(admin_client, tree, sysadmin, django_assert_num_queries, n):
    _populate(tree["school_a"], sysadmin, n)
    admin_client.get(rules_url())  # warm the session
    # session, user, orgs, overrides, the chosen org's rulebook, nav (roles + own person),
    # session save (savepoint, update, release)
    with django_assert_num_queries(10):
        response = admin_client.get(rules_url(tree["branch_a1"]))
    assert response.status_code == 200
    assert len(response.context["pick"].fields["org"].choices) == len(tree) + n + 1


# --- setting an override ---------------------------------------------------------------------------

def test_setting_an_override_stores_it_and_writes_an_audit_row(admin_client, tree, sysadmin):
    response = post_override(admin_client, COMMITTEE_SIZE, tree["school_a"], min_size=3, max_size=5)
    assert response.status_code == 302
    assert response["Location"] == rules_url(tree["school_a"])
    override = RuleOverride.objects.get()
    assert (override.org, override.rule_id, override.enabled, override.params, override.reason, override.updated_by) == (
        tree["school_a"], COMMITTEE_SIZE, True, {"min_size": 3, "max_size": 5}, "本校党总支会议决定", sysadmin)
    [row] = override_audit_rows()
    assert row.event == Event.CREATE
    assert row.object_id == str(override.pk)
    assert row.changes["before"] == {}
    assert row.changes["after"]["params"] == {"min_size": 3, "max_size": 5}
    assert row.changes["after"]["reason"] == "本校党总支会议决定"
    assert verify_chain()[0]


def test_changing_an_override_records_before_and_after(admin_client, tree):
    post_override(admin_client, MIN_FULL, tree["school_a"], min_full=4)
    response = admin_client.post(edit_url(MIN_FULL, tree["school_a"]), {"min_full": 4, "reason": "暂停检查"})
    assert response.status_code == 302
    override = RuleOverride.objects.get()
    assert override.enabled is False
    created, updated = override_audit_rows()
    assert updated.event == Event.UPDATE
    assert updated.changes["before"]["enabled"] is True
    assert updated.changes["after"]["enabled"] is False
    assert updated.changes["before"]["reason"] == "本校党总支会议决定"
    assert updated.changes["after"]["reason"] == "暂停检查"


def test_saving_the_same_setting_again_writes_nothing(admin_client, tree):
    post_override(admin_client, MIN_FULL, tree["school_a"], min_full=4)
    post_override(admin_client, MIN_FULL, tree["school_a"], min_full=4)
    assert RuleOverride.objects.count() == 1
    assert len(override_audit_rows()) == 1


def test_edit_form_starts_from_the_inherited_setting(admin_client, tree, sysadmin):
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                      params={"min_full": 5}, reason="本校规定")
    response = admin_client.get(edit_url(MIN_FULL, tree["branch_a1"]))
    form = response.context["form"]
    assert form.initial["min_full"] == 5 and form.initial["enabled"] is True
    assert form.initial["reason"] == ""
    html = response.content.decode()
    assert "继承自实验中学党总支" in html and "调整依据" in html and "最少正式党员数" in html


def test_edit_page_for_unknown_rule_or_dissolved_organisation_is_404(admin_client, tree):
    gone = make_org(tree["area"], "已撤销支部", OrgKind.BRANCH)
    Organisation.objects.filter(pk=gone.pk).update(dissolved_on="2024-12-31")
    assert admin_client.get(edit_url("org.no_such_rule", tree["school_a"])).status_code == 404
    assert admin_client.get(edit_url(MIN_FULL, gone)).status_code == 404
    assert admin_client.get(reverse("compliance:override_edit", args=[MIN_FULL, 999999])).status_code == 404


# --- removing an override --------------------------------------------------------------------------

def test_removing_an_override_restores_inheritance_and_writes_an_audit_row(admin_client, tree, sysadmin):
    rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                      params={"min_full": 5}, reason="本校规定")
    own = rule_override_set(actor=sysadmin, org=tree["branch_a1"], rule_id=MIN_FULL, enabled=False,
                            params={}, reason="暂停")
    html = admin_client.get(rules_url(tree["branch_a1"])).content.decode()
    assert 'data-confirm="确定取消' in html
    response = admin_client.post(remove_url(own))
    assert response.status_code == 302
    assert response["Location"] == rules_url(tree["branch_a1"])
    assert not RuleOverride.objects.filter(pk=own.pk).exists()
    row = override_audit_rows()[-1]
    assert row.event == Event.DELETE
    assert row.object_id == str(own.pk)
    assert row.changes["before"]["enabled"] is False and row.changes["after"] == {}
    effective = {r["rule"].id: r["effective"] for r in admin_client.get(rules_url(tree["branch_a1"])).context["rows"]}
    assert effective[MIN_FULL].origin_label == "继承自实验中学党总支"
    assert effective[MIN_FULL].params == {"min_full": 5}


def test_removing_a_missing_override_is_404(admin_client, tree):
    assert admin_client.post(reverse("compliance:override_remove", args=[999999])).status_code == 404


def test_service_refuses_to_remove_an_override_twice(tree, sysadmin):
    override = rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                                 params={}, reason="本校规定")
    rule_override_remove(actor=sysadmin, override=override)
    with pytest.raises(ValidationError, match="已不存在"):
        rule_override_remove(actor=sysadmin, override=override)
    assert [r.event for r in override_audit_rows()] == [Event.CREATE, Event.DELETE]


# --- bad input changes nothing ---------------------------------------------------------------------

@pytest.mark.parametrize("rule_id, data, field, message", [
    (MIN_FULL, {"min_full": -1}, "min_full", "“最少正式党员数”须在1至50之间。"),
    (MIN_FULL, {"min_full": 0}, "min_full", "“最少正式党员数”须在1至50之间。"),
    (MIN_FULL, {"min_full": 51}, "min_full", "“最少正式党员数”须在1至50之间。"),
    (MIN_FULL, {"min_full": "abc"}, "min_full", "“最少正式党员数”须为整数。"),
    (MIN_FULL, {"min_full": "2.5"}, "min_full", "“最少正式党员数”须为整数。"),
    (MIN_FULL, {"min_full": ""}, "min_full", "请填写“最少正式党员数”。"),
    (COMMITTEE_SIZE, {"min_size": 5, "max_size": 3}, "max_size", "“最多委员数”不能小于“最少委员数”。"),
    (MIN_FULL, {"min_full": 4, "reason": "  "}, "reason", "请填写调整依据。"),
    (MIN_FULL, {"min_full": 4, "reason": "长" * 201}, "reason", "调整依据不能超过200字。"),
])
def test_bad_form_input_is_rejected_and_changes_nothing(admin_client, tree, rule_id, data, field, message):
    before_audit = AuditLog.objects.count()
    response = post_override(admin_client, rule_id, tree["school_a"], **data)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert RuleOverride.objects.count() == 0
    assert AuditLog.objects.count() == before_audit


def test_bad_input_leaves_an_existing_override_untouched(admin_client, tree):
    post_override(admin_client, COMMITTEE_SIZE, tree["school_a"], min_size=3, max_size=5)
    response = post_override(admin_client, COMMITTEE_SIZE, tree["school_a"], min_size=6, max_size=4)
    assert response.status_code == 400
    override = RuleOverride.objects.get()
    assert override.params == {"min_size": 3, "max_size": 5}
    assert len(override_audit_rows()) == 1


@pytest.mark.parametrize("kwargs, key, message", [
    ({"params": {"min_full": -3}}, "min_full", "须在1至50之间"),
    ({"params": {"min_full": 2.5}}, "min_full", "须为整数"),
    ({"params": {"min_full": "5"}}, "min_full", "须为整数"),
    ({"params": {"min_full": True}}, "min_full", "须为整数"),
    ({"params": {"min_full": 4, "max_members": 9}}, "params", "没有参数：max_members"),
    ({"params": ["min_full"]}, "params", "参数格式不正确"),
    ({"rule_id": "org.no_such_rule"}, "rule_id", "未知的规则：org.no_such_rule"),
    ({"rule_id": COMMITTEE_SIZE, "params": {"min_size": 8}}, "max_size", "不能小于"),
    ({"reason": ""}, "reason", "请填写调整依据"),
    ({"enabled": "yes"}, "enabled", "请选择是否启用"),
])
def test_service_rejects_bad_input_in_chinese_and_changes_nothing(tree, sysadmin, kwargs, key, message):
    args = {"actor": sysadmin, "org": tree["school_a"], "rule_id": MIN_FULL, "enabled": True,
            "params": {"min_full": 4}, "reason": "本校规定", **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        rule_override_set(**args)
    assert any(message in m for m in excinfo.value.message_dict[key])
    assert RuleOverride.objects.count() == 0
    assert override_audit_rows() == []


def test_service_refuses_dissolved_organisations(tree, sysadmin):
    gone = make_org(tree["area"], "已撤销支部", OrgKind.BRANCH)
    Organisation.objects.filter(pk=gone.pk).update(dissolved_on="2024-12-31")
    gone.refresh_from_db()
    with pytest.raises(ValidationError, match="已撤销"):
        rule_override_set(actor=sysadmin, org=gone, rule_id=MIN_FULL, enabled=True, params={}, reason="x")
    assert RuleOverride.objects.count() == 0


@pytest.mark.parametrize("admin_role, role", [(AdminRole.SECURITY, None), (AdminRole.AUDIT, None),
                                              ("", Role.ORG_ADMIN)])
def test_service_refuses_anyone_but_the_system_admin(tree, sysadmin, admin_role, role):
    actor = make_user(admin_role=admin_role, role=role, org=tree["district"] if role else None)
    with pytest.raises(ValidationError, match="只有系统管理员"):
        rule_override_set(actor=actor, org=tree["school_a"], rule_id=MIN_FULL, enabled=True, params={},
                          reason="x")
    override = rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=MIN_FULL, enabled=True,
                                 params={}, reason="x")
    with pytest.raises(ValidationError, match="只有系统管理员"):
        rule_override_remove(actor=actor, override=override)
    assert RuleOverride.objects.count() == 1


def test_partial_params_keep_the_rulebook_defaults(tree, sysadmin):
    override = rule_override_set(actor=sysadmin, org=tree["school_a"], rule_id=COMMITTEE_SIZE, enabled=True,
                                 params={"max_size": 5}, reason="本校规定")
    assert override.params == {"min_size": 3, "max_size": 5}
