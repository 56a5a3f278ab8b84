"""The figures of a summary report (工作总结): every number the seeds quote, for an organisation's subtree and a
period, each with the link to the records behind it.

`collect(org, start, end)` calls each app's `selectors.summary(org, start, end)` (one fixed set of queries per app,
whatever the data size), the compliance engine for the open findings, and arranges the results in sections:
基本情况, the areas of 主要做法和成效, 特色亮点 and 存在的问题. Each `Figure` has a label, a value, a unit and the
URL of the existing list page filtered to the same records (organisation subtree, type, period). The Word document,
the editing page, the CLI and the API all read this one structure.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from dangjian.appraisal import selectors as appraisal
from dangjian.dues import selectors as dues
from dangjian.life import selectors as life
from dangjian.life.models import MeetingType
from dangjian.members import selectors as members
from dangjian.members.models import Status
from dangjian.orgs.models import Organisation, OrgKind
from dangjian.pipeline import selectors as pipeline
from dangjian.review import selectors as review
from dangjian.service import selectors as service
from dangjian.tasks import selectors as tasks
from dangjian.terms import selectors as terms
from dangjian.vanguard import selectors as vanguard
from dangjian.vanguard.models import Level

# The meeting types the 三会一课 paragraph names, in the seeds' order (others are added when held).
MEETING_ORDER = [MeetingType.UPPER_COMMITTEE, MeetingType.SCHOOL_PARTY, MeetingType.ASSEMBLY, MeetingType.COMMITTEE,
                 MeetingType.GROUP, MeetingType.LECTURE, MeetingType.LIFE_MEETING, MeetingType.EVALUATION,
                 MeetingType.TALK, MeetingType.PRINCIPAL_OFFICE, MeetingType.OTHER]
# Study and 主题党日 have their own paragraphs.
STUDY_TYPES = [MeetingType.CENTRAL_GROUP, MeetingType.DISCUSSION]
# Levels counted as "区级及以上" for the highlights.
HIGH_LEVELS = [Level.NATIONAL, Level.PROVINCE, Level.CITY, Level.DISTRICT]
# How many open findings of one rule the 存在的问题 paragraph names as examples.
EXAMPLES = 3


def link(name, **params):
    """The URL of a list page with its filters (None and "" left out, dates as YYYY-MM-DD)."""
    query = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items() if v not in (None, "")}
    return reverse(name) + ("?" + urlencode(query) if query else "")


@dataclass
class Figure:
    key: str
    label: str
    value: object          # int, Decimal, or None (not applicable / no data)
    unit: str = ""
    url: str = ""

    @property
    def text(self):
        """The value as the report prints it."""
        if self.value is None:
            return "—"
        if isinstance(self.value, Decimal):
            return f"{self.value:,.2f}" if self.unit == "元" else f"{self.value.normalize():f}"
        if isinstance(self.value, float):
            return f"{self.value:g}"
        return str(self.value)

    @property
    def with_unit(self):
        return self.text + (self.unit if self.value is not None else "")

    @property
    def is_zero(self):
        return not self.value

    def as_dict(self):
        value = self.value
        if isinstance(value, Decimal):
            value = str(value)
        return {"key": self.key, "label": self.label, "value": value, "text": self.text, "unit": self.unit,
                "url": self.url}


@dataclass
class Section:
    key: str
    title: str
    figures: list = field(default_factory=list)
    sentences: list = field(default_factory=list)   # the prose the figures make ("召开支部党员大会4次……")

    @property
    def auto_text(self):
        return "".join(self.sentences)

    @property
    def empty(self):
        return all(f.is_zero for f in self.figures)

    def add(self, key, label, value, unit="", url=""):
        figure = Figure(f"{self.key}.{key}", label, value, unit, url)
        self.figures.append(figure)
        return figure

    def as_dict(self):
        return {"key": self.key, "title": self.title, "text": self.auto_text,
                "figures": [f.as_dict() for f in self.figures]}


@dataclass
class Report:
    org: Organisation
    start: date
    end: date
    sections: list
    by_month: list            # [{"month", "count", "expected", "present", "rate"}] for the charts
    findings_on: date

    def section(self, key):
        return next(s for s in self.sections if s.key == key)

    def figure(self, key):
        section_key = key.split(".", 1)[0]
        return next(f for f in self.section(section_key).figures if f.key == key)

    @property
    def empty(self):
        """No work recorded in the period (the roster at the end date does not count as work)."""
        return all(s.empty for s in self.sections if s.key in AREA_KEYS)

    @property
    def period_label(self):
        return period_label(self.start, self.end)

    def as_dict(self):
        return {"org": {"id": self.org.pk, "name": self.org.name}, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "period": self.period_label, "empty": self.empty,
                "findings_on": self.findings_on.isoformat(),
                "sections": [s.as_dict() for s in self.sections],
                "by_month": [{"month": m["month"].strftime("%Y-%m"), "meetings": m["count"],
                              "expected": m["expected"], "present": m["present"], "rate": m["rate"]}
                             for m in self.by_month]}


def period_label(start, end):
    """"2025年9月1日至2026年8月31日"."""
    return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"


def _join(parts, empty=""):
    parts = [p for p in parts if p]
    return "、".join(parts) if parts else empty


def _counts(figures):
    """"支部党员大会4次、支委会12次" for the non-zero figures."""
    return _join(f"{f.label}{f.with_unit}" for f in figures if not f.is_zero)


def _sentence(text):
    return text + "。" if text else ""


NO_RECORDS = "本期无相关记录。"


# --- the sections -----------------------------------------------------------------------------------------------


def _basic(org, start, end):
    s = Section("basic", "基本情况")
    roster = members.summary(org, start, end)
    roster_url = lambda status: link("members:roster", org=org.pk, status=status)  # noqa: E731
    total = s.add("members", "党员", roster["members"], "名", roster_url("members"))
    full = s.add("full", "正式党员", roster["full"], "名", roster_url(Status.FULL))
    prob = s.add("probationary", "预备党员", roster["probationary"], "名", roster_url(Status.PROBATIONARY))
    kinds = dict(Organisation.objects.active(end).filter(path__startswith=org.path).exclude(pk=org.pk)
                 .values_list("kind").annotate(n=Count("id")).order_by())
    branches = s.add("branches", "党支部", kinds.get(OrgKind.BRANCH, 0) + kinds.get(OrgKind.JOINT_BRANCH, 0), "个",
                     link("orgs:tree"))
    generals = s.add("general_branches", "党总支", kinds.get(OrgKind.GENERAL_BRANCH, 0), "个", link("orgs:tree"))
    committees = s.add("party_committees", "党委", kinds.get(OrgKind.PARTY_COMMITTEE, 0), "个", link("orgs:tree"))
    groups = s.add("groups", "党小组", kinds.get(OrgKind.GROUP, 0), "个", link("orgs:tree"))
    s.sentences.append(f"截至{end.year}年{end.month}月{end.day}日，{org.name}共有党员{total.with_unit}，"
                       f"其中正式党员{full.with_unit}、预备党员{prob.with_unit}")
    below = _counts([committees, generals, branches, groups])
    s.sentences.append(f"；下设{below}。" if below else "。")
    return s, roster


def _meetings(org, start, end, lifefig):
    s = Section("meetings", "严格落实“三会一课”制度")
    by_type = {t["key"]: t for t in lifefig["meetings"]["by_type"]}

    def meetings_url(kind):
        return link("life:meetings", org=org.pk, type=kind, status="held", start=start, end=end)

    figures = [s.add(kind, "党总支（党委）会" if kind == MeetingType.UPPER_COMMITTEE else by_type[kind]["label"],
                     by_type[kind]["count"], "次", meetings_url(kind)) for kind in MEETING_ORDER]
    secretary = s.add("secretary_lectures", "书记讲党课", lifefig["meetings"]["secretary_lectures"], "次",
                      link("life:meetings", org=org.pk, type=MeetingType.LECTURE, secretary=1, status="held",
                           start=start, end=end))
    att = lifefig["attendance"]
    person_times = s.add("person_times", "参会党员", att["present"], "人次",
                         link("life:meetings", org=org.pk, status="held", start=start, end=end))
    rate = s.add("attendance_rate", "平均出席率", Decimal(str(att["rate"])) if att["rate"] is not None else None, "%")
    held = _counts(figures)
    if not held and secretary.is_zero:
        s.sentences.append(NO_RECORDS)
        return s
    s.sentences.append(f"本期共召开{held}" if held else "")
    if not secretary.is_zero:
        s.sentences.append(f"{'，其中' if held else ''}书记讲党课{secretary.with_unit}")
    s.sentences.append("。")
    if not person_times.is_zero:
        s.sentences.append(f"参会党员{person_times.with_unit}"
                           + (f"，平均出席率{rate.text}%" if rate.value is not None else "") + "。")
    return s


def _study(org, start, end, lifefig):
    s = Section("study", "学习教育常态化")
    by_type = {t["key"]: t for t in lifefig["meetings"]["by_type"]}
    sessions = [s.add(kind, by_type[kind]["label"], by_type[kind]["count"], "次",
                      link("life:meetings", org=org.pk, type=kind, status="held", start=start, end=end))
                for kind in STUDY_TYPES]
    lectures = s.add("lectures", "党课", by_type[MeetingType.LECTURE]["count"], "次",
                     link("life:meetings", org=org.pk, type=MeetingType.LECTURE, status="held", start=start, end=end))
    st = lifefig["study"]
    issued = s.add("tasks_issued", "下达学习任务", st["tasks_issued"], "项", link("life:study_tasks"))
    done = s.add("completions", "完成学习任务", st["completions"], "人次", link("life:study_tasks"))
    hours = s.add("hours", "学习时长", Decimal(st["hours"]).quantize(Decimal("0.1")), "学时", link("life:study_tasks"))
    people = s.add("people", "参加学习党员", st["people"], "人", link("life:study_tasks"))
    parts = []
    held = _counts(sessions + [lectures])
    if held:
        parts.append(f"组织{held}")
    if not issued.is_zero:
        parts.append(f"下达学习任务{issued.with_unit}")
    if not done.is_zero or not hours.is_zero:
        parts.append(f"党员登记完成学习任务{done.with_unit}、学习{hours.with_unit}（{people.with_unit}）")
    s.sentences.append("本期" + "，".join(parts) + "。" if parts else NO_RECORDS)
    return s


def _activities(org, start, end, lifefig, servicefig):
    s = Section("activities", "主题党日与志愿服务")
    theme = lifefig["theme_days"]
    days = s.add("theme_days", "主题党日", theme["count"], "次",
                 link("life:meetings", org=org.pk, type=MeetingType.THEME_DAY, status="held", start=start, end=end))
    day_times = s.add("theme_day_person_times", "主题党日参加党员", theme["person_times"], "人次", days.url)
    totals = servicefig["activity_totals"]
    acts_url = link("service:home", org=org.pk, start=start, end=end)
    kinds = [s.add(f"activity_{a['key']}", a["label"], a["count"], "次",
                   link("service:home", org=org.pk, start=start, end=end, kind=a["key"]))
             for a in servicefig["activities"]]
    acts = s.add("activities", "服务活动", totals["count"], "次", acts_url)
    participants = s.add("participants", "参加党员", totals["participants"], "人", acts_url)
    times = s.add("person_times", "服务活动参与", totals["person_times"], "人次", acts_url)
    hours = s.add("hours", "服务时长", totals["hours"], "小时", acts_url)
    pships = servicefig["partnerships"]
    branches = s.add("partner_branches", "结对共建党组织", pships["branches"], "个",
                     link("service:partnerships", org=org.pk))
    partners = s.add("partners", "结对对象", pships["partners"], "个", branches.url)
    parts = []
    if not days.is_zero:
        parts.append(f"开展主题党日{days.with_unit}，参加党员{day_times.with_unit}")
    if not acts.is_zero:
        parts.append(f"开展{_counts(kinds)}等服务活动共{acts.with_unit}，{participants.with_unit}参加，"
                     f"参与{times.with_unit}，服务{hours.with_unit}")
    if not branches.is_zero:
        parts.append(f"{branches.with_unit}党组织与{partners.with_unit}对象结对共建")
    s.sentences.append("本期" + "；".join(parts) + "。" if parts else NO_RECORDS)
    return s


def _development(org, start, end, roster):
    s = Section("development", "规范发展党员工作")
    fig = pipeline.summary(org, start, end)
    board = link("pipeline:board", org=org.pk)
    steps = [s.add("applications", "递交入党申请书", fig["applications"], "人", board),
             s.add("activists", "确定为入党积极分子", fig["activists"], "人", board),
             s.add("candidates", "确定为发展对象", fig["candidates"], "人", board),
             s.add("admitted", "发展为预备党员", fig["admitted"], "人", board),
             s.add("confirmed", "按期转正", fig["confirmed"], "人", board)]
    extended = s.add("extended", "延长预备期", fig["extended"], "人", board)
    cancelled = s.add("cancelled", "取消预备党员资格", fig["cancelled"], "人", board)
    counts = {row["key"]: row["count"] for row in roster["by_status"]}
    pool = [s.add(f"now_{key}", f"现有{Status(key).label}", counts.get(key, 0), "人",
                  link("members:roster", org=org.pk, status=key))
            for key in (Status.APPLICANT, Status.ACTIVIST, Status.CANDIDATE)]
    done = "、".join(f"{f.with_unit}{f.label}" for f in steps if not f.is_zero)
    others = _counts([extended, cancelled])
    text = f"本期{done}" if done else ""
    if others:
        text += f"{'；' if text else '本期'}{others}"
    now = _counts(pool)
    if now:
        text += f"{'。' if text else ''}截至{end.month}月{end.day}日，{now}"
    s.sentences.append(_sentence(text) if text else NO_RECORDS)
    return s


def _vanguard(org, start, end, vfig):
    s = Section("vanguard", "发挥党员先锋模范作用")
    lessons = vfig["lessons"]
    lesson_url = lambda **kw: link("vanguard:lessons", org=org.pk, start=start, end=end, **kw)  # noqa: E731
    given = s.add("lessons", "示范课、观摩课、评优课、公开课", lessons["total"], "节", lesson_url())
    kinds = [s.add(f"lessons_{key}", label, lessons["by_kind"][key], "节", lesson_url(kind=key))
             for key, label in _choices("lesson")]
    awarded = s.add("lessons_awarded", "获奖课", lessons["awarded"], "节", lesson_url())
    reviews = s.add("reviews", "听课评课", vfig["lesson_reviews"]["total"], "节",
                    link("vanguard:reviews", org=org.pk, start=start, end=end))
    pairs = s.add("mentor_pairs", "师徒结对", vfig["mentor_pairs"], "对",
                  link("vanguard:pairs", org=org.pk, school_year=vfig["school_year"]))
    posts = s.add("posts", "党员责任区、先锋岗", vfig["posts"]["total"], "个", link("vanguard:posts", org=org.pk))
    parts = []
    if not given.is_zero:
        parts.append(f"党员教师执教{_counts(kinds)}共{given.with_unit}" + (
            f"，其中获奖{awarded.with_unit}" if not awarded.is_zero else ""))
    if not reviews.is_zero:
        parts.append(f"听课评课{reviews.with_unit}")
    if not pairs.is_zero:
        parts.append(f"{vfig['school_year']}学年师徒结对{pairs.with_unit}")
    if not posts.is_zero:
        parts.append(f"设立党员责任区、责任岗{posts.with_unit}")
    s.sentences.append("本期" + "；".join(parts) + "。" if parts else NO_RECORDS)
    return s


def _choices(what):
    from dangjian.vanguard.models import Article, Honour, Lesson

    return {"lesson": Lesson.Kind.choices, "platform": Article.Platform.choices,
            "honour": Honour.Kind.choices}[what]


def _honours(org, start, end, vfig):
    s = Section("honours", "荣誉表彰")
    h = vfig["honours"]
    url = lambda **kw: link("vanguard:honours", org=org.pk, start=start, end=end, **kw)  # noqa: E731
    total = s.add("total", "获得荣誉", h["total"], "项", url())
    people = [s.add(f"people_{key}", f"{label}个人荣誉", h["people"]["by_level"][key], "项",
                    url(level=key, recipient="person")) for key, label in Level.choices]
    orgs = [s.add(f"orgs_{key}", f"{label}集体荣誉", h["orgs"]["by_level"][key], "项", url(level=key, recipient="org"))
            for key, label in Level.choices]
    honoured = s.add("people_honoured", "获表彰党员", h["people_honoured"], "人", url(recipient="person"))
    kinds = [s.add(f"kind_{key}", label, h["people"]["by_kind"][key] + h["orgs"]["by_kind"][key], "项",
                   url(kind=key)) for key, label in _choices("honour")]
    if total.is_zero:
        s.sentences.append(NO_RECORDS)
        return s
    def by_level(figs):
        return _join(f"{label}{f.with_unit}" for (_, label), f in zip(Level.choices, figs) if not f.is_zero)

    text = f"本期共获得各级荣誉{total.with_unit}"
    if by_level(people):
        text += f"，其中个人荣誉{by_level(people)}（{honoured.text}名党员获表彰）"
    if by_level(orgs):
        text += f"{'，' if by_level(people) else '，其中'}集体荣誉{by_level(orgs)}"
    s.sentences.append(text + f"；按类别：{_counts(kinds)}。")
    return s


def _publicity(org, start, end, vfig):
    s = Section("publicity", "宣传与意识形态阵地")
    a = vfig["articles"]
    url = lambda **kw: link("vanguard:articles", org=org.pk, start=start, end=end, **kw)  # noqa: E731
    total = s.add("total", "宣传稿件", a["total"], "篇", url())
    platforms = [s.add(f"platform_{key}", label, a["by_platform"][key], "篇", url(platform=key))
                 for key, label in _choices("platform")]
    levels = [s.add(f"level_{key}", f"{label}媒体", a["by_level"][key], "篇", url(level=key)) for key, label in
              Level.choices]
    if total.is_zero:
        s.sentences.append(NO_RECORDS)
    else:
        s.sentences.append(f"本期在各类平台发布宣传稿件{total.with_unit}，其中{_counts(platforms)}；"
                           f"按级别：{_counts(levels)}。")
    return s


def _care(org, start, end, sfig):
    s = Section("care", "关爱服务与家校共育")
    hv = sfig["home_visits"]
    visit_url = lambda **kw: link("service:visits", org=org.pk, start=start, end=end, **kw)  # noqa: E731
    visits = s.add("home_visits", "家访", hv["total"], "人次", visit_url())
    cats = [s.add(f"visit_{v['key']}", f"对{v['label']}" if v["key"] != "other" else "其他",
                  v["count"], "人次", visit_url(kind=v["key"])) for v in hv["by_category"]]
    pairs = s.add("help_pairs", "帮教对子", hv["pairs"], "对", link("service:pairs", org=org.pk))
    care_url = link("service:care", org=org.pk, start=start, end=end)
    c = sfig["care"]["totals"]
    people = s.add("care_people", "走访慰问", c["people"], "人", care_url)
    matters = s.add("care_matters", "解决问题", c["matters"], "件", care_url)
    money = s.add("care_money", "慰问金", c["money"], "元", care_url)
    goods = s.add("care_goods", "慰问物品折合", c["goods_value"], "元", care_url)
    total = s.add("care_total", "慰问物品、现金合计", c["money_and_goods"], "元", care_url)
    parts = []
    if not people.is_zero or not total.is_zero:
        parts.append(f"走访慰问困难学生、教师等{people.with_unit}，解决问题{matters.with_unit}，"
                     f"提供物品、现金合计{total.with_unit}")
    if not visits.is_zero:
        parts.append(f"党员教师家访{visits.with_unit}，其中{_counts(cats)}")
    if not pairs.is_zero:
        parts.append(f"结成帮教对子{pairs.with_unit}")
    s.sentences.append("本期" + "；".join(parts) + "。" if parts else NO_RECORDS)
    return s


def _dues(org, start, end):
    s = Section("dues", "党费收缴")
    fig = dues.summary(org, start, end)
    b, p, v = fig["bills"], fig["payments"], fig["voluntary"]
    url = link("dues:publication", org=org.pk, year=end.year)
    due = s.add("due", "应缴党费", b["due"], "元", url)
    collected = s.add("collected", "已缴党费", b["collected"], "元", url)
    rate = s.add("rate", "按月收缴率", b["rate"], "%", url)
    owed = s.add("owed", "欠缴党费", b["owed"], "元", link("dues:arrears", org=org.pk))
    received = s.add("received", "期内收缴", p["amount"], "元", link("dues:home", org=org.pk))
    voluntary = s.add("voluntary", "自愿多交党费", v["amount"], "元", url)
    if not b["count"] and received.is_zero and voluntary.is_zero:
        s.sentences.append(NO_RECORDS)
        return s
    text = f"本期应缴党费{due.with_unit}，已缴{collected.with_unit}，按月收缴率{rate.text}%"
    if not owed.is_zero:
        text += f"，尚欠{owed.with_unit}"
    text += f"；期内共收缴党费{received.with_unit}（{p['count']}笔）"
    if not voluntary.is_zero:
        text += f"，另有自愿多交党费{voluntary.with_unit}"
    s.sentences.append(text + "。")
    return s


def _evaluation(org, start, end):
    s = Section("evaluation", "评议考核与任务落实")
    r = review.summary(org, start, end)
    review_url = link("review:home", org=org.pk)
    rounds = s.add("review_rounds", "民主评议", r["rounds_held"], "次", review_url)
    reviewed = s.add("members_reviewed", "参加评议党员", r["members_reviewed"], "人", review_url)
    grades = [s.add(f"grade_{label}", f"评为{label}", n, "人", review_url) for label, n in r["grades"].items()]
    satisfaction = s.add("staff_satisfaction", "教职工满意率",
                         Decimal(r["staff_satisfaction_rate"]) if r["staff_satisfaction_rate"] is not None else None,
                         "%", review_url)
    a = appraisal.summary(org, start, end)
    appraisal_url = link("appraisal:home")
    sessions = s.add("appraisal_sessions", "书记述职评议", a["sessions"], "次", appraisal_url)
    a_grades = [s.add(f"appraisal_{label}", f"述职评议“{label}”", n, "个", appraisal_url)
                for label, n in a["grades"].items()]
    t = tasks.summary(org, start, end)
    task_url = link("tasks:home")
    received = s.add("tasks_received", "承接任务", t["tasks_received"], "项", task_url)
    on_time = s.add("tasks_on_time", "按期完成", t["completed_on_time"], "项", task_url)
    late = s.add("tasks_late", "逾期完成", t["completed_late"], "项", task_url)
    overdue = s.add("tasks_overdue", "逾期未完成", t["overdue"], "项", task_url)
    pledges = s.add("pledges", "签订党建目标责任书", t["pledges_signed"], "份", link("tasks:pledges"))
    e = terms.summary(org, start, end)
    terms_url = link("terms:home")
    elections = s.add("elections", "换届选举", e["held"], "次", terms_url)
    e_overdue = s.add("elections_overdue", "到期未换届", e["overdue"], "个", terms_url)
    parts = []
    if not rounds.is_zero:
        text = f"开展民主评议党员{rounds.with_unit}，{reviewed.with_unit}参加，{_counts(grades) or '尚未评定等次'}"
        if satisfaction.value is not None:
            text += f"，教职工对党组织满意率{satisfaction.text}%"
        parts.append(text)
    if not sessions.is_zero:
        parts.append(f"开展书记抓党建述职评议{sessions.with_unit}" + (
            f"，{_counts(a_grades)}" if _counts(a_grades) else ""))
    if not received.is_zero:
        parts.append(f"承接上级党建任务{received.with_unit}，按期完成{on_time.with_unit}"
                     + (f"、逾期完成{late.with_unit}" if not late.is_zero else "")
                     + (f"，{overdue.with_unit}逾期未完成" if not overdue.is_zero else ""))
    if not pledges.is_zero:
        parts.append(f"签订党建目标责任书{pledges.with_unit}")
    if not elections.is_zero:
        parts.append(f"完成换届选举{elections.with_unit}")
    if not e_overdue.is_zero:
        parts.append(f"{e_overdue.with_unit}党组织到期未换届")
    s.sentences.append("本期" + "；".join(parts) + "。" if parts else NO_RECORDS)
    return s


def _highlights(report_sections):
    """Candidates for 特色亮点: the figures a secretary would pick first (high-level honours, articles on national
    platforms, service person-times, lessons); the secretary rewrites them into the school's own story."""
    s = Section("highlights", "特色亮点")
    by_key = {f.key: f for sec in report_sections for f in sec.figures}
    candidates = [
        ("honours.people_honoured", "{n}名党员获得各级表彰"),
        ("publicity.platform_xuexi", "{n}篇作品在学习强国平台发布"),
        ("activities.person_times", "党员参与志愿服务等活动{v}"),
        ("vanguard.lessons", "党员教师执教示范课、观摩课等{v}"),
        ("care.home_visits", "党员教师家访{v}"),
    ]
    high = sum((by_key[f"honours.people_{lv}"].value or 0) + (by_key[f"honours.orgs_{lv}"].value or 0)
               for lv in HIGH_LEVELS)
    if high:
        f = s.add("high_honours", "区级及以上荣誉", high, "项", by_key["honours.total"].url)
        s.sentences.append(f"获区级及以上荣誉{f.with_unit}；")
    for key, template in candidates:
        f = by_key[key]
        if not f.is_zero:
            s.figures.append(f)
            s.sentences.append(template.format(n=f.text, v=f.with_unit) + "；")
    if s.sentences:
        s.sentences[-1] = s.sentences[-1].rstrip("；") + "。"
    return s


