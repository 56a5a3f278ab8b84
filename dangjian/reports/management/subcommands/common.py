"""Helpers shared by the `dangjian report` subcommands."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def add_scope_arguments(parser):
    parser.add_argument("--org", required=True, help="组织编号（数字 ID），统计该组织及全部下级组织")
    parser.add_argument("--as", dest="as_user", default=None,
                        help="以该用户名的权限生成（组织须在其范围内）；不填则不限范围（服务器管理员使用）")


def organisation(value, as_user=None):
    """The organisation named by --org, checked against the scope of --as (the same words either way)."""
    from dangjian.accounts.models import User
    from dangjian.orgs.models import Organisation

    try:
        org_id = int(value)
    except (TypeError, ValueError):
        raise CommandError(f"组织编号应为数字：{value}") from None
    org = Organisation.objects.filter(pk=org_id).first()
    if as_user is not None:
        user = User.objects.filter(username=as_user, is_active=True).first()
        if user is None:
            raise CommandError(f"未找到用户：{as_user}")
        if org is not None and not Organisation.objects.visible_to(user).filter(pk=org.pk).exists():
            raise CommandError(f"用户 {as_user} 无权查看编号为 {org_id} 的组织，未生成文件。")
    if org is None:
        raise CommandError(f"未找到编号为 {org_id} 的组织。")
    return org


def period(start, end):
    from dangjian.reports.summary import parse_period

    try:
        return parse_period(start, end)
    except ValidationError as exc:
        raise CommandError("统计期间有误：" + "；".join(exc.messages) + "未生成文件。") from None


def output_path(value, suffix):
    path = Path(value)
    if path.suffix.lower() != suffix:
        raise CommandError(f"输出文件应以 {suffix} 结尾：{value}")
    if not path.parent.exists():
        raise CommandError(f"输出目录不存在：{path.parent}")
    return path


def write(path, data):
    """Write through a temporary file so a failed run never leaves half a document behind."""
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    partial.replace(path)
