"""The organisation set-up rules of DOMAIN §1, with their sources."""

from dangjian.compliance.rulebook import Rule, Severity, Tag

RULES = [
    Rule("org.branch_min_full", "党支部正式党员不少于3人", "支条 第四条", Tag.VERBATIM, Severity.ERROR,
         {"min_full": 3}, {"min_full": "最少正式党员数"},
         param_bounds={"min_full": (1, 50)}),
    Rule("org.branch_committee_required", "正式党员7人以上的党支部应设支部委员会", "支条 第六章", Tag.CONFIRMED,
         Severity.ERROR, {"threshold": 7}, {"threshold": "须设支委会的正式党员数"},
         param_bounds={"threshold": (3, 100)}),
    Rule("org.branch_max_members", "党支部党员人数一般不超过50人", "支条 第四条", Tag.VERBATIM, Severity.WARNING,
         {"max_members": 50}, {"max_members": "党员人数上限"},
         param_bounds={"max_members": (3, 500)}),
    Rule("org.committee_size", "支部委员会由3至7人组成", "支条 第六章", Tag.CONFIRMED, Severity.ERROR,
         {"min_size": 3, "max_size": 7}, {"min_size": "最少委员数", "max_size": "最多委员数"},
         param_bounds={"min_size": (1, 15), "max_size": (1, 15)}, param_order=(("min_size", "max_size"),)),
]
