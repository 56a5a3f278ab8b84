"""`dangjian keys generate|status|rotate`: field-encryption keys.

Rotation procedure (docs/OPERATIONS.md): generate a new key, make it FIELD_ENCRYPTION_KEY and move the old
one to FIELD_ENCRYPTION_OLD_KEYS, restart, run `dangjian keys rotate` (resumable), check `dangjian keys status`,
then drop the old key.
"""

import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from dangjian.core import crypto, keys


class Command(BaseCommand):
    help = "字段加密密钥工具。generate：生成新密钥；status：各密钥下的密文数量；rotate：用当前密钥重新加密全部受保护字段。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="子命令", required=True)
        sub.add_parser("generate", help="输出一个新的随机密钥（base64），不写入任何文件")
        sub.add_parser("status", help="按密钥编号统计受保护字段的密文数量")
        rotate = sub.add_parser("rotate", help="用当前密钥分批重新加密全部受保护字段（中断后重新运行即可继续）")
        rotate.add_argument("--batch-size", type=int, default=500, help="每批处理的记录数（默认 500）")

    def handle(self, *args, action=None, batch_size=500, **options):
        if action == "generate":
            self.stdout.write(crypto.generate_key())
            return
        try:
            crypto.reset_keys()
            ring = crypto.keyring()
        except ImproperlyConfigured as exc:
            raise CommandError(f"密钥配置有误：{exc}") from None
        if action == "status":
            self._status(ring)
        elif action == "rotate":
            self._rotate(ring, batch_size)

    def _status(self, ring):
        old_ids = {key.key_id for key in ring.old}
        self.stdout.write(f"当前密钥编号：{ring.current.key_id}")
        self.stdout.write(f"旧密钥编号：{'、'.join(sorted(old_ids)) if old_ids else '（无）'}")
        unreadable = 0
        for spec, counts in keys.status().items():
            if not counts:
                self.stdout.write(f"{spec}：无数据")
                continue
            parts = []
            for key_id, n in sorted(counts.items()):
                if key_id == ring.current.key_id:
                    note = "当前"
                elif key_id in old_ids or key_id == "v1":
                    note = "旧" if key_id != "v1" else "旧格式"
                else:
                    note = "密钥缺失"
                    unreadable += n
                parts.append(f"{key_id}（{note}）{n} 条")
            self.stdout.write(f"{spec}：" + "；".join(parts))
        pending = keys.remaining()
        if pending:
            self.stdout.write(f"尚有 {pending} 条密文不在当前密钥下，请运行 dangjian keys rotate。")
        else:
            self.stdout.write("全部密文均在当前密钥下。")
        if unreadable:
            self.stderr.write(f"有 {unreadable} 条密文使用的密钥未配置，无法解密：请在 FIELD_ENCRYPTION_OLD_KEYS 中提供。")
            sys.exit(1)

    def _rotate(self, ring, batch_size):
        if batch_size < 1:
            raise CommandError("--batch-size 必须是正整数")
        self.stdout.write(f"当前密钥编号：{ring.current.key_id}；批大小：{batch_size}")

        def progress(spec, done, left):
            self.stdout.write(f"{spec}：已重新加密 {done} 条，剩余 {left} 条")

        total = 0
        try:
            total = keys.rotate(batch_size=batch_size, progress=progress)
        except keys.RotationError as exc:
            keys.record_rotation(exc.done, complete=False)
            raise CommandError(str(exc)) from None
        left = keys.remaining()
        keys.record_rotation(total, complete=not left)
        self.stdout.write(f"完成：本次重新加密 {total} 条；不在当前密钥下的密文剩余 {left} 条。")
        if left:
            sys.exit(1)
