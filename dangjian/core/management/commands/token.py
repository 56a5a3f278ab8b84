"""`dangjian token`: personal API tokens from the command line.

    dangjian token create <username> [--name N] [--expires-days D]   prints the token once
    dangjian token list [<username>]
    dangjian token revoke <id>
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.models import User
from dangjian.api import services
from dangjian.api.models import ApiToken


class Command(BaseCommand):
    help = "管理接口令牌：create 创建（只显示一次）、list 列出、revoke 撤销。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="为用户创建接口令牌")
        create.add_argument("username")
        create.add_argument("--name", default="命令行创建", help="名称（用途）")
        create.add_argument("--expires-days", type=int, default=None, help="有效天数（默认长期有效）")
        listing = sub.add_parser("list", help="列出接口令牌（不含令牌本身）")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="撤销接口令牌")
        revoke.add_argument("id", type=int)

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _create(self, username, name, expires_days, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在。")
        try:
            token, clear = services.token_create(actor=None, user=user, name=name, expires_days=expires_days)
        except ValidationError as exc:
            raise CommandError("创建失败：" + "；".join(exc.messages)) from None
        self.stderr.write(f"已为 {user.username} 创建令牌 #{token.pk}（{token.name}）。"
                          "令牌只显示这一次，请妥善保存：")
        self.stdout.write(clear)

    def _list(self, username=None, **options):
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
        if username:
            tokens = tokens.filter(user__username=username)
        for t in tokens:
            expires = t.expires_at.strftime("%Y-%m-%d") if t.expires_at else "长期"
            used = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "未使用"
            self.stdout.write(f"{t.pk}\t{t.user.username}\tdj_{t.prefix}_…\t{t.name}\t到期 {expires}\t"
                              f"最近使用 {used}\t{t.state_label}")

    def _revoke(self, id, **options):
        token = ApiToken.objects.filter(pk=id).first()
        if token is None:
            raise CommandError(f"令牌 #{id} 不存在。")
        try:
            services.token_revoke(actor=None, token=token)
        except ValidationError as exc:
            raise CommandError("撤销失败：" + "；".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"已撤销令牌 #{token.pk}（{token.name}，{token.user.username}）。"))
