from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.db.models import Q

from dangjian.core import crypto, idnumber


class Status(models.TextChoices):
    NON_MEMBER = "non_member", "群众"
    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    CANDIDATE = "candidate", "发展对象"
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"
    SUSPENDED = "suspended", "停止党籍"
    CANCELLED = "cancelled", "取消预备党员资格"
    REMOVED = "removed", "除名"
    EXPELLED = "expelled", "开除党籍"
    TRANSFERRED_OUT = "transferred_out", "转出"
    DECEASED = "deceased", "死亡"
    # Added with the transfers app (DOMAIN §2 exits): 除名 because of 自行脱党 (章 第九条) is kept apart from
    # other 除名 for the statistics; 出国（境）保留党籍 keeps the person on the roster outside 组织生活.
    LAPSED = "lapsed", "自行脱党除名"
    ABROAD = "abroad", "出国（境）保留党籍"


PARTY_MEMBER_STATUSES = {Status.PROBATIONARY, Status.FULL}
PIPELINE_STATUSES = {Status.APPLICANT, Status.ACTIVIST, Status.CANDIDATE}
# States a person leaves the roster with (kept for history and statistics).
ENDED_STATUSES = {Status.CANCELLED, Status.REMOVED, Status.EXPELLED, Status.TRANSFERRED_OUT, Status.DECEASED,
                  Status.LAPSED}


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", "研究生"
    BACHELOR = "bachelor", "大学本科"
    COLLEGE = "college", "大学专科"
    SECONDARY = "secondary", "中专"
    HIGH_SCHOOL = "high_school", "高中、中技"
    JUNIOR = "junior", "初中及以下"


class Occupation(models.TextChoices):
    PROFESSIONAL = "professional", "专业技术人员"
    MANAGER = "manager", "管理人员"
    WORKER = "worker", "工勤技能人员"
    STUDENT = "student", "学生"
    RETIRED = "retired", "离退休人员"
    OTHER = "other", "其他"


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user):
        from dangjian.core.scoping import scope_q

        return self.filter(scope_q(user, "org__path") | Q(user_id=user.pk) if user.is_authenticated else Q(pk__in=[]))

    def on_roster(self):
        return self.exclude(status__in=ENDED_STATUSES)

    def full_members(self):
        return self.filter(status=Status.FULL)


