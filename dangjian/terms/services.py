"""Writes of the terms app: record an election (refused with the rule when it breaks one), assign the
committee's posts, approve (writes orgs.CommitteePost, ending the previous term's seats), delete before
approval, request and approve a term extension. Every write is audited in its own transaction.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.compliance.engine import Rulebook
from dangjian.compliance.rulebook import rules_by_id
from dangjian.core import audit, scoping
from dangjian.life.services import VOTE_RULES, _members_on, has_vote
from dangjian.members.models import Person
from dangjian.orgs import services as org_services
from dangjian.orgs.models import CommitteePost

from . import rules
from .models import ELECTING_KINDS, Candidate, Election, TermExtension
from .selectors import extension_limit, term_end, term_years

ELECTION = VOTE_RULES["election"]
ELECTOR_RULE = "选条 第五条：有选举权的是正式党员；预备党员和受留党察看处分的党员没有选举权和被选举权"
QUORUM_RULE = "选条 第五条：有选举权的到会人数须超过应到会人数的五分之四"
WIN_RULE = "选条 第五条：被选举人获得的赞成票超过实到会有选举权人数的一半，始得当选"
TIE_RULE = "选条：得票数相等不能确定当选人时，应就票数相等的被选举人重新投票"


def _require_write(actor, org):
    if actor is not None and not scoping.can_write(actor, org):
        raise PermissionDenied("您没有为该组织登记换届选举的权限")


def minimum_candidates(seats, percent):
    """Candidates needed for a 差额 election: more than seats by `percent` %, rounded up
    (5 seats, 20 % → 6; 3 seats → 3.6 → 4; 1 seat → 2)."""
    return max(seats + 1, -(-seats * (100 + percent) // 100))


def electors(org, on):
    """The people with a vote in `org` on `on`: its 正式党员 then (history-aware, the same roster as meeting
    votes in dangjian.life), not under 留党察看."""
    return [p for p in _members_on(org, on).order_by("name", "id") if has_vote(p, on)]


@dataclass(frozen=True)
class Outcome:
    winners: list        # indexes into the votes list, in order of votes
    note: str


def count_votes(*, seats, due, present, ballots_cast, invalid, blank, votes, method, percent=20,
                competitive_required=True, override_reason=""):
    """Check an election's figures against the rules and compute the winners; raise ValidationError naming the
    rule for anything that breaks one. `votes`: the yes votes of each candidate."""
    errors = {}
    for name, value in dict(seats=seats, electors_present=present, ballots_cast=ballots_cast,
                            invalid_ballots=invalid, blank_ballots=blank).items():
        if value is None or value < 0:
            errors[name] = "须为不小于0的整数。"
    if any(v is None or v < 0 for v in votes):
        errors["candidates"] = "得票数须为不小于0的整数。"
    if errors:
        raise ValidationError(errors)
    if seats < 1:
        raise ValidationError({"seats": "应选名额至少为1名。"})
    if due <= 0:
        raise ValidationError(f"选举日本组织没有有选举权的正式党员，不能进行选举（{ELECTOR_RULE}）。")
    if present > due:
        raise ValidationError({"electors_present": f"实到有选举权人数（{present}）超过应到人数（{due}）：预备党员和受留党察看"
                                                   f"处分的党员不能计入选举人（{ELECTOR_RULE}）。"})
    if not ELECTION.quorum.met(present, due):
        need = due * ELECTION.quorum.num // ELECTION.quorum.den + 1
        raise ValidationError({"electors_present": f"到会人数不足，选举无效：应到{due}人，实到{present}人，须至少{need}人"
                                                   f"（{QUORUM_RULE}，恰好五分之四不够）。"})
    if ballots_cast > present:
        raise ValidationError({"ballots_cast": f"收回选票数（{ballots_cast}）多于实到有选举权人数（{present}），计票不符。"})
    if invalid + blank > ballots_cast:
        raise ValidationError({"invalid_ballots": f"无效票与空白票之和（{invalid + blank}）多于收回选票数（{ballots_cast}），"
                                                  f"计票不符。"})
    if not votes:
        raise ValidationError({"candidates": "请填写候选人及其得票数。"})
    valid = ballots_cast - invalid
    marked = valid - blank
    for i, v in enumerate(votes):
        if v > marked:
            raise ValidationError({"candidates": f"第{i + 1}名候选人的得票数（{v}）多于填写了选举人的有效票数（{marked}），"
                                                 f"计票不符。"})
    if sum(votes) > marked * seats:
        raise ValidationError({"candidates": f"得票总数（{sum(votes)}）多于有效选票所能投出的票数（{marked}张×应选{seats}名），"
                                             f"计票不符。"})
    if len(votes) < seats:
        raise ValidationError({"candidates": f"候选人数（{len(votes)}）少于应选名额（{seats}）。"})
    need = minimum_candidates(seats, percent)
    competitive = method == Election.Method.COMPETITIVE
    if competitive and len(votes) == seats:
        raise ValidationError({"method": "候选人数等于应选名额，属于等额选举，请选择“等额选举”。"})
    short = len(votes) < need or not competitive
    if competitive_required and short and not (override_reason or "").strip():
        raise ValidationError({"candidates": f"差额选举的候选人数应多于应选人数{percent}%（应选{seats}名，按应选人数×"
                                             f"{100 + percent}%向上取整，至少{need}名候选人；现为{len(votes)}名）"
                                             f"（选条 第十条）。确因特殊情况未实行差额的，请填写说明。"})
    # Winners: yes > ½ of electors present, in order of votes, up to the seats.
    order = sorted(range(len(votes)), key=lambda i: -votes[i])
    qualified = [i for i in order if ELECTION.passing.met(votes[i], present)]
    winners = qualified[:seats]
    notes = [f"应到{due}人，实到{present}人（超过五分之四）；收回选票{ballots_cast}张，有效{valid}张。",
             f"得票须超过实到人数的一半（{present // 2 + 1}票及以上）方能当选。"]
    if len(qualified) > seats and votes[qualified[seats]] == votes[winners[-1]]:
        tied = votes[winners[-1]]
        winners = [i for i in winners if votes[i] > tied]
        notes.append(f"第{len(winners) + 1}名起得票相等（{tied}票），不能确定当选人，须就票数相等的被选举人重新投票"
                     f"（{TIE_RULE}）。")
    if len(winners) < seats:
        notes.append(f"当选{len(winners)}名，少于应选名额{seats}名，不足名额可另行选举或减少名额。")
    if short and (override_reason or "").strip():
        notes.append(f"未达到差额比例（应至少{need}名候选人），说明：{override_reason.strip()}")
    return Outcome(winners, "".join(notes))


def _snapshot(election):
    return {"org": election.org.name, "held_on": election.held_on.isoformat(), "method": election.get_method_display(),
            "seats": election.seats, "electors_due": election.electors_due,
            "electors_present": election.electors_present, "ballots_cast": election.ballots_cast,
            "invalid_ballots": election.invalid_ballots, "blank_ballots": election.blank_ballots,
            "status": election.get_status_display(),
            "candidates": [{"person": c.person.name, "votes": c.votes, "elected": c.elected,
                            "post": c.get_post_display()} for c in election.candidates.select_related("person")]}


def _default_post(seats, elected):
    """A single seat is the 书记 (a branch below 7 正式党员); otherwise 委员 until the posts are assigned."""
    if not elected:
        return ""
    return CommitteePost.Post.SECRETARY if seats == 1 else CommitteePost.Post.MEMBER


@transaction.atomic
def election_record(*, actor, org, held_on, method, seats, electors_present, ballots_cast, candidates,
                    invalid_ballots=0, blank_ballots=0, override_reason="", note=""):
    """`candidates`: [(Person, yes votes)]. The electors due are computed from the records on `held_on`."""
    _require_write(actor, org)
    if org.kind not in ELECTING_KINDS:
        raise ValidationError(f"{org.get_kind_display()}不进行换届选举。")
    if org.is_dissolved:
        raise ValidationError("该组织已撤销。")
    if held_on is None:
        raise ValidationError({"held_on": "请填写选举日期。"})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "选举日期不能晚于今天。"})
    if held_on < org.founded_on:
        raise ValidationError({"held_on": "选举日期不能早于组织成立日期。"})
    if method not in Election.Method.values:
        raise ValidationError({"method": "请选择选举方式。"})
    if Election.objects.filter(org=org, held_on=held_on).exists():
        raise ValidationError({"held_on": ValidationError("该组织在这一天已有选举记录。", code="conflict")})
    if len((override_reason or "").strip()) > 200 or len((note or "").strip()) > 300:
        raise ValidationError({"override_reason": "说明不能超过200字，备注不能超过300字。"})
    people = [p for p, _ in candidates]
    if len({p.pk for p in people}) != len(people):
        raise ValidationError({"candidates": "同一候选人不能重复列入。"})
    voters = electors(org, held_on)
    voter_ids = {p.pk for p in voters}
    for person in people:
        if person.pk not in voter_ids:
            raise ValidationError({"candidates": f"{person.name}不是本组织在选举日有被选举权的正式党员，不能作为候选人"
                                                 f"（{ELECTOR_RULE}）。"})
    rulebook = Rulebook([org])
    required, params = rulebook.setting(org, rules.COMPETITIVE)
    outcome = count_votes(seats=seats, due=len(voters), present=electors_present, ballots_cast=ballots_cast,
                          invalid=invalid_ballots, blank=blank_ballots, votes=[v for _, v in candidates],
                          method=method, percent=params["percent"], competitive_required=required,
                          override_reason=override_reason)
    election = Election(org=org, held_on=held_on, method=method, seats=seats, electors_due=len(voters),
                        electors_present=electors_present, ballots_cast=ballots_cast, invalid_ballots=invalid_ballots,
                        blank_ballots=blank_ballots, override_reason=(override_reason or "").strip(),
                        result_note=outcome.note, note=(note or "").strip(),
                        created_by=actor if actor is not None and actor.is_authenticated else None)
    election.full_clean()
    election.save()
    rank = {index: n + 1 for n, index in enumerate(outcome.winners)}
    Candidate.objects.bulk_create([
        Candidate(election=election, person=person, votes=votes, elected=i in rank, rank=rank.get(i),
                  post=_default_post(seats, i in rank))
        for i, (person, votes) in enumerate(candidates)])
    audit.record(actor=actor, event=audit.Event.CREATE, obj=election, changes={"after": _snapshot(election)})
    return election


def _lock(election):
    return Election.objects.select_for_update().select_related("org").get(pk=election.pk)


def party_age_start(person):
    """The day 党龄 counts from: 转正 (the 预备期 end date); for a 正式党员 without it, one year after 入党."""
    if person.full_member_on:
        return person.full_member_on
    if person.status == "full" and person.joined_on:
        from dateutil.relativedelta import relativedelta

        return person.joined_on + relativedelta(years=1)
    return None


def _check_secretary_party_age(election, people):
    """Refuse a 书记 whose 党龄 on the election date is under the rule's years (支条 第二十三条)."""
    from dateutil.relativedelta import relativedelta

    enabled, params = Rulebook([election.org]).setting(election.org, rules.SECRETARY_PARTY_AGE)
    if not enabled:
        return
    rule = rules_by_id()[rules.SECRETARY_PARTY_AGE]
    for person in people:
        start = party_age_start(person)
        if start is None or start + relativedelta(years=params["years"]) > election.held_on:
            since = f"党龄自{start:%Y年%m月%d日}起算" if start else "尚无党龄（未转正）"
            raise ValidationError({"posts": f"{person.name}不能担任书记：{since}，至选举日（{election.held_on:%Y年%m月%d日}）"
                                            f"不满{params['years']}年。规则：{rule.title}（{rule.source}）。"})


