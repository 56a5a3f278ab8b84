"""`dangjian findings --org <id> --on <date> [--json]`: the findings of an organisation's subtree as of a date.
`dangjian findings --store [--on <date>]`: check every organisation and store the run the 工作台 and 问题清单 read
for scopes above FINDINGS_LIVE_MAX_ORGS (what the nightly scheduler job does).

The same findings as the 问题清单 screen (compliance.engine.findings_for over the organisation and every active
organisation under it). A table in Chinese, or with --json a JSON list of objects with org_id, org, subject,
rule_id, rule, source, severity, due_on, message. Exit code 0; an unknown organisation or a bad date is an
error in Chinese with a non-zero exit code.
"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone


class Command(BaseCommand):
    help = "按规则检查某组织及其全部下级组织在某日的情况（组织设置、会议召开、党员参加组织生活、表决人数等），输出问题清单。"

    def add_arguments(self, parser):
        parser.add_argument("--org", help="组织编号（数字 ID）")
        parser.add_argument("--store", action="store_true",
                            help="检查全部组织并保存结果，供范围较大的工作台和问题清单使用（即夜间定时任务）")
        parser.add_argument("--on", help="检查日期，格式 YYYY-MM-DD（默认今天）")
        parser.add_argument("--json", action="store_true", help="以 JSON 列表输出")

    def handle(self, *args, org=None, on=None, store=False, **options):
        from dangjian.compliance.engine import findings_for
        from dangjian.orgs.models import Organisation

        day = self._day(on)
        if store:
            if org is not None:
                raise CommandError("--store 检查全部组织，不能同时指定 --org。")
            return self._store(day)
        if org is None:
            raise CommandError("请用 --org 指定组织编号，或用 --store 检查全部组织并保存结果。")
        try:
            org_id = int(org)
        except (TypeError, ValueError):
            raise CommandError(f"组织编号应为数字：{org}") from None
        root = Organisation.objects.filter(pk=org_id).first()
        if root is None:
            raise CommandError(f"未找到编号为 {org_id} 的组织。")
        orgs = list(Organisation.objects.subtree_of(root).active())
        if root.is_dissolved:
            orgs = [root] + orgs
        results = findings_for(orgs, on=day)
        if options.get("json"):
            self._json(results)
        else:
            self._table(root, day, results)

    @staticmethod
    def _day(on):
        if on is None:
            return timezone.localdate()
        try:
            return date.fromisoformat(on)
        except ValueError:
            raise CommandError(f"检查日期格式应为 YYYY-MM-DD：{on}") from None

    def _store(self, day):
        from dangjian.compliance.services import findings_store

        run = findings_store(on=day)
        self.stdout.write(f"已检查 {run.org_count} 个组织（检查日期 {day.isoformat()}），保存 {run.finding_count} 条问题，"
                          f"用时 {(run.finished_at - run.started_at).total_seconds():.1f} 秒。")

    def _json(self, results):
        rows = [{
            "org_id": f.org_id, "org": f.org_name, "subject": f.subject, "rule_id": f.rule_id, "rule": f.rule.title,
            "source": f.source_label, "severity": f.severity,
            "due_on": f.due_on.isoformat() if f.due_on else None, "message": f.message,
        } for f in results]
        self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))

    def _table(self, root, day, results):
        from dangjian.demo.output import table

        self.stdout.write(f"{root.name} 及下级组织，检查日期 {day.isoformat()}：共 {len(results)} 条问题。")
        if not results:
            return
        self.stdout.write(table(
            ["级别", "组织", "对象", "规则", "出处", "到期日", "说明"],
            [[f.severity_label, f.org_name, f.subject, f.rule.title, f.source_label,
              f.due_on.isoformat() if f.due_on else "—", f.message] for f in results]))
