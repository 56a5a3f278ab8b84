"""Findings of the transfers app, for any "as of" date `on`:

1. `transfers.letter_expired`: an open transfer whose letter expired (the day after `valid_until`) — for the
   organisation that stays responsible: the sender of an outgoing letter, the receiver of an incoming record.
2. `transfers.lost_contact`, `transfers.suspended_remove`, `transfers.abroad_years`: the status-change proposals
   of selectors.proposals for those rules (停止党籍 after 6 months of lost contact, 除名 two years later, 出国（境）
   beyond the kept period). The 自行脱党 proposals are not repeated here: the life (`life.absence`) and dues
   (`dues.arrears_lapse`) findings already say it.
Queries: 1 for letters plus those of selectors.proposals, whatever the number of organisations.
"""

from django.db.models import Q

from dangjian.compliance.engine import Finding
from dangjian.compliance.rulebook import rules_by_id
from dangjian.orgs.models import OrgKind

from . import rules, selectors
from .models import Kind, Transfer

PROPOSAL_RULES = {rules.LOST_CONTACT, rules.SUSPENDED_REMOVE, rules.ABROAD_YEARS}


def check_letters(orgs, rulebook, on):
    holders = {o.pk: o for o in orgs if not o.is_dissolved}
    if not holders:
        return
    ids = list(holders)
    rows = (Transfer.objects.open().filter(valid_until__lt=on)
            .filter(Q(from_org_id__in=ids, kind__in=[Kind.OUT, Kind.WITHIN]) | Q(kind=Kind.IN, to_org_id__in=ids))
            .values_list("kind", "from_org_id", "to_org_id", "person__name", "name", "letter_no", "valid_until",
                         "from_name", "to_name", "from_org__name", "to_org__name"))
    for kind, from_id, to_id, person_name, name, letter_no, until, from_name, to_name, from_label, to_label in sorted(
            rows, key=lambda r: (r[6], r[5])):
        org = holders[to_id if kind == Kind.IN else from_id]
        enabled, _ = rulebook.setting(org, rules.LETTER_EXPIRED)
        if not enabled:
            continue
        who = person_name or name
        route = f"{from_label or from_name} → {to_label or to_name}"
        yield Finding(org.pk, org.name, who, rules.LETTER_EXPIRED, rules_by_id()[rules.LETTER_EXPIRED].severity,
                      f"{who}的组织关系转接（{route}，介绍信{letter_no}）已于{until:%Y年%m月%d日}到期仍未办结。"
                      f"接收前转出组织仍负管理责任，请联系接收方、续开介绍信或撤销转接。", until)


def check_proposals(orgs, rulebook, on):
    holders = [o for o in orgs if o.kind != OrgKind.GROUP and not o.is_dissolved]
    for p in selectors.proposals(holders, on, only=PROPOSAL_RULES, book=rulebook):
        yield Finding(p.org_id, p.org_name, p.name, p.rule_id, rules_by_id()[p.rule_id].severity,
                      f"{p.name}：{p.basis}，建议按规定{p.status_label}（由党组织研究决定）。", p.reached_on)


CHECKS = [check_letters, check_proposals]
