"""`dangjian report <subcommand> …`: documents and tables from the records, without the browser.

Subcommands are the modules of dangjian/reports/management/subcommands/ (see its __init__): adding one is adding
a module there. `dangjian report summary --org 5 --from 2025-09-01 --to 2026-08-31 --out 总结.docx`.
"""

import importlib
import pkgutil

from django.core.management.base import BaseCommand

from dangjian.reports.management import subcommands


def available():
    """{name: module} of every subcommand module (those defining NAME and run)."""
    found = {}
    for info in pkgutil.iter_modules(subcommands.__path__):
        module = importlib.import_module(f"{subcommands.__name__}.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            found[module.NAME] = module
    return dict(sorted(found.items()))


class Command(BaseCommand):
    help = "报告：dangjian report <子命令> …；子命令：" + "、".join(
        f"{name}（{module.HELP}）" for name, module in available().items())

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="子命令")
        for name, module in available().items():
            module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))

    def handle(self, *args, subcommand, **options):
        available()[subcommand].run(self, options)
