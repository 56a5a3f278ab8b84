"""Helpers shared by the pipeline tests (no tests here): a branch with a writer and sponsors, a candidate,
and `advance` to record the steps of a file with valid defaults (dates overridable per step)."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from dangjian.life.models import Meeting, Vote
from dangjian.members.models import Status
from dangjian.orgs.models import Role
from dangjian.pipeline import services
from dangjian.pipeline.models import DevelopmentStep
from tests.factories import make_person, make_user


class World:
    def __init__(self, tree):
        self.tree = tree
        self.branch = tree["branch_a1"]
        self.writer = make_user(role=Role.SECRETARY, org=tree["school_a"])
        self.sponsor_1 = make_person(self.branch, name="介绍人甲")
        self.sponsor_2 = make_person(self.branch, name="介绍人乙")

    def candidate(self, name="申请人", birth=date(1995, 3, 15), org=None):
        return make_person(org or self.branch, name=name, status=Status.NON_MEMBER, birth=birth,
                           status_since=date(2015, 1, 1))

    def open(self, applied_on, person=None, **kw):
        return services.file_open(actor=self.writer, person=person or self.candidate(), applied_on=applied_on, **kw)

    def meeting(self, d, type="assembly", org=None):
        return Meeting.objects.create(org=org or self.branch, type=type, status=Meeting.Status.HELD,
                                      theme=f"会议{d}", date=d)

    def vote(self, meeting, kind=Vote.Kind.ADMISSION, passed=True, person=None):
        return Vote.objects.create(meeting=meeting, kind=kind, subject="表决", subject_person=person,
                                   voters_due=5, voters_present=5, yes=5 if passed else 2, no=0 if passed else 3,
                                   abstain=0, quorum_met=True, passed=passed)

    def data(self, file, number, d):
        """Valid evidence for step `number` on date `d`."""
        if number in (2, 16):
            return {"talker": self.sponsor_1} if number == 2 else {"talker_name": "上级党委组织员"}
        if number == 5:
            return {"contact_1": self.sponsor_1, "contact_2": self.sponsor_2}
        if number == 9:
            return {"sponsor_1": self.sponsor_1, "sponsor_2": self.sponsor_2}
        if number == 10:
            return {"conclusion": "政治审查合格"}
        if number == 11:
            return {"training_days": 3, "training_hours": 24}
        out = {}
        if number in (13, 23):
            out.update(publicity_start=d - timedelta(days=8), publicity_end=d - timedelta(days=1))
        if number in (4, 8, 17, 18, 24):
            out["approval_no"] = f"备字〔{d.year}〕{number}号"
        if number in (15, 23):
            meeting = self.meeting(d)
            kind = Vote.Kind.ADMISSION if number == 15 else Vote.Kind.CONFIRMATION
            out.update(meeting=meeting, vote=self.vote(meeting, kind, person=file.person))
        return out

    def record(self, file, number, d, **extra):
        data = {**self.data(file, number, d), **extra}
        return services.step_record(actor=self.writer, file=file, number=number, date=d, **data)


def default_dates(applied_on):
    """A timeline that keeps every rule: talk after 10 days, activist after a month, reviews every 5 months,
    发展对象 a year after becoming an activist, admission and approval a month apart, 转正 at the 预备期 end."""
    a = applied_on
    activist = a + relativedelta(months=1)
    candidate = activist + relativedelta(months=12)
    assembly = candidate + relativedelta(months=3)
    end = assembly + relativedelta(years=1)
    return {
        2: a + timedelta(days=10), 3: activist, 4: activist + timedelta(days=3), 5: activist + timedelta(days=5),
        6: activist + relativedelta(months=5), "6b": activist + relativedelta(months=10),
        7: candidate, 8: candidate + timedelta(days=3), 9: candidate + timedelta(days=5),
        10: candidate + timedelta(days=20), 11: candidate + timedelta(days=40), 12: candidate + timedelta(days=60),
        13: candidate + timedelta(days=75), 14: candidate + timedelta(days=80), 15: assembly,
        16: assembly + timedelta(days=5), 17: assembly + relativedelta(months=1),
        18: assembly + relativedelta(months=1, days=10),
        19: assembly + relativedelta(months=1, days=11), 20: assembly + relativedelta(months=1, days=12),
        21: assembly + relativedelta(months=6), 22: end - relativedelta(months=1), 23: end,
        24: end + relativedelta(months=1), 25: end + relativedelta(months=1, days=5),
    }


def advance(world, file, upto, dates=None, start=None):
    """Record every step after the last recorded one up to `upto` (inclusive), with default dates."""
    base = default_dates(file.applied_on)
    base.update(dates or {})
    done = set(DevelopmentStep.objects.filter(file=file).values_list("number", flat=True))
    for number in range(2, upto + 1):
        if number in done:
            continue
        world.record(file, number, base[number])
        if number == 6 and base.get("6b") is not None:
            world.record(file, 6, base["6b"])
    file.refresh_from_db()
    return file