def _require_pending(election):
    if election.is_approved:
        raise ValidationError("该选举结果已批复，不能再修改或删除。")


@transaction.atomic
def election_posts_set(*, actor, election, posts):
    """`posts`: {candidate id: post} for the winners (书记, 副书记, 组织/宣传/纪检委员, 委员)."""
    election = _lock(election)
    _require_write(actor, election.org)
    _require_pending(election)
    winners = {c.pk: c for c in election.candidates.filter(elected=True).select_related("person")}
    allowed = {v for v, _ in Candidate._meta.get_field("post").choices if v}
    if set(posts) != set(winners):
        raise ValidationError({"posts": "须为每一名当选人确定分工。"})
    if any(post not in allowed for post in posts.values()):
        raise ValidationError({"posts": "分工职务无效。"})
    secretaries = sum(1 for post in posts.values() if post == CommitteePost.Post.SECRETARY)
    if secretaries != 1:
        raise ValidationError({"posts": f"书记须为1人（现为{secretaries}人）。"})
    _check_secretary_party_age(election, [winners[pk].person for pk, post in posts.items()
                                          if post == CommitteePost.Post.SECRETARY])
    before = {c.person.name: c.get_post_display() for c in winners.values()}
    for pk, post in posts.items():
        winners[pk].post = post
    Candidate.objects.bulk_update(winners.values(), ["post"])
    after = {c.person.name: c.get_post_display() for c in winners.values()}
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=election, object_repr=f"委员分工：{election}",
                 changes=audit.diff(before, after))
    return election


