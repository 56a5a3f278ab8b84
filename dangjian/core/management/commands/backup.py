"""`dangjian backup [--dir DIR] [--keep N]`: an encrypted, checksummed backup of the database and uploads."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from dangjian.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = ("备份数据库和上传文件：一致性快照（SQLite 用 VACUUM INTO，PostgreSQL 用 pg_dump），"
            "用字段加密密钥派生的备份密钥加密，附 .sha256 校验文件，并只保留最新的 N 份。"
            "注意：密钥不在备份中，须另行妥善保管，否则备份无法读取。")

    def add_arguments(self, parser):
        parser.add_argument("--dir", dest="directory", default=None,
                            help=f"备份目录（默认 {Path(settings.VAR_DIR) / 'backups'}）")
        parser.add_argument("--keep", type=int, default=14, help="保留最新的几份备份（默认 14）")

    def handle(self, *args, directory=None, keep=14, **options):
        if keep < 1:
            raise CommandError("--keep 必须至少为 1")
        try:
            result = create_backup(directory=directory, keep=keep)
        except (BackupError, ImproperlyConfigured) as exc:
            raise CommandError(f"备份失败：{exc}") from None
        tables = result.manifest["tables"]
        self.stdout.write(f"备份完成：{result.path}")
        self.stdout.write(f"大小 {result.size:,} 字节；{len(tables)} 张表，共 {sum(t['rows'] for t in tables.values()):,} 行；"
                          f"上传文件 {len(result.manifest['files']) - 1} 个")
        self.stdout.write(f"SHA-256：{result.sha256}（已写入 {result.path.name}.sha256）")
        for path in result.pruned:
            self.stdout.write(f"已删除超出保留份数的旧备份：{path.name}")
        self.stdout.write(f"备份密钥编号 {result.manifest['key_id']}：恢复时需要同一把字段加密密钥，请确认密钥已另行保管。")
