"""Set-up validation of DOMAIN §1 as findings (never crashes): branch size and committee.

Only active 党支部 / 联合党支部 are checked; 党总支, 党委 and 党小组 are not. Thresholds count
正式党员 only (预备党员 excluded), except the size warning, which counts all 党员.
Two aggregate queries whatever the number of branches.
"""

from django.db.models import Count, Q

from dangjian.compliance.engine import Finding
from dangjian.compliance.rulebook import rules_by_id
from dangjian.members.models import PARTY_MEMBER_STATUSES, Person, Status

from .models import BRANCH_KINDS, CommitteePost


def _member_counts(ids):
    """{org_id: {"full": n, "members": n}} for people whose 所在党组织 is one of these branches."""
    return {
        row["org_id"]: row
        for row in Person.objects.filter(org_id__in=ids).values("org_id").annotate(
            full=Count("id", filter=Q(status=Status.FULL)),
            members=Count("id", filter=Q(status__in=PARTY_MEMBER_STATUSES)),
        )
    }


def _committee_seats(ids, on):
    """{org_id: number of people holding a committee post on `on`} (党小组长 excluded)."""
    return dict(
        CommitteePost.objects.filter(org_id__in=ids, post__in=CommitteePost.COMMITTEE_POSTS, started_on__lte=on)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
        .values("org_id").annotate(n=Count("person_id", distinct=True)).values_list("org_id", "n")
    )


def _finding(org, rule_id, message):
    return Finding(org.pk, org.name, org.name, rule_id, rules_by_id()[rule_id].severity, message)


def check_setup(orgs, rulebook, on):
    branches = [o for o in orgs if o.kind in BRANCH_KINDS and not o.is_dissolved]
    if not branches:
        return
    ids = [b.pk for b in branches]
    counts = _member_counts(ids)
    committees = _committee_seats(ids, on)
    for org in branches:
        full = counts.get(org.pk, {}).get("full", 0)
        members = counts.get(org.pk, {}).get("members", 0)
        seats = committees.get(org.pk, 0)

        enabled, params = rulebook.setting(org, "org.branch_min_full")
        if enabled and full < params["min_full"]:
            yield _finding(org, "org.branch_min_full",
                           f"正式党员{full}人，少于{params['min_full']}人，应与其他单位成立联合党支部或挂靠。")

        # A branch "needs a committee" from this many 正式党员 on; below it a 书记 (and 副书记) suffice,
        # so the committee size is only checked where a committee is required.
        committee_enabled, committee_params = rulebook.setting(org, "org.branch_committee_required")
        threshold = committee_params["threshold"]
        if committee_enabled and full >= threshold and seats == 0:
            yield _finding(org, "org.branch_committee_required",
                           f"正式党员{full}人（{threshold}人以上），尚未设立支部委员会。")

        enabled, params = rulebook.setting(org, "org.branch_max_members")
        if enabled and members > params["max_members"]:
            yield _finding(org, "org.branch_max_members",
                           f"党员{members}人，超过{params['max_members']}人，宜分设党支部。")

        enabled, params = rulebook.setting(org, "org.committee_size")
        if enabled and seats and full >= threshold and not (params["min_size"] <= seats <= params["max_size"]):
            yield _finding(org, "org.committee_size",
                           f"支部委员会现有{seats}人，应为{params['min_size']}至{params['max_size']}人。")


CHECKS = [check_setup]
