"""Field-encryption key rotation and status (`dangjian keys ...`).

PROTECTED_FIELDS lists every encrypted column; an app that adds one adds a line here.
Rotation re-encrypts values not yet under the current key in batches, each batch in its
own transaction, ordered by primary key: an interrupted run is resumed by running again.
"""

from collections import Counter
from dataclasses import dataclass

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Count, Value, When
from django.db.models.functions import Left

from . import audit, crypto

CLI_ACTOR = "(命令行)"


@dataclass(frozen=True)
class ProtectedField:
    model: str  # "app_label.ModelName"
    field: str  # the ciphertext column
    index_field: str = ""  # its blind-index column, recomputed from the plaintext (optional)
    label: str = ""

    def model_class(self):
        return apps.get_model(self.model)

    def __str__(self):
        return self.label or f"{self.model}.{self.field}"


PROTECTED_FIELDS = [
    ProtectedField("members.Person", "id_number_cipher", index_field="id_number_index", label="人员·身份证号"),
    ProtectedField("members.Person", "phone_cipher", label="人员·手机号"),
]


class RotationError(Exception):
    done = 0  # values re-encrypted by the run before it stopped


def _pending(spec, prefix):
    model = spec.model_class()
    return (model._default_manager.exclude(**{spec.field: ""})
            .exclude(**{f"{spec.field}__startswith": prefix}))


def rotate_batch(spec, batch_size=500):
    """Re-encrypt up to `batch_size` values of one field in one transaction; return how many."""
    prefix = crypto.current_key_id() + crypto.SEPARATOR
    model = spec.model_class()
    columns = ["pk", spec.field] + ([spec.index_field] if spec.index_field else [])
    with transaction.atomic():
        rows = list(_pending(spec, prefix).select_for_update().order_by("pk").only(*columns)[:batch_size])
        if not rows:
            return 0
        for row in rows:
            token = getattr(row, spec.field)
            try:
                plain = crypto.decrypt(token)
            except Exception as exc:  # unknown key id or damaged value: stop, keep finished batches
                raise RotationError(
                    f"{spec}（{model._meta.db_table} 主键 {row.pk}）无法解密：{exc}。已完成的批次保留，"
                    "提供所缺的旧密钥后重新运行即可继续。"
                ) from None
            setattr(row, spec.field, crypto.encrypt(plain))
            if spec.index_field:
                setattr(row, spec.index_field, crypto.blind_index(plain) or None)
        update = [spec.field] + ([spec.index_field] if spec.index_field else [])
        try:
            with transaction.atomic():
                model._default_manager.bulk_update(rows, update)
        except IntegrityError:
            raise RotationError(f"{spec}：重新计算的查重索引与其他记录冲突（同一号码登记了两次），"
                                "请先在系统中合并重复的人员后重新运行。") from None
    return len(rows)


def rotate(*, batch_size=500, max_batches=None, progress=None, fields=None):
    """Re-encrypt every protected value under the current key. `max_batches` stops early (the rest
    is done by the next run); `progress(spec, done_for_field, remaining_for_field)` reports.
    Returns the number of values re-encrypted in this run."""
    if batch_size < 1:
        raise RotationError("批大小必须是正整数")
    crypto.reset_keys()
    total = 0
    batches = 0
    prefix = crypto.current_key_id() + crypto.SEPARATOR
    for spec in fields or PROTECTED_FIELDS:
        done = 0
        while max_batches is None or batches < max_batches:
            try:
                count = rotate_batch(spec, batch_size)
            except RotationError as exc:
                exc.done = total
                raise
            if not count:
                break
            batches += 1
            done += count
            total += count
            if progress is not None:
                progress(spec, done, _pending(spec, prefix).count())
    return total


def record_rotation(total, *, complete):
    return audit.record(
        event=audit.Event.UPDATE, object_type="field_encryption_key", object_id=crypto.current_key_id(),
        object_repr="字段加密密钥", username=CLI_ACTOR,
        changes={"after": {"当前密钥编号": crypto.current_key_id(), "本次重新加密": total,
                           "全部完成": "是" if complete else "否"}},
    )


def status(fields=None):
    """{spec: Counter(key id -> number of values)}; one GROUP BY query per field."""
    result = {}
    for spec in fields or PROTECTED_FIELDS:
        model = spec.model_class()
        key_expr = Case(When(**{f"{spec.field}__startswith": crypto.LEGACY_PREFIX}, then=Value("v1")),
                        default=Left(spec.field, 8), output_field=CharField())
        rows = (model._default_manager.exclude(**{spec.field: ""}).annotate(key_id=key_expr)
                .values("key_id").annotate(n=Count("pk")).order_by())
        result[spec] = Counter({row["key_id"]: row["n"] for row in rows})
    return result


def remaining(fields=None):
    """How many values are not yet under the current key."""
    current = crypto.current_key_id()
    return sum(n for counts in status(fields).values() for key_id, n in counts.items() if key_id != current)
