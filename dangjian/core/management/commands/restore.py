"""`dangjian restore FILE [--force]`: restore a backup into an empty installation and verify every table."""

import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from dangjian.core.backup import BackupError, restore_backup
from dangjian.core.registry import refresh_planner_statistics


class Command(BaseCommand):
    help = ("从备份文件恢复数据库和上传文件，并逐表核对校验和。目标系统必须是空的（没有党组织和人员）；"
            "--force 仅允许覆盖非空的 SQLite 数据库（先自动保存安全副本）。恢复前请先停止服务。")

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件（.djbak）")
        parser.add_argument("--force", action="store_true",
                            help="覆盖非空的 SQLite 数据库（原库先保存为安全副本）；对 PostgreSQL 无效")

    def handle(self, *args, file=None, force=False, **options):
        try:
            result = restore_backup(file, force=force, log=self.stdout.write)
        except (BackupError, ImproperlyConfigured) as exc:
            raise CommandError(f"恢复失败，未做任何更改：{exc}") from None
        tables = result.manifest["tables"]
        refresh_planner_statistics()
        if result.ok:
            self.stdout.write(f"已恢复 {len(tables)} 张表，共 {sum(t['rows'] for t in tables.values()):,} 行。")
            self.stdout.write("校验通过")
        else:
            self.stderr.write("恢复后的数据与备份清单不一致：")
            for line in result.differences:
                self.stderr.write(f"  {line}")
        if result.pending_migrations:
            self.stdout.write("备份来自较旧版本：请运行 dangjian migrate 升级数据库结构。")
        if not result.ok:
            sys.exit(1)
