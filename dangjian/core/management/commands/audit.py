"""`dangjian audit verify`: check the audit trail's hash chain.

Prints "审计链完整：共 N 条" and exits 0, or "审计链在第 <id> 条断裂" and exits 1.
"""

import sys

from django.core.management.base import BaseCommand

from dangjian.core.audit import verify_chain


class Command(BaseCommand):
    help = "审计日志工具。verify：校验审计日志哈希链的完整性。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="子命令", required=True)
        sub.add_parser("verify", help="校验审计日志哈希链的完整性")

    def handle(self, *args, action=None, **options):
        if action == "verify":
            ok, checked, broken = verify_chain()
            if ok:
                self.stdout.write(f"审计链完整：共 {checked} 条")
                return
            self.stderr.write(f"审计链在第 {broken} 条断裂")
            sys.exit(1)
