"""Pure rule logic over a file and its recorded steps: rule violations for a step about to be recorded,
and the file's next legal deadline. No queries here: callers pass the loaded rows and the rule settings —
except the working days of a 公示 (steps ⑬ and ㉓), counted with one query to the holiday calendar unless the
caller passes a loaded `workdays.calendar.Calendar`."""

from dataclasses import dataclass
from datetime import date

from dangjian.members.models import Status
from dangjian.workdays.calendar import Calendar

from . import rules as R
from .steps import BY_NUMBER, REVIEW, allowed_numbers, next_number


@dataclass(frozen=True)
class Violation:
    rule: object
    message: str

    @property
    def text(self):
        return f"{self.message}（{self.rule.title}；依据：{self.rule.source}）"


@dataclass(frozen=True)
class Deadline:
    label: str
    due_on: date
    rule: object

    def days_left(self, on):
        return (self.due_on - on).days


class Settings:
    """Effective (enabled, params) of the pipeline rules at one organisation (compliance Rulebook)."""

    def __init__(self, rulebook, org):
        self._rulebook, self._org = rulebook, org

    def get(self, rule):
        """The params of an enabled rule, or None when the organisation switched it off."""
        if self._rulebook is None:
            return dict(rule.params) if rule.enabled else None
        enabled, params = self._rulebook.setting(self._org, rule.id)
        return params if enabled else None


def dates_by_number(steps):
    out = {}
    for step in steps:
        out.setdefault(step.number, []).append(step.date)
    return out


def first(steps, number):
    return next((s for s in steps if s.number == number), None)


def review_dates(steps):
    """Dates that start a review interval: the 确定积极分子 date and each 培养教育考察."""
    return sorted(s.date for s in steps if s.number in (3, REVIEW))


def probation_end_of(file, steps):
    assembly = first(steps, 15)
    if assembly is None:
        return None
    return R.probation_end(assembly.date, file.extension_months)


def _member_ok(person):
    return person is not None and person.status == Status.FULL and not person.under_party_probation


def _who(person):
    return f"{person.name}（{person.get_status_display()}{'，留党察看' if person.under_party_probation else ''}）"


def publicity_length(start, end, params, calendar=None):
    """(length, unit label) of a 公示 from start to end inclusive under the rule's params."""
    if params.get("unit", R.WORKING) == R.CALENDAR:
        return (end - start).days + 1, "天"
    calendar = calendar if calendar is not None else Calendar.load(start, end)
    return calendar.count(start, end), "个工作日"


