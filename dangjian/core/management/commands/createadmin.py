"""`dangjian createadmin`: create a system, security or audit administrator (三员分立).

Interactive by default (username, role, password twice). For scripts:
    DANGJIAN_ADMIN_PASSWORD=... dangjian createadmin --username sec --role security
"""

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.models import AdminRole, User
from dangjian.accounts.services import admin_create

PASSWORD_ENV = "DANGJIAN_ADMIN_PASSWORD"
ROLES = [AdminRole.SYSTEM, AdminRole.SECURITY, AdminRole.AUDIT]
DEFAULT_ROLE = AdminRole.SECURITY


class Command(BaseCommand):
    help = "创建管理员账户（系统管理员、安全管理员或审计管理员；三员分立，一个账户只能担任一种）。"

    def add_arguments(self, parser):
        parser.add_argument("--username", help="用户名")
        parser.add_argument("--role", choices=[r.value for r in ROLES], help="管理员角色（默认 security）")
        parser.add_argument("--display-name", default="", help="姓名（可选）")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help=f"不提问；密码取自环境变量 {PASSWORD_ENV}")

    def handle(self, *args, username=None, role=None, display_name="", interactive=True, **options):
        password = os.environ.get(PASSWORD_ENV) or None
        if not interactive or (username and password):
            return self._non_interactive(username, role or DEFAULT_ROLE, password, display_name)
        username = username or self._ask_username()
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"用户名“{username}”已存在。")
        role = role or self._ask_role()
        candidate = User(username=username, display_name=display_name, admin_role=role)
        password = password or self._ask_password(candidate)
        self._create(username, role, password, display_name)

    # --- modes ---------------------------------------------------------------------
    def _non_interactive(self, username, role, password, display_name):
        if not username:
            raise CommandError("请用 --username 指定用户名。")
        if not password:
            raise CommandError(f"请通过环境变量 {PASSWORD_ENV} 提供密码。")
        self._create(username, role, password, display_name)

    def _create(self, username, role, password, display_name):
        try:
            user = admin_create(actor=None, username=username, admin_role=role, password=password,
                                display_name=display_name)
        except ValidationError as exc:
            raise CommandError("创建失败：" + "；".join(exc.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"已创建{user.get_admin_role_display()}：{user.username}"))

    # --- prompts -----------------------------------------------------------------------
    def _ask_username(self):
        while True:
            username = input("用户名：").strip()
            if not username:
                self.stderr.write("用户名不能为空。")
                continue
            if User.objects.filter(username__iexact=username).exists():
                self.stderr.write(f"用户名“{username}”已存在，请换一个。")
                continue
            return username

    def _ask_role(self):
        menu = "  ".join(f"[{i}] {r.label}（{r.value}）" for i, r in enumerate(ROLES, 1))
        while True:
            answer = input(f"管理员角色 {menu}，默认 {DEFAULT_ROLE.value}：").strip().lower()
            if not answer:
                return DEFAULT_ROLE.value
            for i, r in enumerate(ROLES, 1):
                if answer in (str(i), r.value):
                    return r.value
            self.stderr.write("请输入 1、2、3 或 system、security、audit。")

    def _ask_password(self, candidate):
        from django.contrib.auth import password_validation

        while True:
            password = getpass.getpass("密码：")
            again = getpass.getpass("再次输入密码：")
            if password != again:
                self.stderr.write("两次输入的密码不一致。")
                continue
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as exc:
                for message in exc.messages:
                    self.stderr.write(message)
                continue
            return password
