"""Compliance findings over the visible subtree of an organisation."""

from django.utils import timezone
from ninja import Query, Router

from dangjian.compliance.engine import findings_for
from dangjian.orgs.models import Organisation

from ..common import get_object, page, require_party_scope
from ..schemas import ErrorOut, FindingFilters, FindingPage, Paging

router = Router(tags=["合规检查"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("/findings", response={200: FindingPage, **ERRORS}, summary="合规检查结果")
def findings_list(request, filters: Query[FindingFilters], paging: Query[Paging]):
    """按规则检查 org 及其下级（您可见的部分）在 on 日期的情况：规则编号、名称、出处、严重程度、期限、说明。"""
    require_party_scope(request)
    on = filters.on or timezone.localdate()
    orgs = Organisation.objects.visible_to(request.user).active(on)
    if filters.org is not None:
        org = get_object(request, Organisation.objects.all(), filters.org, org_attr=None)
        orgs = orgs.filter(path__startswith=org.path)
    findings = findings_for(list(orgs), on=on)

    def rows(items):
        return [{"org": {"id": f.org_id, "name": f.org_name}, "subject": f.subject, "rule_id": f.rule_id,
                 "title": f.rule.title, "source": f.source, "tag": f.rule.tag, "severity": f.severity,
                 "severity_label": f.severity_label, "due_on": f.due_on, "message": f.message} for f in items]

    return page(findings, paging, rows, extra={"on": on})
