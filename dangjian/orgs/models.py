from django.conf import settings
from django.db import models
from django.db.models import Q
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet


class OrgKind(models.TextChoices):
    WORK_COMMITTEE = "work_committee", "教育工委"
    AREA_COMMITTEE = "area_committee", "片区党委"
    PARTY_COMMITTEE = "party_committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    JOINT_BRANCH = "joint_branch", "联合党支部"
    GROUP = "group", "党小组"


BRANCH_KINDS = {OrgKind.BRANCH, OrgKind.JOINT_BRANCH}
# Which kinds may sit directly under which (the district → area → school → branch → group shape).
ALLOWED_CHILDREN = {
    OrgKind.WORK_COMMITTEE: {OrgKind.AREA_COMMITTEE, OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH,
                             OrgKind.BRANCH, OrgKind.JOINT_BRANCH},
    OrgKind.AREA_COMMITTEE: {OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.JOINT_BRANCH},
    OrgKind.PARTY_COMMITTEE: {OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.JOINT_BRANCH},
    OrgKind.GENERAL_BRANCH: {OrgKind.BRANCH, OrgKind.JOINT_BRANCH},
    OrgKind.BRANCH: {OrgKind.GROUP},
    OrgKind.JOINT_BRANCH: {OrgKind.GROUP},
    OrgKind.GROUP: set(),
}
# Upgrades keep the node and its subtree: 支部 → 总支 → 党委.
UPGRADES = {
    OrgKind.BRANCH: OrgKind.GENERAL_BRANCH,
    OrgKind.JOINT_BRANCH: OrgKind.GENERAL_BRANCH,
    OrgKind.GENERAL_BRANCH: OrgKind.PARTY_COMMITTEE,
}


class OrganisationQuerySet(MP_NodeQuerySet):
    def visible_to(self, user):
        from dangjian.core.scoping import scope_q

        return self.filter(scope_q(user, "path"))

    def active(self, on=None):
        if on is None:
            return self.filter(dissolved_on__isnull=True)
        return self.filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=on), founded_on__lte=on)

    def subtree_of(self, org):
        return self.filter(path__startswith=org.path)


class OrganisationManager(MP_NodeManager.from_queryset(OrganisationQuerySet)):
    def get_queryset(self):
        return OrganisationQuerySet(self.model, using=self._db).order_by("path")


class Organisation(MP_Node):
    name = models.CharField("组织名称", max_length=100)
    kind = models.CharField("组织类型", max_length=20, choices=OrgKind.choices)
    unit_name = models.CharField("所在单位", max_length=100, blank=True, help_text="学校或单位名称")
    founded_on = models.DateField("成立日期")
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    code = models.CharField("组织编码", max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationManager()

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        constraints = [
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=models.F("founded_on")),
                name="org_dissolved_after_founded",
                violation_error_message="撤销日期不能早于成立日期",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_branch(self):
        return self.kind in BRANCH_KINDS

    @property
    def is_dissolved(self):
        return self.dissolved_on is not None

    @classmethod
    def ancestor_paths(cls, path):
        """The paths of the organisation at `path`'s ancestors, root first (the materialised path's prefixes)."""
        return [path[:end] for end in range(cls.steplen, len(path), cls.steplen)]

    def snapshot(self):
        return {
            "name": self.name,
            "kind": self.get_kind_display(),
            "unit_name": self.unit_name,
            "founded_on": self.founded_on.isoformat() if self.founded_on else None,
            "dissolved_on": self.dissolved_on.isoformat() if self.dissolved_on else None,
            "code": self.code,
        }


class OrgEvent(models.Model):
    """History of an organisation: who changed what, when."""

    class Kind(models.TextChoices):
        CREATE = "create", "成立"
        UPDATE = "update", "修改"
        RENAME = "rename", "更名"
        MOVE = "move", "调整隶属关系"
        UPGRADE = "upgrade", "升格"
        DISSOLVE = "dissolve", "撤销"

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("事项", max_length=16, choices=Kind.choices)
    effective_on = models.DateField("生效日期")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = "组织沿革"


class CommitteePost(models.Model):
    """A seat on a branch committee (or 党小组长) held from `started_on` to `ended_on`."""

    class Post(models.TextChoices):
        SECRETARY = "secretary", "书记"
        DEPUTY = "deputy", "副书记"
        ORGANISATION = "organisation", "组织委员"
        PROPAGANDA = "propaganda", "宣传委员"
        DISCIPLINE = "discipline", "纪检委员"
        MEMBER = "member", "委员"
        GROUP_LEADER = "group_leader", "党小组长"

    COMMITTEE_POSTS = {Post.SECRETARY, Post.DEPUTY, Post.ORGANISATION, Post.PROPAGANDA, Post.DISCIPLINE, Post.MEMBER}

    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="posts")
    person = models.ForeignKey("members.Person", on_delete=models.PROTECT, related_name="posts")
    post = models.CharField("职务", max_length=16, choices=Post.choices)
    started_on = models.DateField("任职日期")
    ended_on = models.DateField("离任日期", null=True, blank=True)

    class Meta:
        ordering = ["org", "post", "started_on"]
        verbose_name = "班子成员"
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="post_end_after_start",
                violation_error_message="离任日期不能早于任职日期",
            ),
        ]

    def __str__(self):
        return f"{self.org} {self.get_post_display()} {self.person}"


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", "组织管理员"
    SECRETARY = "secretary", "书记"
    VIEWER = "viewer", "查看"
    DISCIPLINE = "discipline", "纪检"
    MEMBER = "member", "党员"


WRITE_ROLES = {Role.ORG_ADMIN, Role.SECRETARY}
READ_ROLES = {Role.ORG_ADMIN, Role.SECRETARY, Role.VIEWER, Role.DISCIPLINE}


class RoleAssignment(models.Model):
    """A user's role on an organisation; it covers the organisation's whole subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = "角色授权"
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="unique_role_assignment",
                                    violation_error_message="该用户在此组织已有该角色"),
        ]

    def __str__(self):
        return f"{self.user} · {self.org} · {self.get_role_display()}"
