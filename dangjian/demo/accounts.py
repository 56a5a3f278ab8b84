"""The demo accounts: one per kind of user, all with the same documented password.

The demo is the one place where accounts do not have to change their password at first login.
"""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from .plans import DEMO_ROOT_CODE, DEMO_SEED000_SCHOOL, DEMO_SEED001_BRANCH

DEMO_PASSWORD = "Demo@2024"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    label: str         # 角色 (as shown in the table)
    display_name: str  # "" → the linked person's name
    sees: str          # 能看到什么
    org_code: str = ""
    role: str = ""
    admin_role: str = ""
    person: str = ""   # "secretary": the branch's 书记; "admin": a 党务干事 of the school; "member": a plain member


DEMO_ACCOUNTS = [
    DemoAccount("district_viewer", "区教育工委 · 查看", "区教育工委（查看）",
                "全区所有党组织和党员名册，只读", DEMO_ROOT_CODE, "viewer"),
    DemoAccount("district_admin", "区教育工委 · 组织管理员", "区教育工委组织科",
                "全区所有党组织和党员名册，可新增、修改、转接，可查看完整证件号", DEMO_ROOT_CODE, "org_admin"),
    DemoAccount("area1_secretary", "城区片区党委 · 书记", "城区片区党委书记",
                "城区片区党委及其下属学校（含青山区阳光中学、新华小学）的党组织和党员，可维护", "DEMO-A1", "secretary"),
    DemoAccount("school_admin", "青山区阳光中学党总支 · 党务干事/组织管理员", "",
                "阳光中学党总支及其4个党支部、党小组的党员，可维护", DEMO_SEED000_SCHOOL, "org_admin", person="admin"),
    DemoAccount("branch_secretary", "青山区新华小学党支部 · 书记", "",
                "新华小学党支部（23名党员，14名递交了入党申请书的教师），可维护", DEMO_SEED001_BRANCH, "secretary",
                person="secretary"),
    DemoAccount("discipline", "区教育工委 · 纪检", "区教育工委纪检组",
                "全区所有党组织和党员名册，只读（纪检监督）", DEMO_ROOT_CODE, "discipline"),
    DemoAccount("member", "新华小学党支部 · 党员", "",
                "只能看到本人档案", DEMO_SEED001_BRANCH, "member", person="member"),
    DemoAccount("sysadmin", "系统管理员", "系统管理员", "规则设置（不含党员档案）", admin_role="system"),
    DemoAccount("secadmin", "安全管理员", "安全管理员", "用户、角色、密码和登录锁定（不含党员档案）",
                admin_role="security"),
    DemoAccount("auditor", "审计管理员", "审计管理员", "审计日志（不含党员档案）", admin_role="audit"),
]
USERNAMES = [account.username for account in DEMO_ACCOUNTS]


def _linked_person(account, result, taken):
    """The person a demo account belongs to, chosen deterministically from the built district."""
    from dangjian.orgs.models import CommitteePost

    org = result.orgs[account.org_code]
    posts = {(post.org_code, post.post): post.person_index for post in result.generated.posts}
    holders = {post.person_index for post in result.generated.posts}
    if account.person == "secretary":
        index = posts[(account.org_code, CommitteePost.Post.SECRETARY)]
    else:
        # 党务干事: an administrative full member somewhere in the school; 党员: a teacher of the branch.
        # Neither holds a committee post.
        free = [i for i, p in enumerate(result.generated.people)
                if (p.org_code == org.code or p.org_code.startswith(f"{org.code}-"))
                and p.status == "full" and i not in holders and i not in taken]
        people = result.generated.people
        preferred = [i for i in free if (people[i].is_administrative if account.person == "admin"
                                         else people[i].occupation == "professional")]
        index = (preferred or free)[0]
    taken.add(index)
    return result.people[index]


def create_demo_accounts(result):
    """Create the demo users, their roles and person links. Returns [(account, user, person_or_None)]."""
    from dangjian.accounts.models import User
    from dangjian.members.models import Person
    from dangjian.orgs.models import RoleAssignment

    password = make_password(DEMO_PASSWORD)  # hashed once: the demo accounts share one documented password
    rows, taken = [], set()
    for account in DEMO_ACCOUNTS:
        person = _linked_person(account, result, taken) if account.person else None
        user = User(username=account.username, display_name=account.display_name or person.name,
                    admin_role=account.admin_role, password=password, must_change_password=False)
        rows.append((account, user, person))
    User.objects.bulk_create([user for _, user, _ in rows])
    RoleAssignment.objects.bulk_create([
        RoleAssignment(user=user, org=result.orgs[account.org_code], role=account.role)
        for account, user, _ in rows if account.role
    ])
    for _, user, person in rows:
        if person is not None:
            Person.objects.filter(pk=person.pk).update(user=user)
            person.user = user
    return rows


def accounts_table(rows=None):
    """The account list as a Markdown table (角色, 用户名, 密码, 能看到什么)."""
    lines = ["| 角色 | 用户名 | 密码 | 能看到什么 |", "|---|---|---|---|"]
    people = {account.username: person for account, _, person in rows or []}
    for account in DEMO_ACCOUNTS:
        label = account.label
        person = people.get(account.username)
        if person is not None:
            label += f"（{person.name}）"
        lines.append(f"| {label} | `{account.username}` | `{DEMO_PASSWORD}` | {account.sees} |")
    return "\n".join(lines)

