"""Every page that writes on POST has an API twin, or a stated exemption (issue #8).

The pages are enumerated from the URL resolver (the `api` namespace excluded). A page "accepts POST" unless its view
is restricted to other methods: the method list of `require_http_methods` / `require_POST` / `require_safe`, found
by walking the decorator chain (`__wrapped__` and closures), or a class-based view without `post`. A page without
any such restriction counts as accepting POST, so a new page cannot slip through by not declaring its methods.

Each such page must be in TWINS (URL name → the API operation(s) writing the same records through the same
service functions; each checked to exist in the OpenAPI document as a write operation) or in EXEMPT
(URL name → the reason, 中文 / English). "TODO API" reasons mark gaps still to be filled.
Any page missing from both tables, and any entry whose page or operation no longer exists (or no longer accepts
POST), fails.
"""

from collections import deque

from django.urls import URLPattern, URLResolver, get_resolver

WRITE_METHODS = {"post", "put", "patch", "delete"}

SECURITY = "安全管理员专用的账户管理页面（三员分立，不开放接口）/ security-admin-only account screen"
SESSION = "登录会话本身的操作，不是党务记录 / acts on the signed-in session, not a record"

TWINS = {
    # orgs
    "orgs:create": "orgs_create",
    "orgs:edit": "orgs_update",
    "orgs:move": "orgs_move",
    "orgs:upgrade": "orgs_upgrade",
    "orgs:dissolve": "orgs_dissolve",
    "orgs:post_add": "orgs_post_add",
    "orgs:post_end": "posts_end",
    # members
    "members:create": "people_create",
    "members:edit": "people_update",
    "members:status": "people_status",
    "members:move": "people_move",
    "members:unmask": "people_unmask",
    # life
    "life:meeting_plan": "meetings_create",
    "life:meeting_record_new": "meetings_create",
    "life:meeting_edit": "meetings_update",
    "life:meeting_record": "meetings_record",
    "life:meeting_cancel": "meetings_cancel",
    "life:attendance": "meetings_attendance_set",
    "life:vote_add": "meetings_vote_add",
    "life:attachment_add": "meetings_attachment_add",
    "life:attachment_delete": "meetings_attachment_delete",
    "life:signin": "meetings_signin",
    "life:signin_code": "meetings_signin",  # the 6-digit code is the page's way to name the meeting; same service
    "life:study_task_create": "study_tasks_create",
    "life:study_task_edit": "study_tasks_update",
    "life:study_task_delete": "study_tasks_delete",
    "life:study_log_add": "study_logs_create",
    # dues
    "dues:generate": "dues_bills_generate",
    "dues:pay_bulk": "dues_payments_bulk",
    "dues:base_set": "dues_base_set",
    "dues:pay": "dues_pay",
    "dues:voluntary": "dues_voluntary_add",
    "dues:adjust": "dues_bills_adjust",
    # pipeline
    "pipeline:file_open": "pipeline_files_open",
    "pipeline:step_record": "pipeline_steps_record",
    "pipeline:file_extend": "pipeline_files_extend",
    "pipeline:file_cancel": "pipeline_files_cancel",
    "pipeline:file_withdraw": "pipeline_files_withdraw",
    "pipeline:step_attachment_add": "pipeline_attachments_add",
    "pipeline:step_attachment_delete": "pipeline_attachments_delete",
    "pipeline:template_upload": "pipeline_templates_upload",
    "pipeline:template_revert": "pipeline_templates_revert",
    # service
    "service:activity_new": "service_activities_create",
    "service:activity_edit": "service_activities_update",
    "service:activity_delete": "service_activities_delete",
    "service:photo_add": "service_photos_add",
    "service:photo_delete": "service_photos_delete",
    "service:partnership_new": "service_partnerships_create",
    "service:partnership_edit": "service_partnerships_update",
    "service:partnership_delete": "service_partnerships_delete",
    "service:visit_new": "service_home_visits_create",
    "service:visit_edit": "service_home_visits_update",
    "service:visit_delete": "service_home_visits_delete",
    "service:care_new": "service_care_visits_create",
    "service:care_edit": "service_care_visits_update",
    "service:care_delete": "service_care_visits_delete",
    # vanguard
    **{f"vanguard:{kind}_{action}": f"vanguard_{kind}_{op}"
       for kind in ("pairs", "posts", "lessons", "reviews", "articles", "honours")
       for action, op in (("new", "create"), ("edit", "update"), ("delete", "delete"))},
    # integrity: one page for the four kinds (the kind is in the URL)
    **{f"integrity:{page}": tuple(f"integrity_{kind}_{op}" for kind in ("files", "talks", "education", "sanctions"))
       for page, op in (("create", "create"), ("edit", "update"), ("delete", "delete"))},
    # tasks
    "tasks:task_new": "tasks_create",
    "tasks:receipt_answer": "tasks_receipt_answer",
    # review
    "review:self_review": "review_self_review_submit",
    "review:tally": "review_grades_set",
    "review:staff_codes": "review_staff_codes_create",
    # terms
    "terms:election_new": "terms_elections_create",
    # transfers
    "transfers:transfer_in": "transfers_in",
    "transfers:transfer_out": "transfers_out",
    "transfers:transfer_within": "transfers_within",
    "transfers:decide": "transfers_decide",
    "transfers:accept": "transfers_accept",
    "transfers:return": "transfers_return",
    "transfers:cancel": "transfers_cancel",
    "transfers:renew": "transfers_renew",
    "terms:posts": "terms_election_posts_set",
    "terms:approve": "terms_election_approve",
    "terms:delete": "terms_election_delete",
    "terms:extension_request": "terms_extension_request",
    "terms:extension_approve": "terms_extension_approve",
    "tasks:task_edit": "tasks_update",
    "tasks:task_withdraw": "tasks_withdraw",
    "tasks:pledge_new": "tasks_pledges_create",
    "tasks:pledge_edit": "tasks_pledges_update",
    "tasks:pledge_delete": "tasks_pledges_delete",
    "tasks:instructor_new": "tasks_instructors_create",
    "tasks:instructor_edit": "tasks_instructors_update",
    "tasks:instructor_delete": "tasks_instructors_delete",
    "transfers:contact_loss": "transfers_contact_loss_record",
    "transfers:abroad_return": "transfers_abroad_return",
    "transfers:contact_found": "transfers_contact_found",
    "service:pair_new": "service_pairs_create",
    "service:pair_edit": "service_pairs_update",
    "service:pair_delete": "service_pairs_delete",
    "review:round_create": "review_rounds_create",
    "review:round_edit": "review_rounds_update",
    "review:round_delete": "review_rounds_delete",
    "review:round_advance": "review_rounds_advance",
    "review:subject_exempt": "review_subject_exempt",
    "review:follow_up": "review_follow_up_set",
    "review:follow_up_delete": "review_follow_up_delete",
    "points:rules_edit": "points_rules_save",
    "points:rules_remove": "points_rules_remove",
    "workdays:import": "workdays_holidays_import",
    "workdays:delete": "workdays_holidays_delete",
    "service:hardship_new": "service_hardship_create",
    "service:hardship_edit": "service_hardship_update",
    "service:hardship_delete": "service_hardship_delete",
    "reports:summary_save": "reports_summary_text_save",
    "compliance:override_edit": "compliance_override_set",
    "compliance:override_remove": "compliance_override_remove",
    # appraisal (述职评议)
    "appraisal:form_create": "appraisal_forms_create",
    "appraisal:form_edit": "appraisal_forms_update",
    "appraisal:form_delete": "appraisal_forms_delete",
    "appraisal:report_create": ("appraisal_reports_create", "appraisal_attachments_add"),
    "appraisal:report_edit": ("appraisal_reports_update", "appraisal_attachments_add"),
    "appraisal:report_delete": "appraisal_reports_delete",
    "appraisal:score": "appraisal_sheets_save",
    "members:import": "people_import",
    "dues:payroll": "dues_payroll_upload",
    "dues:payroll_map": "dues_payroll_import",
}

