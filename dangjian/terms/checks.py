"""换届 findings (DOMAIN §6): 届满提示 from T−90 days, 即将到期 from T−60, 逾期 from the day after the term end
(unless an approved extension covers the day), and 无换届记录 for organisations that elect but have no election
on record. Two queries whatever the number of organisations."""

from dangjian.compliance.engine import Finding
from dangjian.compliance.rulebook import Severity
from dangjian.orgs.models import Organisation

from . import rules
from .models import ELECTING_KINDS
from .selectors import State, electing_orgs, judge, with_latest_election

RULE_OF = {State.NOTICE: (rules.NOTICE, Severity.INFO), State.SOON: (rules.DUE_SOON, Severity.WARNING),
           State.OVERDUE: (rules.OVERDUE, Severity.OVERDUE), State.NONE: (rules.NO_RECORD, Severity.INFO)}


def check_terms(orgs, rulebook, on):
    ids = [o.pk for o in orgs if o.kind in ELECTING_KINDS and not o.is_dissolved]
    if not ids:
        return
    rows = with_latest_election(electing_orgs(Organisation.objects.filter(pk__in=ids)), until=on)
    for org in rows:
        term = judge(org, org.last_held, org.extended_to, rulebook, on)
        if term.state not in RULE_OF:
            continue
        rule_id, severity = RULE_OF[term.state]
        enabled, _ = rulebook.setting(org, rule_id)
        if not enabled:
            continue
        effective = term.effective_end
        if term.state == State.NONE:
            message = "尚无换届选举记录，请补录最近一次换届选举，以便计算任期。"
        elif term.state == State.OVERDUE:
            message = (f"本届任期已于{effective:%Y-%m-%d}届满（{term.held_on:%Y-%m-%d}选举），已逾期{-term.days_left}天"
                       f"未换届，应及时换届或报上级党组织批准延期。")
        else:
            extended = f"（已批准延期至{term.extended_to:%Y-%m-%d}）" if term.extended_to else ""
            message = (f"本届任期将于{effective:%Y-%m-%d}届满{extended}，还有{term.days_left}天，"
                       f"请做好换届准备。")
        yield Finding(org.pk, org.name, org.name, rule_id, severity, message, effective)


CHECKS = [check_terms]
