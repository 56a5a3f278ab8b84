"""Plain make_* helpers for tests (no factory library)."""

import itertools
from datetime import date

from dangjian.accounts.models import User
from dangjian.core import idnumber
from dangjian.members.models import Person, Status
from dangjian.orgs.models import Organisation, OrgKind, RoleAssignment

_seq = itertools.count(1)

PASSWORD = "Test-pass-2024"


def make_id_number(birth: date, seq=None, female=False):
    seq = next(_seq) if seq is None else seq
    order = (seq * 2 + (0 if female else 1)) % 1000
    body = f"110101{birth:%Y%m%d}{order:03d}"
    return body + idnumber.check_digit(body)


def make_org(parent=None, name=None, kind=None, founded_on=date(2010, 1, 1), unit_name=""):
    n = next(_seq)
    if parent is None:
        return Organisation.objects.add_root(dict(name=name or f"教育工委{n}", kind=kind or OrgKind.WORK_COMMITTEE,
                                                  founded_on=founded_on, unit_name=unit_name))
    parent.refresh_from_db()
    return Organisation.objects.add_child(parent, dict(name=name or f"组织{n}", kind=kind or OrgKind.BRANCH,
                                                       founded_on=founded_on, unit_name=unit_name))


def make_tree():
    """A small district: 工委 → 片区 → 2 schools; school A: 总支 with 2 branches (one with a 党小组)."""
    district = make_org(name="测试区委教育工委", kind=OrgKind.WORK_COMMITTEE)
    area = make_org(district, "第一片区党委", OrgKind.AREA_COMMITTEE)
    school_a = make_org(area, "实验中学党总支", OrgKind.GENERAL_BRANCH, unit_name="实验中学")
    branch_a1 = make_org(school_a, "实验中学第一党支部", OrgKind.BRANCH, unit_name="实验中学")
    branch_a2 = make_org(school_a, "实验中学第二党支部", OrgKind.BRANCH, unit_name="实验中学")
    group_a1 = make_org(branch_a1, "语文组党小组", OrgKind.GROUP, unit_name="实验中学")
    school_b = make_org(area, "城南小学党支部", OrgKind.BRANCH, unit_name="城南小学")
    return {k: Organisation.objects.get(pk=v.pk) for k, v in dict(
        district=district, area=area, school_a=school_a, branch_a1=branch_a1, branch_a2=branch_a2,
        group_a1=group_a1, school_b=school_b).items()}


def make_person(org, name=None, status=Status.FULL, birth=date(1985, 5, 20), gender="M", **extra):
    n = next(_seq)
    person = Person(org=org, name=name or f"党员{n}", gender=gender, birth_date=birth, status=status,
                    joined_on=extra.pop("joined_on", date(2010, 7, 1) if status in (Status.FULL, Status.PROBATIONARY) else None),
                    full_member_on=extra.pop("full_member_on", date(2011, 7, 1) if status == Status.FULL else None),
                    status_since=extra.pop("status_since", date(2011, 7, 1)), **extra)
    person.set_id_number(make_id_number(birth, n, female=gender == "F"))
    person.set_phone(f"139{n:08d}")
    person.save()
    return person


def make_user(username=None, role=None, org=None, admin_role="", person=None, password=PASSWORD):
    n = next(_seq)
    user = User.objects.create_user(username=username or f"user{n}", password=password, admin_role=admin_role)
    if role is not None:
        RoleAssignment.objects.create(user=user, org=org, role=role)
    if person is not None:
        person.user = user
        person.save(update_fields=["user"])
    return user
