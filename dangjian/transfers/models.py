"""组织关系转接 (DOMAIN §2, 教管 第二十五条) and the records behind status proposals.

A `Transfer` is one introduction letter (介绍信) and its fate:
- OUT: a member of a platform organisation leaves, either to another organisation on the platform (`to_org`)
  or to one outside it (`to_name`). The sender stays responsible until the receiver accepts (the person stays
  in the sender's roster, 转出中). Acceptance by a platform receiver moves the person (OrgMembership closes and
  opens); an outside receiver's 回执 recorded by the sender ends the person's roster (status 转出).
- IN: a member arrives from outside the platform (or from another installation): the record carries the
  person's particulars; the receiving writers review the materials and accept (the person is created in the
  receiving organisation) or return it.
- WITHIN: a move inside the district (teacher rotation, 县管校聘) made in one action by someone who writes both
  sides; it is born accepted.

At most one open (转接中) transfer per person, enforced by the database.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core import crypto
from dangjian.members.models import Gender, Status


class Kind(models.TextChoices):
    OUT = "out", "转出"
    IN = "in", "转入"
    WITHIN = "within", "区内调动"


class State(models.TextChoices):
    PENDING = "pending", "转接中"
    ACCEPTED = "accepted", "已接收"
    RETURNED = "returned", "已退回"
    CANCELLED = "cancelled", "已撤销"


INCOMING_STATUSES = [(Status.PROBATIONARY.value, Status.PROBATIONARY.label), (Status.FULL.value, Status.FULL.label)]


class TransferQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Transfers whose sending or receiving organisation is in the user's scope."""
        from dangjian.core.scoping import scope_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(scope_q(user, "from_org__path") | scope_q(user, "to_org__path"))

    def open(self):
        return self.filter(state=State.PENDING)


class Transfer(models.Model):
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    person = models.ForeignKey("members.Person", verbose_name="党员", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="transfers")
    from_org = models.ForeignKey("orgs.Organisation", verbose_name="转出组织", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="transfers_out")
    from_name = models.CharField("转出组织（平台外）", max_length=100, blank=True)
    to_org = models.ForeignKey("orgs.Organisation", verbose_name="接收组织", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="transfers_in")
    to_name = models.CharField("接收组织（平台外）", max_length=100, blank=True)
    letter_no = models.CharField("介绍信编号", max_length=60, blank=True)
    issued_on = models.DateField("开具日期")
    valid_until = models.DateField("有效期至", help_text="含当日")
    reason = models.CharField("转接原因", max_length=200, blank=True)
    renewals = models.PositiveSmallIntegerField("续开次数", default=0)

    # Particulars of an incoming member (kind IN) until the person is created on acceptance.
    name = models.CharField("姓名", max_length=50, blank=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    party_status = models.CharField("党籍状态", max_length=16, choices=INCOMING_STATUSES, blank=True)
    joined_on = models.DateField("入党日期", null=True, blank=True)
    full_member_on = models.DateField("转正日期", null=True, blank=True)
    id_number_cipher = models.TextField(blank=True, editable=False)
    id_number_masked = models.CharField("身份证号", max_length=18, blank=True, editable=False)
    materials = models.TextField("材料清单", blank=True, help_text="介绍信、党员档案、党费交纳证明等")

    decided_on = models.DateField("办结日期", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decision_note = models.CharField("办理意见", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = "组织关系转接"
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["state", "valid_until"])]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(state="pending"), name="transfer_one_open_per_person",
                                    violation_error_message="该党员已有正在办理的组织关系转接"),
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("issued_on")),
                                   name="transfer_valid_after_issue",
                                   violation_error_message="有效期不能早于开具日期"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.subject_name}（{self.source_label} → {self.target_label}）"

    @property
    def subject_name(self):
        return self.person.name if self.person_id else self.name

    @property
    def source_label(self):
        return self.from_org.name if self.from_org_id else (self.from_name or "—")

    @property
    def target_label(self):
        return self.to_org.name if self.to_org_id else (self.to_name or "—")

    @property
    def external(self):
        """Out to an organisation outside the platform (the sender records the 回执)."""
        return self.kind == Kind.OUT and not self.to_org_id

    def expired_on(self, on):
        return self.state == State.PENDING and on > self.valid_until

    def set_id_number(self, value):
        from dangjian.core import idnumber

        value = idnumber.normalise(value)
        self.id_number_cipher = crypto.encrypt(value) if value else ""
        self.id_number_masked = idnumber.mask(value) if value else ""

    def get_id_number(self):
        return crypto.decrypt(self.id_number_cipher) if self.id_number_cipher else ""


class ContactLoss(models.Model):
    """失联: a member the organisation cannot reach, from a date (停止党籍 after 6 months, 教管 第二十四条)."""

    person = models.ForeignKey("members.Person", verbose_name="党员", on_delete=models.CASCADE,
                               related_name="contact_losses")
    since = models.DateField("失联日期")
    note = models.CharField("情况说明", max_length=300)
    ended_on = models.DateField("恢复联系日期", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "失联登记"
        ordering = ["-since", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(ended_on__isnull=True),
                                    name="contact_loss_one_open_per_person",
                                    violation_error_message="该党员已登记失联"),
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("since")),
                                   name="contact_loss_end_after_start",
                                   violation_error_message="恢复联系日期不能早于失联日期"),
        ]