def _problems(org, start, end):
    """存在的问题 from the compliance engine's open findings (逾期 and 即将到期) as of the end of the period (or today,
    for a period not yet over), grouped by rule, each linked to the 问题清单 filtered to that rule."""
    from dangjian.compliance.engine import SEVERITY_ORDER, findings_for
    from dangjian.compliance.rulebook import Severity

    s = Section("problems", "存在的问题")
    on = min(end, timezone.localdate())
    orgs = list(Organisation.objects.subtree_of(org).active(on))
    if not orgs:
        s.sentences.append("本期检查未发现逾期事项。")
        return s, on
    groups = {}
    for f in findings_for(orgs, on=on):
        if f.severity == Severity.INFO:
            continue
        groups.setdefault(f.rule_id, []).append(f)
    ordered = sorted(groups.items(), key=lambda kv: (min(SEVERITY_ORDER[f.severity] for f in kv[1]), -len(kv[1]),
                                                     kv[0]))
    for n, (rule_id, found) in enumerate(ordered, start=1):
        rule = found[0].rule
        overdue = sum(1 for f in found if f.severity == Severity.OVERDUE)
        fig = s.add(rule_id.replace(".", "_"), rule.title, len(found), "项",
                    link("compliance:findings", org=org.pk, on=on, rule=rule_id))
        examples = "；".join(f"{f.org_name}{f.message.rstrip('。')}" for f in found[:EXAMPLES])
        more = "等" if len(found) > EXAMPLES else ""
        state = f"，其中逾期{overdue}项" if overdue and overdue != len(found) else ""
        s.sentences.append(f"{n}.{rule.title}：共{fig.with_unit}{state}。如{examples}{more}。")
    if not s.sentences:
        s.sentences.append(f"截至{on.year}年{on.month}月{on.day}日，按规则检查未发现逾期或即将到期的事项。")
    return s, on


