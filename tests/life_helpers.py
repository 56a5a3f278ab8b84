"""Shared helpers for the life tests."""

from datetime import date

from dangjian.members.models import OrgMembership
from dangjian.orgs.models import CommitteePost, Role
from tests.factories import make_person, make_user


def member(org, started=date(2015, 1, 1), ended=None, **kw):
    person = make_person(org, **kw)
    OrgMembership.objects.create(person=person, org=org, started_on=started, ended_on=ended)
    return person


def committee(org, people, started=date(2015, 1, 1)):
    posts = ["secretary", "organisation", "propaganda", "discipline", "member", "member", "member"]
    for person, post in zip(people, posts):
        CommitteePost.objects.create(org=org, person=person, post=post, started_on=started)


def writer(org):
    return make_user(role=Role.SECRETARY, org=org)
