"""Set-up validation of DOMAIN §1 as findings (never crashes): branch size and committee."""

from django.db.models import Count, Q

from dangjian.compliance.engine import Finding
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person, Status

from .models import BRANCH_KINDS, CommitteePost


def check_setup(orgs, rulebook, on):
    branches = [o for o in orgs if o.kind in BRANCH_KINDS and not o.is_dissolved]
    if not branches:
        return
    ids = [b.pk for b in branches]
    counts = {
        row["org_id"]: row
        for row in Person.objects.filter(org_id__in=ids).values("org_id").annotate(
            full=Count("id", filter=Q(status=Status.FULL)),
            members=Count("id", filter=Q(status__in=PARTY_MEMBER_STATUSES)),
        )
    }
    committees = dict(
        CommitteePost.objects.filter(org_id__in=ids, ended_on__isnull=True,
                                     post__in=CommitteePost.COMMITTEE_POSTS, started_on__lte=on)
        .values("org_id").annotate(n=Count("person_id", distinct=True)).values_list("org_id", "n")
    )
    for org in branches:
        full = counts.get(org.pk, {}).get("full", 0)
        members = counts.get(org.pk, {}).get("members", 0)
        seats = committees.get(org.pk, 0)

        def finding(rule_id, message):
            rule = rulebook_rule(rule_id)
            return Finding(org.pk, org.name, org.name, rule_id, rule.severity, message)

        enabled, params = rulebook.setting(org, "org.branch_min_full")
        if enabled and full < params["min_full"]:
            yield finding("org.branch_min_full",
                          f"正式党员{full}人，少于{params['min_full']}人，应与其他单位成立联合党支部或挂靠。")
        enabled, params = rulebook.setting(org, "org.branch_committee_required")
        if enabled and full >= params["threshold"] and seats == 0:
            yield finding("org.branch_committee_required",
                          f"正式党员{full}人（{params['threshold']}人以上），尚未设立支部委员会。")
        enabled, params = rulebook.setting(org, "org.branch_max_members")
        if enabled and members > params["max_members"]:
            yield finding("org.branch_max_members",
                          f"党员{members}人，超过{params['max_members']}人，宜分设党支部。")
        enabled, params = rulebook.setting(org, "org.committee_size")
        if enabled and seats and full >= 7 and not (params["min_size"] <= seats <= params["max_size"]):
            yield finding("org.committee_size",
                          f"支部委员会现有{seats}人，应为{params['min_size']}至{params['max_size']}人。")


def rulebook_rule(rule_id):
    from dangjian.compliance.rulebook import RULES_BY_ID

    return RULES_BY_ID[rule_id]
