"""换届选举: elections of 党委 / 党总支 / 党支部, the committee they produce, and approved term extensions.

The term of an organisation runs from the date of its latest election (DOMAIN §6); see selectors.term_of.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core.scoping import OrgScopedQuerySet
from dangjian.orgs.models import CommitteePost, OrgKind

# The organisations that elect a committee and have a term (基层党委, 党总支, 党支部, 联合党支部).
ELECTING_KINDS = (OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.JOINT_BRANCH)
# Posts an election fills (党小组长 are not elected by the branch's 党员大会).
ELECTED_POSTS = [(v, label) for v, label in CommitteePost.Post.choices if v != CommitteePost.Post.GROUP_LEADER]
HIGHER_APPROVAL_POSTS = {CommitteePost.Post.SECRETARY, CommitteePost.Post.DEPUTY}


class Approved(models.Model):
    """The higher organisation's approval (批复 of an election, 批准 of an extension) and who recorded the request."""

    approval_authority = models.CharField("批复机关", max_length=100, blank=True)
    approval_no = models.CharField("批复文号", max_length=60, blank=True)
    approved_on = models.DateField("批复日期", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Election(Approved):
    class Method(models.TextChoices):
        COMPETITIVE = "competitive", "差额选举"
        EQUAL = "equal", "等额选举"

    class Status(models.TextChoices):
        PENDING = "pending", "待批复"
        APPROVED = "approved", "已批复"

    org = models.ForeignKey("orgs.Organisation", verbose_name="选举单位", on_delete=models.PROTECT,
                            related_name="elections")
    held_on = models.DateField("选举日期")
    method = models.CharField("选举方式", max_length=12, choices=Method.choices, default=Method.COMPETITIVE)
    seats = models.PositiveSmallIntegerField("应选名额")
    electors_due = models.PositiveIntegerField("应到有选举权人数", help_text="选举日本组织的正式党员，不含受留党察看处分的党员")
    electors_present = models.PositiveIntegerField("实到有选举权人数")
    ballots_cast = models.PositiveIntegerField("收回选票数")
    invalid_ballots = models.PositiveIntegerField("无效票数", default=0)
    blank_ballots = models.PositiveIntegerField("空白票数", default=0)
    override_reason = models.CharField("未实行差额选举的说明", max_length=200, blank=True)
    result_note = models.TextField("计票结果说明", blank=True)
    note = models.CharField("备注", max_length=300, blank=True)
    status = models.CharField("批复状态", max_length=12, choices=Status.choices, default=Status.PENDING)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "换届选举"
        verbose_name_plural = "换届选举"
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["org", "held_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(electors_present__lte=models.F("electors_due")),
                                   name="election_present_le_due",
                                   violation_error_message="实到有选举权人数不能超过应到人数"),
            models.CheckConstraint(condition=Q(ballots_cast__lte=models.F("electors_present")),
                                   name="election_ballots_le_present",
                                   violation_error_message="收回选票数不能多于实到人数"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="election_seats_positive",
                                   violation_error_message="应选名额至少为1"),
        ]

    def __str__(self):
        return f"{self.org} {self.held_on:%Y-%m-%d} 换届选举"

    @property
    def valid_ballots(self):
        return self.ballots_cast - self.invalid_ballots

    @property
    def is_approved(self):
        return self.status == self.Status.APPROVED


class Candidate(models.Model):
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    person = models.ForeignKey("members.Person", verbose_name="候选人", on_delete=models.PROTECT,
                               related_name="election_candidacies")
    votes = models.PositiveIntegerField("得票数")
    elected = models.BooleanField("当选", default=False)
    rank = models.PositiveSmallIntegerField("当选顺序", null=True, blank=True)
    post = models.CharField("分工职务", max_length=16, choices=ELECTED_POSTS, blank=True)

    class Meta:
        verbose_name = "候选人"
        verbose_name_plural = "候选人"
        ordering = ["-votes", "person__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["election", "person"], name="unique_candidate",
                                    violation_error_message="同一候选人不能重复列入"),
        ]

    def __str__(self):
        return f"{self.person} {self.votes}票"


class TermExtension(Approved):
    """延期换届: requested by the organisation, approved by the higher Party organisation (≤ 1 year, 选条 3)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "待批准"
        APPROVED = "approved", "已批准"

    org = models.ForeignKey("orgs.Organisation", verbose_name="组织", on_delete=models.PROTECT,
                            related_name="term_extensions")
    election = models.ForeignKey(Election, verbose_name="所延长的届期", on_delete=models.CASCADE,
                                 related_name="extensions")
    extended_to = models.DateField("延期至")
    reason = models.CharField("延期理由", max_length=300)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.REQUESTED)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "延期换届"
        verbose_name_plural = "延期换届"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.org} 延期换届至 {self.extended_to:%Y-%m-%d}"
