from django.conf import settings
from django.db import models


class Holiday(models.Model):
    """An exception to the Monday–Friday week: a 法定节假日 (rest) or a 调休上班 day (a weekend working day).
    Every other date is a working day from Monday to Friday and a rest day on Saturday and Sunday."""

    class Kind(models.TextChoices):
        REST = "rest", "休（法定节假日）"
        WORK = "work", "班（调休上班）"

    date = models.DateField("日期", unique=True, error_messages={"unique": "该日期已有安排。"})
    kind = models.CharField("类型", max_length=4, choices=Kind.choices)
    name = models.CharField("名称", max_length=50, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.short_kind}{(' ' + self.name) if self.name else ''}"

    @property
    def short_kind(self):
        return "休" if self.kind == self.Kind.REST else "班"