STEPS = 8
AREA_KEYS = ("meetings", "study", "activities", "development", "vanguard", "honours", "publicity", "care", "dues",
             "evaluation")


def collect(org, start, end, progress=None):
    """The report's figures for `org` (with its subtree) and start..end (inclusive). `progress(done, total,
    message)`, when given, is told as each part is counted."""
    steps = STEPS
    say = progress or (lambda done, total, message="": None)
    say(0, steps, "统计组织与党员")
    basic, roster = _basic(org, start, end)
    say(1, steps, "统计组织生活与学习")
    lifefig = life.summary(org, start, end)
    meetings, study = _meetings(org, start, end, lifefig), _study(org, start, end, lifefig)
    say(2, steps, "统计主题党日与服务活动")
    servicefig = service.summary(org, start, end)
    activities = _activities(org, start, end, lifefig, servicefig)
    say(3, steps, "统计发展党员")
    development = _development(org, start, end, roster)
    say(4, steps, "统计先锋作用、荣誉与宣传")
    vfig = vanguard.summary(org, start, end)
    areas = [meetings, study, activities, development, _vanguard(org, start, end, vfig),
             _honours(org, start, end, vfig), _publicity(org, start, end, vfig), _care(org, start, end, servicefig)]
    say(5, steps, "统计党费")
    areas.append(_dues(org, start, end))
    say(6, steps, "统计评议考核与任务")
    areas.append(_evaluation(org, start, end))
    say(7, steps, "检查存在的问题")
    problems, on = _problems(org, start, end)
    sections = [basic, *areas, _highlights(areas), problems]
    return Report(org=org, start=start, end=end, sections=sections, by_month=lifefig["meetings"]["by_month"],
                  findings_on=on)
