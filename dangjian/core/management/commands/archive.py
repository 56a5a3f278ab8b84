"""`dangjian archive export --org ID --out FILE` / `dangjian archive import FILE [--parent ID]`:
a whole school (an organisation, its subtree and all their records) as one encrypted archive."""

import getpass
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.core.archive import MIN_PASSPHRASE, ArchiveError, export_archive, import_archive
from dangjian.orgs.models import Organisation

PASSPHRASE_ENV = "DANGJIAN_ARCHIVE_PASSPHRASE"


class Command(BaseCommand):
    help = ("学校档案的导出与导入：把一个党组织及其下级组织、人员、历史和全部业务记录打包为一个用口令加密的档案文件，"
            "用于学校在不同安装之间迁移。导入为“全有或全无”，导入后自动再导出核对。"
            f"口令从环境变量 {PASSPHRASE_ENV} 或 --passphrase-file 读取，否则在终端输入。")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        out = sub.add_parser("export", help="导出学校档案")
        out.add_argument("--org", type=int, required=True, help="要导出的党组织 id（连同其全部下级）")
        out.add_argument("--out", required=True, help="档案文件路径（建议以 .djarc 结尾）")
        out.add_argument("--passphrase-file", default=None, help="从文件第一行读取口令")
        inp = sub.add_parser("import", help="导入学校档案")
        inp.add_argument("file", help="档案文件路径")
        inp.add_argument("--parent", type=int, default=None, help="挂在哪个党组织之下（默认作为新的顶级组织）")
        inp.add_argument("--passphrase-file", default=None, help="从文件第一行读取口令")

    def _passphrase(self, path, *, confirm):
        if path:
            try:
                return Path(path).read_text(encoding="utf-8").splitlines()[0]
            except (OSError, IndexError, UnicodeDecodeError):
                raise CommandError("无法从口令文件读取口令。") from None
        if os.environ.get(PASSPHRASE_ENV):
            return os.environ[PASSPHRASE_ENV]
        first = getpass.getpass(f"档案口令（至少 {MIN_PASSPHRASE} 个字符）：")
        if confirm and getpass.getpass("再输入一次：") != first:
            raise CommandError("两次输入的口令不一致。")
        return first

    def handle(self, *args, action, passphrase_file=None, **options):
        try:
            if action == "export":
                self._export(options["org"], options["out"], passphrase_file)
            else:
                self._import(options["file"], options["parent"], passphrase_file)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from None

    def _export(self, org_id, out, passphrase_file):
        root = Organisation.objects.filter(pk=org_id).first()
        if root is None:
            raise CommandError(f"没有 id 为 {org_id} 的党组织。")
        target = Path(out)
        if target.exists():
            raise CommandError(f"{target} 已存在，不会覆盖。")
        passphrase = self._passphrase(passphrase_file, confirm=True)
        partial = target.with_name(target.name + ".part")
        try:
            with open(partial, "wb") as handle:
                manifest = export_archive(root, passphrase, handle)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(f"已导出“{root.name}”的档案：{target}")
        self._summary(manifest)
        self.stdout.write("请把口令与档案分开传递；没有口令无法读取档案。")

    def _import(self, path, parent_id, passphrase_file):
        parent = None
        if parent_id is not None:
            parent = Organisation.objects.filter(pk=parent_id).first()
            if parent is None:
                raise CommandError(f"没有 id 为 {parent_id} 的党组织。")
        try:
            handle = open(path, "rb")
        except OSError:
            raise CommandError(f"无法打开档案文件 {path}。") from None
        with handle:
            root, manifest = import_archive(handle, self._passphrase(passphrase_file, confirm=False), parent=parent)
        self.stdout.write(f"已导入“{root.name}”（组织 id {root.pk}），并已再导出核对一致。")
        self._summary(manifest)
        self.stdout.write("说明：登录账号、角色和审计日志不随档案迁移，请在本系统中为该校重新开通账号。")

    def _summary(self, manifest):
        for label, spec in manifest["models"].items():
            if spec["rows"] or spec["dropped"] or spec["cleared"]:
                extra = []
                if spec["dropped"]:
                    extra.append(f"{spec['dropped']} 条因必须关联本档案以外的人员或组织而未导出")
                if spec["cleared"]:
                    extra.append(f"{spec['cleared']} 处对档案以外对象（登录账号、校外人员等）的引用已置空")
                self.stdout.write(f"  {label}: {spec['rows']} 条" + (f"（{'；'.join(extra)}）" if extra else ""))
