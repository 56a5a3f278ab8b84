"""Compliance findings over the visible subtree of an organisation."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Query, Router

from dangjian.compliance.selectors import findings_in
from dangjian.orgs.models import Organisation

from ..common import get_object, page, require_party_scope
from ..schemas import ErrorOut, FindingFilters, FindingPage, Paging

router = Router(tags=["合规检查"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get("/findings", response={200: FindingPage, **ERRORS}, summary="合规检查结果")
def findings_list(request, filters: Query[FindingFilters], paging: Query[Paging]):
    """按规则检查 org 及其下级（您可见的部分）在 on 日期的情况：规则编号、名称、出处、严重程度、期限、说明。
    范围超过 FINDINGS_LIVE_MAX_ORGS 个组织时返回最近一次每日检查的结果（live 为 false，on 为其检查日期），
    此时指定其他日期返回 422（on 字段说明原因）。"""
    require_party_scope(request)
    orgs = Organisation.objects.visible_to(request.user).active(filters.on or timezone.localdate())
    if filters.org is not None:
        org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        orgs = orgs.filter(path__startswith=org.path)
    try:
        findings = findings_in(orgs, on=filters.on)
    except ValidationError as exc:
        raise ValidationError({"on": exc.messages}) from None

    def rows(items):
        return [{"org": {"id": f.org_id, "name": f.org_name}, "subject": f.subject, "rule_id": f.rule_id,
                 "title": f.rule.title, "source": f.source, "tag": f.rule.tag, "severity": f.severity,
                 "severity_label": f.severity_label, "due_on": f.due_on, "message": f.message} for f in items]

    return page(findings.filtered(), paging, rows, extra={"on": findings.on, "live": findings.live})
