"""`dangjian dues bills --month 2026-11 [--org <id>]`: generate a month's dues bills (idempotent)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangjian.dues import billing, services


class Command(BaseCommand):
    help = "党费：dues bills --month YYYY-MM [--org 组织编号] 为该组织（含下级，默认全部组织）生成当月党费账单；重复运行不会重复生成。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        bills = sub.add_parser("bills", help="生成某月党费账单")
        bills.add_argument("--month", required=True, help="月份，如 2026-11")
        bills.add_argument("--org", type=int, default=None, help="组织编号（含下级）；不填为全部组织")

    def handle(self, *args, action, month, org=None, **options):
        from dangjian.orgs.models import Organisation

        try:
            month = billing.parse_month(month)
        except ValidationError as exc:
            raise CommandError(exc.message_dict["month"][0]) from None
        target = None
        if org is not None:
            target = Organisation.objects.filter(pk=org).first()
            if target is None:
                raise CommandError(f"未找到编号为 {org} 的组织。")
        try:
            result = services.bills_generate(actor=None, month=month, org=target)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(result.message()))
