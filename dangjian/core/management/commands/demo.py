"""`dangjian demo`: load the fixed demo district and its accounts (deterministic, idempotent)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from dangjian.core import audit
from dangjian.core.registry import extend_demo, refresh_planner_statistics

from dangjian.demo.output import status_summary, table

CLI_ACTOR = "(命令行)"


class Command(BaseCommand):
    help = ("载入演示数据：青山区委教育工委、3个片区党委、约30所学校、约1200名人员及演示账户。"
            "数据固定（同样的姓名、证件号和日期），重复运行不做任何更改。仅在 DEBUG 开启时运行，否则须加 --force。")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="DEBUG 关闭（生产模式）时也载入演示数据。切勿在正式环境使用。")

    def handle(self, *args, force=False, **options):
        from dangjian.accounts.models import User
        from dangjian.demo.accounts import USERNAMES, create_demo_accounts
        from dangjian.demo.builder import REFERENCE_DATE, build
        from dangjian.demo.plans import DEMO_REGION_CODE, DEMO_ROOT_CODE, DEMO_SEED, demo_plan
        from dangjian.orgs.models import Organisation

        if not settings.DEBUG and not force:
            raise CommandError("当前为生产模式（DEBUG 未开启），拒绝载入演示数据。"
                               "如确需在此数据库中载入演示数据，请加 --force。")
        started = time.perf_counter()
        try:
            with transaction.atomic():
                if Organisation.objects.filter(code=DEMO_ROOT_CODE).exists():
                    self.stdout.write(f"演示数据已载入（根组织编码 {DEMO_ROOT_CODE}），本次未做任何更改。")
                    from dangjian.members.models import Person

                    linked = {p.user.username: p for p in Person.objects.filter(
                        user__username__in=USERNAMES).select_related("user")}
                    self._accounts_table(linked)
                    return
                taken = sorted(User.objects.filter(username__in=USERNAMES).values_list("username", flat=True))
                if taken:
                    raise CommandError(f"用户名已被占用：{'、'.join(taken)}。无法创建演示账户，未做任何更改。")
                result = build(demo_plan(), seed=DEMO_SEED, region_code=DEMO_REGION_CODE)
                extend_demo(result, seed=DEMO_SEED, years=1)
                rows = create_demo_accounts(result)
                counts = {**result.counts, "users": len(rows)}
                audit.record(event=audit.Event.IMPORT, object_type="demo", object_id=DEMO_ROOT_CODE,
                             object_repr="演示数据", username=CLI_ACTOR,
                             changes={"after": {"党组织": counts["orgs"], "人员": counts["people"],
                                                "班子成员": counts["posts"], "账户": counts["users"],
                                                "基准日期": REFERENCE_DATE.isoformat()}})
        except IntegrityError as exc:
            raise CommandError(f"写入数据库失败，未做任何更改：{exc}") from None
        refresh_planner_statistics()
        elapsed = time.perf_counter() - started

        self.stdout.write(self.style.SUCCESS(
            f"已载入演示数据（用时 {elapsed:.1f} 秒）：{result.root.name}，党组织 {counts['orgs']} 个，"
            f"人员 {counts['people']} 人，班子成员 {counts['posts']} 个职务，演示账户 {counts['users']} 个。"))
        self.stdout.write(status_summary(counts) + "。")
        self.stdout.write(f"数据以 {REFERENCE_DATE.year}年{REFERENCE_DATE.month}月{REFERENCE_DATE.day}日 为基准日期生成。")
        self._accounts_table({account.username: person for account, _, person in rows})

    def _accounts_table(self, people):
        from dangjian.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

        self.stdout.write("")
        self.stdout.write(f"演示账户（密码均为 {DEMO_PASSWORD}，无须首次修改）：")
        self.stdout.write(table(
            ["角色", "用户名", "密码", "能看到什么"],
            [[a.label + (f"（{people[a.username].name}）" if people.get(a.username) else ""), a.username,
              DEMO_PASSWORD, a.sees] for a in DEMO_ACCOUNTS]))
