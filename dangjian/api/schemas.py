"""Request and response schemas (pydantic, through django-ninja).

Inputs forbid unknown fields and mirror the model limits, so bad input becomes a field-level
Chinese error (422) instead of reaching the database. Outputs never carry a full ID number or phone.
"""

from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

from dangjian.members.models import Education, Gender, Occupation, Status
from dangjian.members.selectors import AGE_BANDS, POSTS, Q_MAX_LENGTH, STATUS_ALL, STATUS_MEMBERS, YEARS_BANDS
from dangjian.orgs.models import CommitteePost, OrgKind, Role
from dangjian.members.services import phone_error

MAX_ID = 2**63 - 1
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 10**9


def _clean_text(value):
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValueError("含有无效的控制字符。")
    return value


def Text(max_length):  # noqa: N802 - reads like a type in the schemas
    return Annotated[str, Field(max_length=max_length), AfterValidator(_clean_text)]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class In(Schema):
    model_config = ConfigDict(extra="forbid")


# --- common ----------------------------------------------------------------------

class ErrorOut(Schema):
    detail: str = Field(..., description="中文说明")
    errors: dict[str, list[str]] = Field(default_factory=dict, description="字段 → 中文信息；整体错误在 __all__")


class Paging(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数（1–{MAX_LIMIT}）")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="跳过的条数")


T = TypeVar("T")


class Page(Schema, Generic[T]):
    count: int = Field(..., description="符合条件的总条数")
    limit: int
    offset: int
    items: list[T]


class Ref(Schema):
    id: int
    name: str


class RecordOut(Schema):
    """The common head of a record owned by an organisation."""

    id: int
    org: Ref
    created_at: datetime
    updated_at: datetime


class DeletedOut(Schema):
    id: int
    deleted: bool


def Choice(choices):  # noqa: N802 - reads like a type in the schemas
    """A Django TextChoices as an inline enum of its values. Enum classes would become document components named
    after the class, and every app has a `Kind`: one would silently replace the others in the API document."""
    return Literal[tuple(choices.values)]


# --- organisations ---------------------------------------------------------------

class OrgOut(Schema):
    id: int
    name: str
    kind: OrgKind
    kind_label: str
    unit_name: str
    code: str
    founded_on: date
    dissolved_on: date | None
    depth: int
    parent_id: int | None = Field(None, description="上级组织（不在您的范围内时为 null）")


class OrgFilters(Schema):
    kind: OrgKind | None = None
    q: Text(50) | None = Field(None, description="名称或单位包含")
    parent: Id | None = Field(None, description="只列出该组织的直接下级")
    include_dissolved: bool = Field(False, description="包含已撤销的组织")


class OrgCreateIn(In):
    parent: Id = Field(..., description="上级组织 id")
    kind: Literal[tuple(k for k in OrgKind.values if k != OrgKind.WORK_COMMITTEE)]  # type: ignore[valid-type]
    name: Text(100)
    unit_name: Text(100) = ""
    code: Text(40) = ""
    founded_on: date


class OrgPatchIn(In):
    name: Text(100) = None
    unit_name: Text(100) = None
    code: Text(40) = None
    founded_on: date = None
    effective_on: date | None = Field(None, description="变更生效日期，默认今天")
    note: Text(200) = ""


class OrgMoveIn(In):
    parent: Id = Field(..., description="新的上级组织 id")
    effective_on: date
    note: Text(200) = ""


class OrgUpgradeIn(In):
    new_name: Text(100) = Field("", description="升格后名称，留空保持原名称")
    effective_on: date
    note: Text(200) = ""


class OrgDissolveIn(In):
    dissolved_on: date
    note: Text(200) = ""


class OrgEventOut(Schema):
    id: int
    kind: str
    kind_label: str
    effective_on: date
    recorded_at: datetime
    actor: str | None
    before: dict
    after: dict
    note: str


class PostOut(Schema):
    id: int
    org: Ref
    person: Ref
    post: CommitteePost.Post
    post_label: str
    started_on: date
    ended_on: date | None


class PostCreateIn(In):
    person: Id
    post: CommitteePost.Post
    started_on: date


class PostEndIn(In):
    ended_on: date


# --- people ----------------------------------------------------------------------

CREATABLE_STATUSES = (Status.FULL, Status.PROBATIONARY, Status.CANDIDATE, Status.ACTIVIST, Status.APPLICANT,
                      Status.NON_MEMBER)
ROSTER_STATUSES = ("", STATUS_MEMBERS, STATUS_ALL, *Status.values)


def _phone(value):
    error = phone_error(value)
    if error:
        raise ValueError(error)
    return value.strip()


Phone = Annotated[str, Field(max_length=20), AfterValidator(_clean_text), AfterValidator(_phone)]


class PersonOut(Schema):
    id: int
    name: str
    gender: Gender
    gender_label: str
    ethnicity: str
    birth_date: date
    education: str
    education_label: str
    occupation: str
    occupation_label: str
    professional_title: str
    is_class_teacher: bool
    is_research_lead: bool
    is_backbone: bool
    is_administrative: bool
    is_mobile: bool
    lost_contact: bool
    id_number_masked: str = Field(..., description="身份证号（前6位和后4位）；完整号码见 POST /api/people/{id}/unmask")
    phone_masked: str
    org: Ref
    group: Ref | None
    status: Status
    status_label: str
    status_since: date | None
    applied_on: date | None
    joined_on: date | None
    full_member_on: date | None
    under_party_probation: bool
    updated_at: datetime


class PersonFilters(Schema):
    org: Id | None = Field(None, description="只列出该组织及其下级的人员")
    status: Literal[ROSTER_STATUSES] = Field(  # type: ignore[valid-type]
        "", description="空：在册人员；members：党员（正式+预备）；all：全部（含已离册）；或某一政治面貌")
    post: Literal[("", *POSTS)] = ""  # type: ignore[valid-type]
    age: Literal[("", *AGE_BANDS)] = ""  # type: ignore[valid-type]
    years: Literal[("", *YEARS_BANDS)] = Field("", description="党龄段")  # type: ignore[valid-type]
    q: Text(Q_MAX_LENGTH) = Field("", description="姓名包含")


class PersonCreateIn(In):
    org: Id = Field(..., description="所在党组织 id（党支部、党总支或党委）")
    group: Id | None = Field(None, description="党小组 id")
    name: Text(50)
    gender: Gender
    ethnicity: Text(20) = "汉族"
    birth_date: date
    id_number: Text(18) = Field("", description="18位身份证号，加密存储")
    phone: Phone = ""
    education: Education | Literal[""] = ""
    occupation: Occupation = Occupation.PROFESSIONAL
    professional_title: Text(30) = ""
    is_class_teacher: bool = False
    is_research_lead: bool = False
    is_backbone: bool = False
    is_administrative: bool = False
    is_mobile: bool = False
    lost_contact: bool = False
    status: Literal[tuple(s.value for s in CREATABLE_STATUSES)]  # type: ignore[valid-type]
    status_since: date | None = None
    applied_on: date | None = None
    joined_on: date | None = None
    full_member_on: date | None = None


class PersonPatchIn(In):
    """Only the fields sent are changed. Status and organisation have their own actions."""

    name: Text(50) = None
    gender: Gender = None
    ethnicity: Text(20) = None
    birth_date: date = None
    id_number: Text(18) = Field(None, description="新的身份证号；空字符串清除")
    phone: Phone = None
    education: Education | Literal[""] = None
    occupation: Occupation = None
    professional_title: Text(30) = None
    is_class_teacher: bool = None
    is_research_lead: bool = None
    is_backbone: bool = None
    is_administrative: bool = None
    is_mobile: bool = None
    lost_contact: bool = None
    group: Id | None = None
    applied_on: date | None = None
    joined_on: date | None = None
    full_member_on: date | None = None


class StatusChangeIn(In):
    status: Status
    effective_on: date
    decided_by: Text(100) = Field("", description="决定机关或会议")
    decision_date: date | None = None
    approval_no: Text(60) = Field("", description="批复/备案文号")
    note: Text(300) = ""


class PersonMoveIn(In):
    org: Id = Field(..., description="转入党组织 id")
    effective_on: date
    note: Text(200) = Field("", description="说明（介绍信编号等）")


class UnmaskOut(Schema):
    id_number: str
    phone: str


class StatusEventOut(Schema):
    id: int
    status: Status
    status_label: str
    previous_status: str
    effective_on: date
    decided_by: str
    decision_date: date | None
    approval_no: str
    note: str
    recorded_at: datetime


class MembershipOut(Schema):
    id: int
    org: Ref
    started_on: date
    ended_on: date | None


# --- roles, me, findings ---------------------------------------------------------

class RoleAssignmentOut(Schema):
    id: int
    user_id: int
    username: str
    display_name: str
    org: Ref
    role: Role
    role_label: str
    granted_at: datetime


class RoleFilters(Schema):
    org: Id | None = Field(None, description="只列出该组织及其下级上的角色")
    role: Role | None = None


class MyRole(Schema):
    org: Ref
    role: Role
    role_label: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    admin_role: str
    admin_role_label: str
    roles: list[MyRole]
    person_id: int | None
    token_name: str
    token_expires_at: datetime | None


class FindingFilters(Schema):
    org: Id | None = Field(None, description="组织 id：检查该组织及其下级（默认：您可见的全部组织）")
    on: date | None = Field(None, description="检查日期，默认今天")


class FindingOut(Schema):
    org: Ref
    subject: str
    rule_id: str
    title: str
    source: str
    tag: str
    severity: str
    severity_label: str
    due_on: date | None
    message: str


class FindingPage(Page[FindingOut]):
    on: date = Field(description="检查日期")
    live: bool = Field(description="true：即时检查；false：范围较大，为 on 日的每日检查结果")


def file_download(errors, what="附件文件"):
    """Keyword arguments of a GET that answers with a file: documented as a binary download under the same status
    code (the int 200) ninja uses — a second "200" key would make the document unreadable to Swagger UI."""
    return {"response": {200: bytes, **errors},
            "openapi_extra": {"responses": {200: {
                "description": f"{what}（作为下载，不在浏览器中打开）",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}}}