EXEMPT = {
    # the session and its credentials
    "accounts:login": SESSION,
    "accounts:logout": SESSION,
    "accounts:password_change": "修改本人密码须在登录会话中完成（令牌不能改密码）/ password change needs the session",
    "tokens:create": "接口令牌只在登录会话中由本人创建（令牌不能签发令牌）/ a token cannot mint tokens",
    "tokens:revoke": "接口令牌只在登录会话中由本人撤销 / tokens are revoked in the signed-in session",
    # security administration (三员分立)
    **{name: SECURITY for name in (
        "accounts:user_create", "accounts:unlock_ip", "accounts:user_edit", "accounts:user_role_grant",
        "accounts:user_role_revoke", "accounts:user_admin_role", "accounts:user_set_active",
        "accounts:user_password_reset", "accounts:user_unlock", "accounts:user_link_person",
        "accounts:user_unlink_person")},
    "core:audit": "审计管理员页面；POST 只校验哈希链（只读），不写记录 / the POST only verifies the audit hash chain",
    # staff reviewers have no account and therefore no token
    "review:staff": "教职工凭一次性评议码匿名评议，没有账户也就没有令牌 / staff review anonymously with a one-time "
                    "code and hold no account",
    # downloads requested by POST: nothing is kept
    "reports:summary_download": "生成 Word 文档下载，不保存记录；数字见 reports_summary / a document download, nothing kept",
    "reports:stats_export": "生成 Excel 下载，不保存记录 / an Excel download, nothing kept",
    # gaps still open
    "review:ballot": "党员互评不记名，按设计只在页面（手机）提交，不经第三方系统转交 / the anonymous peer ballot stays "
                     "on the page by design (review/api.py)",
}