@transaction.atomic
def election_approve(*, actor, election, approval_authority, approval_no, approved_on):
    """书记、副书记 are approved by the higher organisation, 委员 are filed (支条 第二十一条). On approval the
    previous term's seats end and the new committee takes its seats, both on the approval date."""
    election = _lock(election)
    org = election.org
    _require_write(actor, org)
    _require_pending(election)
    _check_approval(approval_authority, approval_no, approved_on, election.held_on, "批复")
    if Election.objects.filter(org=org, held_on__gt=election.held_on).exists():
        raise ValidationError("该组织已有更晚的选举记录，不能再批复这次选举。")
    winners = list(election.candidates.filter(elected=True).select_related("person"))
    if not winners:
        raise ValidationError("本次选举没有当选人，不能批复。")
    if sum(1 for c in winners if c.post == CommitteePost.Post.SECRETARY) != 1:
        raise ValidationError({"posts": "请先确定书记人选（书记须为1人）。"})
    _check_secretary_party_age(election, [c.person for c in winners if c.post == CommitteePost.Post.SECRETARY])
    ended = []
    for seat in (CommitteePost.objects.filter(org=org, ended_on__isnull=True, post__in=CommitteePost.COMMITTEE_POSTS)
                 .select_related("person", "org")):
        org_services.committee_post_end(actor=actor, seat=seat, ended_on=approved_on)
        ended.append(seat.person.name)
    for c in sorted(winners, key=lambda c: c.rank or 0):
        org_services.committee_post_add(actor=actor, org=org, person=c.person, post=c.post, started_on=approved_on)
    _approve(election, Election.Status.APPROVED, approval_authority, approval_no, approved_on)
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=election, object_repr=f"批复：{election}",
                 changes={"after": {"status": election.get_status_display(), "approval_authority":
                                    election.approval_authority, "approval_no": election.approval_no,
                                    "approved_on": approved_on.isoformat()},
                          "seats_ended": ended,
                          "seats_started": {c.person.name: c.get_post_display() for c in winners}})
    return election


