"""先锋作用与荣誉宣传: mentor pairs, duty posts, lessons given and attended, publicity articles, honours."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from dangjian.core.scoping import OrgScopedQuerySet


class Level(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区级"
    SCHOOL = "school", "校级"


class Stamped(models.Model):
    """Who recorded it and when; every record belongs to the organisation that keeps it."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class MentorPair(Stamped):
    """师徒结对: a member (师傅) and a young teacher (徒弟, often not a member) for one school year."""

    org = models.ForeignKey("orgs.Organisation", verbose_name="党组织", on_delete=models.PROTECT, related_name="+")
    mentor = models.ForeignKey("members.Person", verbose_name="师傅", on_delete=models.PROTECT,
                               related_name="mentorships")
    apprentice = models.ForeignKey("members.Person", verbose_name="徒弟（人员档案）", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="apprenticeships")
    apprentice_name = models.CharField("徒弟姓名", max_length=50)
    subject = models.CharField("学科", max_length=30, blank=True)
    school_year = models.CharField("学年", max_length=9, db_index=True, help_text="如 2025-2026")
    goals = models.TextField("结对目标", blank=True)
    outcome = models.TextField("成效记录", blank=True)

    class Meta:
        verbose_name = "师徒结对"
        verbose_name_plural = "师徒结对"
        ordering = ["-school_year", "mentor__name", "id"]
        constraints = [models.UniqueConstraint(fields=["school_year", "mentor", "apprentice_name"],
                                               name="vanguard_unique_pair_per_year",
                                               violation_error_message="该学年已有这对师徒的结对记录")]

    def __str__(self):
        return f"{self.school_year} {self.mentor} — {self.apprentice_name}"


class DutyPost(Stamped):
    """党员责任区 / 安全责任岗 / 先锋岗 / 示范岗: a member holding a post at a place and time slot."""

    class Kind(models.TextChoices):
        AREA = "area", "党员责任区"
        SAFETY = "safety", "安全责任岗"
        VANGUARD = "vanguard", "先锋岗"
        MODEL = "model", "示范岗"

    org = models.ForeignKey("orgs.Organisation", verbose_name="党组织", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, db_index=True)
    name = models.CharField("岗位名称", max_length=100)
    place = models.CharField("地点", max_length=100, blank=True, help_text="楼层、教室、专业室等")
    time_slot = models.CharField("时段", max_length=50, blank=True, help_text="如 周一 7:30-8:00")
    member = models.ForeignKey("members.Person", verbose_name="党员", on_delete=models.PROTECT,
                               related_name="duty_posts")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期", null=True, blank=True)

    class Meta:
        verbose_name = "党员岗位"
        verbose_name_plural = "党员岗位"
        ordering = ["kind", "name", "id"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                                              name="vanguard_post_ends_after_start",
                                              violation_error_message="结束日期不能早于开始日期")]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.name}（{self.member}）"


class Lesson(Stamped):
    """A lesson given: 示范课 / 观摩课 / 评优课 / 公开课."""

    class Kind(models.TextChoices):
        DEMO = "demo", "示范课"
        OBSERVATION = "observation", "观摩课"
        CONTEST = "contest", "评优课"
        OPEN = "open", "公开课"

    org = models.ForeignKey("orgs.Organisation", verbose_name="党组织", on_delete=models.PROTECT, related_name="+")
    teacher = models.ForeignKey("members.Person", verbose_name="授课教师", on_delete=models.PROTECT,
                                related_name="lessons_given")
    date = models.DateField("日期", db_index=True)
    title = models.CharField("课题", max_length=200)
    subject = models.CharField("学科", max_length=30, blank=True)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    result = models.CharField("获奖等次", max_length=30, blank=True, help_text="如 一等奖（可不填）")

    class Meta:
        verbose_name = "示范课/公开课"
        verbose_name_plural = "示范课/公开课"
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}《{self.title}》"


