"""The rulebook: every rule is data with its source (DOMAIN.md).

[V]/[A] rules ship enabled; [L]/[D]/[U] rules are settings with a sensible default.
An administrator may override `params` or switch a rule off per organisation;
children inherit the nearest ancestor's override.

A parameter is a whole number unless it is declared in `param_choices`. For whole
numbers, `param_bounds` gives the inclusive range and `param_order` lists (lower, upper)
pairs that must satisfy lower ≤ upper. A choice parameter (e.g. a meeting frequency) is
declared in `param_choices` as name -> (label, ((value, label), ...)); its value must be
one of the values. `validate_params` checks all of it before an override is stored.
"""

from dataclasses import dataclass, field
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured, ValidationError


class Severity:
    OVERDUE = "overdue"
    SOON = "soon"
    INFO = "info"
    ERROR = "overdue"   # a set-up error is as urgent as a missed deadline
    WARNING = "soon"
    LABELS = {"overdue": "逾期/错误", "soon": "即将到期/警告", "info": "提示"}


class Tag:
    """How sure the source is (DOMAIN.md): shown next to every rule's source."""

    VERBATIM = "V"
    CONFIRMED = "A"
    LOCAL = "L"
    DISPUTED = "D"
    UNVERIFIED = "U"
    LABELS = {
        "V": "原文条款",
        "A": "内容确认",
        "L": "地方或单位做法",
        "D": "说法不一",
        "U": "待核实",
    }
    DESCRIPTIONS = {
        "V": "引自文件原文，条款号可核对。",
        "A": "内容已与文件核实，条款号为推定。",
        "L": "地方或单位的做法，并非全国统一规定。",
        "D": "不同来源说法不一，请按本地口径设置。",
        "U": "尚未找到可靠出处，待核实。",
    }


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
    param_bounds: dict = field(default_factory=dict)   # name -> (lowest, highest), inclusive
    param_order: tuple = ()                            # ((lower_name, upper_name), ...)
    param_choices: dict = field(default_factory=dict)  # name -> (label, ((value, label), ...))

    @property
    def tag_label(self):
        return Tag.LABELS.get(self.tag, self.tag)

    @property
    def severity_label(self):
        return Severity.LABELS[self.severity]

    def bounds(self, name):
        return self.param_bounds.get(name, (1, 1000))

    def is_choice(self, name):
        return name in self.param_choices

    def param_label(self, name):
        if name in self.param_choices:
            return self.param_choices[name][0]
        return self.param_labels.get(name, name)

    def choices(self, name):
        return tuple(self.param_choices[name][1])

    def display_value(self, name, value):
        """The value as users read it: a choice's Chinese label, a number as is."""
        if name in self.param_choices:
            return dict(self.choices(name)).get(value, value)
        return value

    def validate_params(self, params):
        """Return a complete, clean copy of `params` (missing names keep the defaults) or raise
        ValidationError keyed by parameter name, with Chinese messages."""
        if not isinstance(params, dict):
            raise ValidationError({"params": "参数格式不正确。"})
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise ValidationError({"params": f"规则“{self.title}”没有参数：{'、'.join(map(str, unknown))}。"})
        clean = dict(self.params)
        errors = {}
        for name, value in params.items():
            label = self.param_label(name)
            if self.is_choice(name):
                if not isinstance(value, str) or value not in dict(self.choices(name)):
                    options = "、".join(text for _, text in self.choices(name))
                    errors[name] = f"“{label}”须为以下之一：{options}。"
                else:
                    clean[name] = value
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                errors[name] = f"“{label}”须为整数。"
                continue
            low, high = self.bounds(name)
            if not low <= value <= high:
                errors[name] = f"“{label}”须在{low}至{high}之间。"
                continue
            clean[name] = value
        if not errors:
            for lower, upper in self.param_order:
                if clean[lower] > clean[upper]:
                    errors[upper] = (f"“{self.param_labels.get(upper, upper)}”不能小于"
                                     f"“{self.param_labels.get(lower, lower)}”。")
        if errors:
            raise ValidationError(errors)
        return clean


def all_rules():
    """Every rule of every app (each app's `rules.py` defines RULES), in app order."""
    from dangjian.core.registry import app_modules

    return [rule for module in app_modules("rules") for rule in module.RULES]


@lru_cache(maxsize=1)
def rules_by_id():
    rules = {}
    for rule in all_rules():
        if rule.id in rules:
            raise ImproperlyConfigured(f"duplicate rule id {rule.id}")
        rules[rule.id] = rule
    return rules


class FindingText:
    """What a page shows of a finding besides its own fields (`rule_id`, `severity`, `basis`): the rule, its
    source and the severity's label — shared by `engine.Finding` and the stored `models.StoredFinding`."""

    @property
    def rule(self):
        return rules_by_id()[self.rule_id]

    @property
    def source(self):
        return self.rule.source

    @property
    def source_label(self):
        """The article, and the local decision when an organisation tightened the rule."""
        return f"{self.source}；{self.basis}" if self.basis else self.source

    @property
    def severity_label(self):
        return Severity.LABELS[self.severity]


def get_rule(rule_id):
    """The rule with this id, or a ValidationError in Chinese."""
    try:
        return rules_by_id()[rule_id]
    except (KeyError, TypeError):
        raise ValidationError({"rule_id": f"未知的规则：{rule_id}。"}) from None