@transaction.atomic
def election_delete(*, actor, election):
    election = _lock(election)
    _require_write(actor, election.org)
    _require_pending(election)
    snapshot = _snapshot(election)
    repr_, pk = str(election), election.pk
    election.delete()
    audit.record(actor=actor, event=audit.Event.DELETE, object_type="terms.election", object_id=str(pk),
                 object_repr=repr_, changes={"before": snapshot})


def _check_approval(authority, number, on, held_on, verb):
    """The higher organisation's decision: who, which document, when (not before the election, not in the future)."""
    errors = {}
    if not (authority or "").strip():
        errors["approval_authority"] = f"请填写{verb}机关。"
    if not (number or "").strip():
        errors["approval_no"] = f"请填写{verb}文号（须经上级党组织{verb}）。"
    if on is None:
        errors["approved_on"] = f"请填写{verb}日期。"
    elif on < held_on:
        errors["approved_on"] = f"{verb}日期不能早于选举日期。"
    elif on > timezone.localdate():
        errors["approved_on"] = f"{verb}日期不能晚于今天。"
    if errors:
        raise ValidationError(errors)


def _approve(obj, status, authority, number, on):
    obj.status = status
    obj.approval_authority = authority.strip()
    obj.approval_no = number.strip()
    obj.approved_on = on
    obj.full_clean()
    obj.save(update_fields=["status", "approval_authority", "approval_no", "approved_on"])


