"""`dangjian report statistics --org <id> --on <date> --out <file.xlsx> [--as <username>]`: 党内统计表（Excel）。"""

from . import common

NAME = "statistics"
HELP = "党内统计表（Excel）：某组织（含下级）截至某日的党员、党组织、发展党员等统计表"


def add_arguments(parser):
    common.add_scope_arguments(parser)
    parser.add_argument("--on", required=True, help="统计日期 YYYY-MM-DD（通常为12月31日）")
    parser.add_argument("--out", required=True, help="输出文件（.xlsx）")


def run(command, options):
    from dangjian.reports.statistics import command_statistics

    org = common.organisation(options["org"], options.get("as_user"))
    out = common.output_path(options["out"], ".xlsx")
    command.stdout.write(command.style.SUCCESS(command_statistics(org, options["on"], out)))