def violations(file, steps, number, data, settings, calendar=None):
    """The rules a step would break: [Violation]. `data` holds the step's cleaned values."""
    out = []
    when = data["date"]
    steps = sorted(steps, key=lambda s: (s.date, s.number))

    def check(rule, broken, message):
        if broken and settings.get(rule) is not None:
            out.append(Violation(rule, message))

    if number == 1:
        params = settings.get(R.MIN_AGE)
        if params is not None:
            age = R.age_on(file.person.birth_date, when)
            check(R.MIN_AGE, age < params["years"], f"递交申请书时{file.person.name}未满{params['years']}周岁（{age}岁）")
    elif number == 2:
        params = settings.get(R.TALK)
        if params is not None:
            due = R.add_months(file.applied_on, params["months"])
            check(R.TALK, when > due, f"谈话日期晚于期限 {due:%Y-%m-%d}")
    elif number == 5:
        bad = [_who(p) for p in (data.get("contact_1"), data.get("contact_2")) if p is not None and not _member_ok(p)]
        check(R.CONTACTS, bool(bad), f"培养联系人须为正式党员：{'、'.join(bad)}")
    elif number in (REVIEW, 7):
        params = settings.get(R.REVIEW)
        previous = [d for d in review_dates(steps) if d <= when]
        if params is not None and previous:
            due = R.add_months(previous[-1], params["months"])
            check(R.REVIEW, when > due, f"距上次考察（{previous[-1]:%Y-%m-%d}）超过{params['months']}个月，应在 {due:%Y-%m-%d} 前考察")
        if number == 7:
            params = settings.get(R.ACTIVIST_YEAR)
            activist = first(steps, 3)
            if params is not None and activist is not None:
                allowed = R.add_months(activist.date, params["months"])
                check(R.ACTIVIST_YEAR, when < allowed,
                      f"确定为入党积极分子（{activist.date:%Y-%m-%d}）未满一年，{allowed:%Y-%m-%d} 起方可确定为发展对象")
    elif number == 9:
        bad = [_who(p) for p in (data.get("sponsor_1"), data.get("sponsor_2")) if p is not None and not _member_ok(p)]
        check(R.SPONSORS, bool(bad), f"入党介绍人须为正式党员且未受留党察看处分：{'、'.join(bad)}")
    elif number == 11:
        params = settings.get(R.TRAINING)
        if params is not None:
            days, hours = data.get("training_days") or 0, data.get("training_hours") or 0
            check(R.TRAINING, days < params["days"] and hours < params["hours"],
                  f"集中培训{days}天、{hours}学时，不足{params['days']}天或{params['hours']}学时")
    elif number == 12:
        review = first(steps, 10)
        check(R.POLITICAL, review is None or not review.conclusion.strip(), "政治审查没有书面结论")
    if number in (13, 23):
        params = settings.get(R.PUBLICITY)
        start, end = data.get("publicity_start"), data.get("publicity_end")
        if params is not None:
            if not (start and end):
                check(R.PUBLICITY, True, "未登记公示起止日期")
            else:
                length, unit = publicity_length(start, end, params, calendar)
                check(R.PUBLICITY, length < params["days"],
                      f"公示{start:%Y-%m-%d}至{end:%Y-%m-%d}共{length}{unit}，不足{params['days']}{unit}")
                check(R.PUBLICITY, end > when, f"公示结束（{end:%Y-%m-%d}）晚于本步骤日期")
    if number in (15, 23):
        check(R.ADMISSION_VOTE, data.get("vote") is None, "未关联支部大会的表决结果")
    if number == 17:
        params = settings.get(R.APPROVAL)
        assembly = first(steps, 15)
        if params is not None and assembly is not None:
            due = R.add_months(assembly.date, params["months"])
            check(R.APPROVAL, when > due, f"审批日期超过支部大会（{assembly.date:%Y-%m-%d}）后{params['months']}个月（{due:%Y-%m-%d}）")
    if number == 23:
        end = probation_end_of(file, steps)
        check(R.CONFIRMATION_TIMING, end is not None and when < end, f"预备期 {end:%Y-%m-%d} 期满，期满前不讨论转正"
              if end else "")
    if number == 24:
        params = settings.get(R.CONFIRMATION_APPROVAL)
        meeting = first(steps, 23)
        if params is not None and meeting is not None:
            due = R.add_months(meeting.date, params["months"])
            check(R.CONFIRMATION_APPROVAL, when > due,
                  f"审批日期超过转正支部大会（{meeting.date:%Y-%m-%d}）后{params['months']}个月（{due:%Y-%m-%d}）")
    return out


def approval_hard_limit(steps, settings):
    """The last date the 上级党委 may approve (6 months after the 支部大会), or None."""
    assembly = first(steps, 15)
    params = settings.get(R.APPROVAL) or dict(R.APPROVAL.params)
    return R.add_months(assembly.date, params["max_months"]) if assembly else None


def deadline(file, steps, settings):
    """The file's next legal deadline, or None while the next step has none."""
    if file.state != file.State.OPEN:
        return None
    done = {s.number for s in steps}
    nxt = next_number(done)
    if nxt is None:
        return None
    if nxt == 2:
        params = settings.get(R.TALK)
        if params is not None:
            return Deadline("派人谈话", R.add_months(file.applied_on, params["months"]), R.TALK)
        return None
    if 3 in done and 7 not in done:
        params = settings.get(R.REVIEW)
        if params is not None:
            return Deadline("培养教育考察（每半年）", R.add_months(review_dates(steps)[-1], params["months"]), R.REVIEW)
        return None
    if 15 in done and 17 not in done:
        params = settings.get(R.APPROVAL)
        if params is not None:
            return Deadline("上级党委审批", R.add_months(first(steps, 15).date, params["months"]), R.APPROVAL)
        return None
    if 17 in done and 23 not in done:
        return Deadline("预备期满，讨论转正", probation_end_of(file, steps), R.PROBATION)
    if 23 in done and 24 not in done:
        params = settings.get(R.CONFIRMATION_APPROVAL)
        if params is not None:
            return Deadline("转正审批", R.add_months(first(steps, 23).date, params["months"]), R.CONFIRMATION_APPROVAL)
    return None


def next_steps(steps):
    return [BY_NUMBER[n] for n in allowed_numbers({s.number for s in steps})]