class Person(models.Model):
    name = models.CharField("姓名", max_length=50, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    birth_date = models.DateField("出生日期")
    education = models.CharField("学历", max_length=16, choices=Education.choices, blank=True)
    occupation = models.CharField("职业类别", max_length=16, choices=Occupation.choices,
                                  default=Occupation.PROFESSIONAL)
    professional_title = models.CharField("职称", max_length=30, blank=True)
    is_class_teacher = models.BooleanField("班主任", default=False)
    is_research_lead = models.BooleanField("教研组长", default=False)
    is_backbone = models.BooleanField("骨干教师", default=False)
    is_administrative = models.BooleanField("行政", default=False)
    is_mobile = models.BooleanField("流动党员", default=False, help_text="外出流动、组织关系仍在本支部的党员")
    lost_contact = models.BooleanField("失联党员", default=False, help_text="与党组织失去联系的党员")

    id_number_cipher = models.TextField(blank=True, editable=False)
    id_number_index = models.CharField(max_length=64, blank=True, null=True, unique=True, editable=False)
    id_number_masked = models.CharField("身份证号", max_length=18, blank=True, editable=False)
    phone_cipher = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField("手机号", max_length=20, blank=True, editable=False)

    org = models.ForeignKey("orgs.Organisation", verbose_name="所在党组织", on_delete=models.PROTECT,
                            related_name="people")
    group = models.ForeignKey("orgs.Organisation", verbose_name="党小组", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="group_people")
    status = models.CharField("政治面貌", max_length=16, choices=Status.choices, db_index=True)
    status_since = models.DateField("状态生效日期", null=True, blank=True)
    applied_on = models.DateField("申请入党日期", null=True, blank=True)
    joined_on = models.DateField("入党日期", null=True, blank=True, help_text="支部大会通过接收为预备党员的日期")
    full_member_on = models.DateField("转正日期", null=True, blank=True, help_text="预备期满之日，党龄自此计算")
    under_party_probation = models.BooleanField("留党察看", default=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="person")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        ordering = ["org_id", "name", "id"]
        indexes = [models.Index(fields=["org", "status"]), models.Index(fields=["birth_date"])]

    def __str__(self):
        return self.name

    # --- protected fields -------------------------------------------------
    def set_id_number(self, value):
        value = idnumber.normalise(value)
        self.id_number_cipher = crypto.encrypt(value)
        self.id_number_index = crypto.blind_index(value) or None
        self.id_number_masked = idnumber.mask(value) if value else ""

    def get_id_number(self):
        return crypto.decrypt(self.id_number_cipher)

    def set_phone(self, value):
        value = (value or "").strip()
        self.phone_cipher = crypto.encrypt(value)
        self.phone_masked = idnumber.mask_phone(value) if value else ""

    def get_phone(self):
        return crypto.decrypt(self.phone_cipher)

    # --- derived ----------------------------------------------------------
    def age_on(self, on=None):
        on = on or date.today()
        return relativedelta(on, self.birth_date).years

    def party_years_on(self, on=None):
        """党龄 in whole years, counted from 转正 (the 预备期 end date)."""
        if not self.full_member_on:
            return None
        on = on or date.today()
        if on < self.full_member_on:
            return 0
        return relativedelta(on, self.full_member_on).years

    @property
    def is_party_member(self):
        return self.status in PARTY_MEMBER_STATUSES

    @property
    def post_labels(self):
        return [
            field.verbose_name
            for field in (self._meta.get_field(n) for n in
                          ("is_class_teacher", "is_research_lead", "is_backbone", "is_administrative"))
            if getattr(self, field.name)
        ]

    def snapshot(self):
        """Plain values for history and audit; never the full ID number or phone."""
        return {
            "name": self.name,
            "gender": self.get_gender_display(),
            "ethnicity": self.ethnicity,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "education": self.get_education_display(),
            "occupation": self.get_occupation_display(),
            "professional_title": self.professional_title,
            "posts": "、".join(self.post_labels),
            "id_number": self.id_number_masked,
            "phone": self.phone_masked,
            "org": self.org.name if self.org_id else None,
            "group": self.group.name if self.group_id else None,
            "status": self.get_status_display(),
        }


SNAPSHOT_LABELS = {
    "name": "姓名", "gender": "性别", "ethnicity": "民族", "birth_date": "出生日期", "education": "学历",
    "occupation": "职业类别", "professional_title": "职称", "posts": "岗位", "id_number": "身份证号",
    "phone": "手机号", "org": "所在党组织", "group": "党小组", "status": "政治面貌",
}


class StatusEvent(models.Model):
    """A change of party status, effective on a date, with its evidence."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="status_events")
    status = models.CharField("新状态", max_length=16, choices=Status.choices)
    previous_status = models.CharField("原状态", max_length=16, choices=Status.choices, blank=True)
    effective_on = models.DateField("生效日期")
    decided_by = models.CharField("决定机关/会议", max_length=100, blank=True)
    decision_date = models.DateField("决定日期", null=True, blank=True)
    approval_no = models.CharField("批复/备案文号", max_length=60, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]
        verbose_name = "政治面貌变更"
        # From EXPLAIN at 120 000 people (docs/SCALE.md 增长测试): "status on a date" (the latest event of a person
        # on or before it) reads a person's events newest first instead of sorting them per person; the year's
        # status changes (statistics' 发展/出党 flows) are found by date instead of scanning every event.
        indexes = [models.Index(fields=["person", "-effective_on", "-id"], name="statusevent_person_latest"),
                   models.Index(fields=["effective_on"], name="statusevent_effective_on")]


class OrgMembership(models.Model):
    """Which organisation a person belonged to, from when to when (history-aware rosters)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    org = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="memberships")
    started_on = models.DateField("起始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)

    class Meta:
        ordering = ["started_on", "id"]
        verbose_name = "组织关系记录"
        indexes = [models.Index(fields=["org", "started_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="membership_end_after_start",
                violation_error_message="结束日期不能早于起始日期",
            ),
        ]


class PersonChange(models.Model):
    """Field-level history of a person's record (who changed what, when)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]

    def rows(self):
        """[(label, before, after)] for display."""
        return [(SNAPSHOT_LABELS.get(key, key), self.before.get(key), value) for key, value in self.after.items()]
