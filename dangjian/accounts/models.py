from django.contrib.auth.models import AbstractUser
from django.db import models


class AdminRole(models.TextChoices):
    """三员分立: one account holds at most one of these (a single column enforces it)."""

    NONE = "", "无"
    SYSTEM = "system", "系统管理员"
    SECURITY = "security", "安全管理员"
    AUDIT = "audit", "审计管理员"


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True)
    admin_role = models.CharField("管理员角色", max_length=16, choices=AdminRole.choices, blank=True, default="")
    must_change_password = models.BooleanField("首次登录须修改密码", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.display_name or self.username

    @property
    def is_security_admin(self):
        return self.admin_role == AdminRole.SECURITY

    @property
    def is_audit_admin(self):
        return self.admin_role == AdminRole.AUDIT

    @property
    def is_system_admin(self):
        return self.admin_role == AdminRole.SYSTEM
