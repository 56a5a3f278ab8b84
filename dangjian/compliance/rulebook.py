"""The rulebook: every rule is data with its source (DOMAIN.md).

[V]/[A] rules ship enabled; [L]/[D]/[U] rules are settings with a sensible default.
An administrator may override `params` or switch a rule off per organisation;
children inherit the nearest ancestor's override.
"""

from dataclasses import dataclass, field


class Severity:
    OVERDUE = "overdue"
    SOON = "soon"
    INFO = "info"
    ERROR = "overdue"   # a set-up error is as urgent as a missed deadline
    WARNING = "soon"
    LABELS = {"overdue": "逾期/错误", "soon": "即将到期/警告", "info": "提示"}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    source: str
    tag: str
    severity: str
    params: dict = field(default_factory=dict)
    param_labels: dict = field(default_factory=dict)
    enabled: bool = True


RULES = [
    Rule("org.branch_min_full", "党支部正式党员不少于3人", "支条 第四条", "V", Severity.ERROR,
         {"min_full": 3}, {"min_full": "最少正式党员数"}),
    Rule("org.branch_committee_required", "正式党员7人以上的党支部应设支部委员会", "支条 第六章", "A",
         Severity.ERROR, {"threshold": 7}, {"threshold": "须设支委会的正式党员数"}),
    Rule("org.branch_max_members", "党支部党员人数一般不超过50人", "支条 第四条", "V", Severity.WARNING,
         {"max_members": 50}, {"max_members": "党员人数上限"}),
    Rule("org.committee_size", "支部委员会由3至7人组成", "支条 第六章", "A", Severity.ERROR,
         {"min_size": 3, "max_size": 7}, {"min_size": "最少委员数", "max_size": "最多委员数"}),
]
RULES_BY_ID = {rule.id: rule for rule in RULES}