def _latest(org):
    return Election.objects.filter(org=org).order_by("-held_on", "-id").first()


@transaction.atomic
def extension_request(*, actor, election, extended_to, reason):
    """Ask the higher organisation to extend the current term to `extended_to` (≤ 1 year beyond its end)."""
    election = _lock(election)
    org = election.org
    _require_write(actor, org)
    latest = _latest(org)
    if latest is None or latest.pk != election.pk:
        raise ValidationError("只能为本组织现任一届（最近一次选举）申请延期换届。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写延期理由。"})
    if len(reason) > 300:
        raise ValidationError({"reason": "延期理由不能超过300字。"})
    rulebook = Rulebook([org])
    end = term_end(election.held_on, term_years(rulebook, org))
    limit = extension_limit(end, rulebook, org)
    if extended_to is None:
        raise ValidationError({"extended_to": "请填写延期至的日期。"})
    if extended_to <= end:
        raise ValidationError({"extended_to": f"延期至的日期须晚于本届任期届满日（{end:%Y-%m-%d}）。"})
    if extended_to > limit:
        _, params = rulebook.setting(org, rules.EXTENSION_MAX)
        raise ValidationError({"extended_to": f"延期换届一般不超过{params['months']}个月，最迟至{limit:%Y-%m-%d}"
                                              f"（选条 第三条）。"})
    if election.extensions.filter(status=TermExtension.Status.REQUESTED).exists():
        raise ValidationError(ValidationError("本届已有待批准的延期申请。", code="conflict"))
    extension = TermExtension.objects.create(org=org, election=election, extended_to=extended_to, reason=reason,
                                             created_by=actor if actor is not None and actor.is_authenticated
                                             else None)
    audit.record(actor=actor, event=audit.Event.CREATE, obj=extension,
                 changes={"after": {"org": org.name, "term_end": end.isoformat(),
                                    "extended_to": extended_to.isoformat(), "reason": reason}})
    return extension


@transaction.atomic
def extension_approve(*, actor, extension, approval_authority, approval_no, approved_on):
    extension = TermExtension.objects.select_for_update().select_related("org", "election").get(pk=extension.pk)
    _require_write(actor, extension.org)
    if extension.status == TermExtension.Status.APPROVED:
        raise ValidationError("该延期申请已批准。")
    _check_approval(approval_authority, approval_no, approved_on, extension.election.held_on, "批准")
    _approve(extension, TermExtension.Status.APPROVED, approval_authority, approval_no, approved_on)
    audit.record(actor=actor, event=audit.Event.UPDATE, obj=extension,
                 changes={"after": {"status": extension.get_status_display(),
                                    "approval_authority": extension.approval_authority,
                                    "approval_no": extension.approval_no, "approved_on": approved_on.isoformat(),
                                    "extended_to": extension.extended_to.isoformat()}})
    return extension


def candidate_people(org):
    """People offered in the candidate picker: the organisation's 正式党员 now (the service checks the date)."""
    return (Person.objects.filter(org__path__startswith=org.path, status="full", under_party_probation=False)
            .select_related("org").order_by("org__path", "name", "id"))
