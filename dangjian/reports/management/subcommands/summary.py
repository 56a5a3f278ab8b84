"""`dangjian report summary --org <id> --from <date> --to <date> --out <file.docx> [--as <username>]`: the
工作总结 Word document, the same as the report page produces (figures counted now, the saved draft's text)."""

from . import common

NAME = "summary"
HELP = "工作总结（Word）：统计某组织（含下级）在某期间的工作数据并生成总结文档"


def add_arguments(parser):
    common.add_scope_arguments(parser)
    parser.add_argument("--from", dest="start", required=True, help="起始日期 YYYY-MM-DD")
    parser.add_argument("--to", dest="end", required=True, help="截止日期 YYYY-MM-DD")
    parser.add_argument("--out", required=True, help="输出文件（.docx）")


def run(command, options):
    from dangjian.reports.summary import render

    start, end = common.period(options["start"], options["end"])
    org = common.organisation(options["org"], options.get("as_user"))
    out = common.output_path(options["out"], ".docx")
    _, data = render(org, start, end)
    common.write(out, data)
    command.stdout.write(command.style.SUCCESS(f"已生成 {out}（{org.name}，{start} 至 {end}，{len(data)} 字节）"))
