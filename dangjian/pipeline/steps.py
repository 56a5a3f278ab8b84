"""The 25 steps of 发展党员 (DOMAIN §2), by stage, and which data each step carries."""

from dataclasses import dataclass


class Stage:
    APPLICANT = 1
    ACTIVIST = 2
    CANDIDATE = 3
    ADMISSION = 4
    PROBATION = 5
    LABELS = {1: "申请入党", 2: "入党积极分子的确定和培养教育", 3: "发展对象的确定和考察",
              4: "预备党员的接收", 5: "预备党员的教育考察和转正"}


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    stage: int
    fields: tuple = ()          # extra inputs shown for this step
    meeting: str = ""           # "" (none) or a Chinese hint of the deciding meeting
    vote_kind: str = ""         # life.Vote.Kind the deciding vote must have
    needs_approval_no: bool = False

    @property
    def circled(self):
        # ①–⑳ are U+2460–U+2473; ㉑–㉕ continue at U+3251.
        return chr(0x2460 + self.number - 1) if self.number <= 20 else chr(0x3251 + self.number - 21)

    @property
    def label(self):
        return f"{self.circled} {self.name}"


STEPS = [
    Step(1, "递交入党申请书", 1),
    Step(2, "党组织派人谈话", 1, fields=("talker", "talker_name")),
    Step(3, "推荐和确定入党积极分子", 2, meeting="支委会（或支部大会）"),
    Step(4, "报上级党委备案", 2, needs_approval_no=True),
    Step(5, "指定培养联系人", 2, fields=("contact_1", "contact_2")),
    Step(6, "培养教育考察", 2),
    Step(7, "确定发展对象", 3, meeting="支委会"),
    Step(8, "报上级党委备案", 3, needs_approval_no=True),
    Step(9, "确定入党介绍人", 3, fields=("sponsor_1", "sponsor_2")),
    Step(10, "进行政治审查", 3, fields=("conclusion",)),
    Step(11, "开展集中培训", 3, fields=("training_days", "training_hours")),
    Step(12, "支部委员会审查", 4, meeting="支委会"),
    Step(13, "上级党委预审", 4, fields=("publicity_start", "publicity_end"), meeting="上级党委会议"),
    Step(14, "填写入党志愿书", 4),
    Step(15, "支部大会讨论", 4, meeting="支部党员大会", vote_kind="admission"),
    Step(16, "上级党委派人谈话", 4, fields=("talker", "talker_name")),
    Step(17, "上级党委审批", 4, meeting="上级党委会议", needs_approval_no=True),
    Step(18, "再上级党委组织部门备案", 4, needs_approval_no=True),
    Step(19, "编入党支部和党小组", 5),
    Step(20, "入党宣誓", 5),
    Step(21, "继续教育考察", 5),
    Step(22, "提出转正申请", 5),
    Step(23, "支部大会讨论", 5, fields=("publicity_start", "publicity_end"), meeting="支部党员大会",
         vote_kind="confirmation"),
    Step(24, "上级党委审批", 5, meeting="上级党委会议", needs_approval_no=True),
    Step(25, "材料归档", 5),
]
BY_NUMBER = {step.number: step for step in STEPS}
REVIEW = 6                     # 培养教育考察: recorded again every half year while an activist
MEETING_STEPS = {s.number for s in STEPS if s.meeting}
APPROVAL_STEPS = {s.number for s in STEPS if s.needs_approval_no}


class BoardStage:
    """The four columns of the pipeline board, from the file's progress."""

    APPLICANT, ACTIVIST, CANDIDATE, PROBATIONARY = "applicant", "activist", "candidate", "probationary"
    CHOICES = ((APPLICANT, "入党申请人"), (ACTIVIST, "入党积极分子"), (CANDIDATE, "发展对象"), (PROBATIONARY, "预备党员"))
    LABELS = dict(CHOICES)


def board_stage(done):
    """The board column of a file whose recorded step numbers are `done`."""
    if 17 in done:
        return BoardStage.PROBATIONARY
    if 7 in done:
        return BoardStage.CANDIDATE
    if 3 in done:
        return BoardStage.ACTIVIST
    return BoardStage.APPLICANT


def next_number(done):
    """The next required step (None when all 25 are recorded)."""
    for step in STEPS:
        if step.number not in done:
            return step.number
    return None


def allowed_numbers(done):
    """The steps that may be recorded now: the next one, plus another 培养教育考察 while an activist."""
    out = []
    nxt = next_number(done)
    if REVIEW in done and 7 not in done:
        out.append(REVIEW)
    if nxt is not None and nxt not in out:
        out.append(nxt)
    return sorted(out)
