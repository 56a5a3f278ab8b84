"""Demo 积分办法: the district sets its own rule set (the platform defaults, with its own basis note), so the
pages show where a member's rules come from. Scores need nothing more: they are computed from the records."""

from dangjian.points.models import Rule, RuleSet
from dangjian.points.rulebook import DEFAULT_BASE
from dangjian.points.sources import all_sources


def extend(result, *, seed, years=1):
    rule_set = RuleSet.objects.create(org=result.root, base=DEFAULT_BASE,
                                      basis=f"{result.root.name}党员积分管理办法（演示）：基础分60分，按记录自动加减分")
    Rule.objects.bulk_create([Rule(rule_set=rule_set, source_key=key, points=source.default_points,
                                   cap=source.default_cap) for key, source in all_sources().items()])
    result.counts.update(points_rule_sets=1)