def _allowed_methods(callback):
    """The HTTP methods a page view accepts, or None when nothing restricts them (then it accepts POST).

    Breadth first from the outermost wrapper, so the outermost `require_http_methods` is the one found."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    queue, seen = deque([callback]), set()
    while queue:
        fn = queue.popleft()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        code, closure = getattr(fn, "__code__", None), getattr(fn, "__closure__", None)
        if code is not None and closure:
            for name, cell in zip(code.co_freevars, closure):
                try:
                    value = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
                if name == "request_method_list":
                    return {m.upper() for m in value}
                if callable(value):
                    queue.append(value)
        if hasattr(fn, "__wrapped__"):
            queue.append(fn.__wrapped__)
    return None


def page_routes():
    """{URL name: view callback} of every page, the JSON API excluded."""
    routes = {}

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "api" or p.app_name == "admin":
                    continue
                walk(p.url_patterns, f"{prefix}{p.namespace}:" if p.namespace else prefix)
            elif isinstance(p, URLPattern) and p.name:
                routes[prefix + p.name] = p.callback

    walk(get_resolver().url_patterns, "")
    return routes


def post_pages():
    return sorted(name for name, callback in page_routes().items()
                  if (methods := _allowed_methods(callback)) is None or "POST" in methods)


def write_operations():
    from dangjian.api.main import api

    return {op["operationId"] for ops in api.get_openapi_schema()["paths"].values()
            for method, op in ops.items() if method in WRITE_METHODS}


def _ops(value):
    return value if isinstance(value, tuple) else (value,)


def test_the_detection_sees_the_method_restrictions():
    """The walk finds require_POST, require_http_methods (also under login_required and the service app's
    generated views), require_safe and class-based views: otherwise every page would count as POST."""
    routes = page_routes()
    assert _allowed_methods(routes["members:unmask"]) == {"POST"}
    assert _allowed_methods(routes["orgs:edit"]) == {"GET", "POST"}
    assert _allowed_methods(routes["service:activity_delete"]) == {"POST"}
    assert _allowed_methods(routes["service:home"]) == {"GET"}
    assert "POST" not in _allowed_methods(routes["core:home"])
    assert "POST" in _allowed_methods(routes["accounts:login"])
    assert _allowed_methods(lambda request: None) is None
    names = set(post_pages())
    assert "orgs:edit" in names and "orgs:tree" not in names and "compliance:rules" not in names


def test_every_page_write_has_an_api_twin_or_a_stated_exemption():
    both = sorted(set(TWINS) & set(EXEMPT))
    assert not both, f"in TWINS and EXEMPT at once: {both}"
    missing = sorted(set(post_pages()) - set(TWINS) - set(EXEMPT))
    assert not missing, (f"pages that accept POST without an API twin or an exemption (add the API operation, "
                         f"or a reason in EXEMPT): {missing}")


def test_no_stale_entries():
    posting = set(post_pages())
    stale = sorted((set(TWINS) | set(EXEMPT)) - posting)
    assert not stale, f"entries for pages that no longer exist or no longer accept POST: {stale}"
    operations = write_operations()
    unknown = sorted((name, op) for name, value in TWINS.items() for op in _ops(value) if op not in operations)
    assert not unknown, f"twins that are not write operations of the API: {unknown}"


def test_exemptions_give_a_reason():
    assert all(len(reason.strip()) >= 10 for reason in EXEMPT.values())