class LessonReview(Stamped):
    """A lesson attended (听课) or evaluated (评课) by a person."""

    class Role(models.TextChoices):
        ATTEND = "attend", "听课"
        EVALUATE = "evaluate", "评课"

    org = models.ForeignKey("orgs.Organisation", verbose_name="党组织", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("members.Person", verbose_name="听课/评课人", on_delete=models.PROTECT,
                               related_name="lesson_reviews")
    date = models.DateField("日期", db_index=True)
    role = models.CharField("方式", max_length=10, choices=Role.choices)
    lesson = models.ForeignKey(Lesson, verbose_name="所听课例", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="reviews")
    lesson_title = models.CharField("课题", max_length=200)

    class Meta:
        verbose_name = "听课评课"
        verbose_name_plural = "听课评课"
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.person} {self.get_role_display()}《{self.lesson_title}》"


class Article(Stamped):
    """A publicity article (宣传稿件) on a platform, with its authors (people and/or free names)."""

    class Platform(models.TextChoices):
        XUEXI = "xuexi", "学习强国"
        WECHAT = "wechat", "微信公众号"
        WEBSITE = "website", "学校网站"
        PRESS = "press", "报刊媒体"
        TV = "tv", "电视台"
        OTHER = "other", "其他"

    org = models.ForeignKey("orgs.Organisation", verbose_name="党组织", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=200)
    date = models.DateField("发表日期", db_index=True)
    platform = models.CharField("发表平台", max_length=10, choices=Platform.choices)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    url = models.URLField("链接", max_length=500, blank=True)
    authors = models.ManyToManyField("members.Person", verbose_name="作者", blank=True, related_name="articles")
    author_names = models.CharField("其他作者", max_length=200, blank=True, help_text="不在人员档案中的作者，用顿号分隔")

    class Meta:
        verbose_name = "宣传稿件"
        verbose_name_plural = "宣传稿件"
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d}《{self.title}》"


class Honour(Stamped):
    """An honour received by a person or by an organisation (exactly one of them)."""

    class Kind(models.TextChoices):
        EXCELLENT_MEMBER = "excellent_member", "优秀共产党员"
        PARTY_WORKER = "party_worker", "优秀党务工作者"
        ADVANCED_ORG = "advanced_org", "先进基层党组织"
        QUALITY_LESSON = "quality_lesson", "优质课奖"
        FAMOUS_TEACHER = "famous_teacher", "名师"
        FAMOUS_HEAD_TEACHER = "famous_head", "名班主任"
        STAR_TEACHER = "star_teacher", "明星教师"
        BRAND = "brand", "党建品牌"
        DEMO_SITE = "demo_site", "示范点"
        OTHER = "other", "其他"

    org = models.ForeignKey("orgs.Organisation", verbose_name="登记组织", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("荣誉名称", max_length=200)
    kind = models.CharField("类别", max_length=16, choices=Kind.choices)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    date = models.DateField("授予日期", db_index=True)
    month = models.DateField("评选月份", null=True, blank=True, help_text="明星教师按月评选")
    issuer = models.CharField("授予单位", max_length=100)
    person = models.ForeignKey("members.Person", verbose_name="获奖人", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="honours")
    recipient_org = models.ForeignKey("orgs.Organisation", verbose_name="获奖组织", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="honours")
    certificate = models.FileField("证书", upload_to="vanguard/%Y/%m/", blank=True)
    certificate_name = models.CharField("证书文件名", max_length=200, blank=True)
    certificate_type = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "荣誉"
        verbose_name_plural = "荣誉"
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, recipient_org__isnull=True)
                | Q(person__isnull=True, recipient_org__isnull=False),
                name="vanguard_honour_one_recipient", violation_error_message="获奖者须为一名人员或一个组织（二选一）"),
            models.CheckConstraint(condition=~Q(kind="star_teacher") | Q(month__isnull=False),
                                   name="vanguard_star_teacher_month", violation_error_message="明星教师须填写评选月份"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.title}（{self.recipient_name}）"

    @property
    def recipient_name(self):
        return self.person.name if self.person_id else (self.recipient_org.name if self.recipient_org_id else "")
