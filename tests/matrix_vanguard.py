"""Permission-matrix entries for the vanguard app (see tests/test_permission_matrix.py).

"in": records of branch_a2 (inside school_a, where the org roles sit); "out": records of school_b.
Deletes get a fresh record for each call, so the order of roles never matters.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.orgs.models import Role
from tests.factories import make_user
from tests.test_permission_matrix import ALL, Route, read_list, write_object
from tests.test_vanguard_factories import KINDS, PNG, sample

def extend_ctx(ctx):
    tree = ctx["tree"]
    writers = {"in": make_user("vg_w_in", Role.SECRETARY, tree["school_a"]),
               "out": make_user("vg_w_out", Role.SECRETARY, tree["school_b"])}
    ctx["vanguard_writers"] = writers
    for scope, org in (("in", ctx["org_in"]), ("out", ctx["org_out"])):
        person = ctx[f"person_{scope}"]
        for kind in KINDS:
            ctx[f"vg_{kind}_{scope}"] = sample(kind, writers[scope], org, person)
        ctx[f"vg_honours_{scope}"] = sample(
            "honours", writers[scope], org, person, title="名师", kind="famous_teacher",
            certificate=SimpleUploadedFile("证书.png", PNG))


def key(kind):
    return lambda c, s: {"pk": c[f"vg_{kind}_{s}"].pk}


def fresh(kind):
    def make(c, s):
        org = c["org_in" if s == "in" else "org_out"]
        return {"pk": sample(kind, c["vanguard_writers"][s], org).pk}

    return make


def writers_list():
    """Create pages: writers see the organisation picker; others 403."""
    return {r: 200 if r in ("secretary", "org_admin") else 403 for r in ALL} | {"anon": 302}


def deleted():
    """A POST delete: writers are redirected to the list; viewers 403 inside; everyone 404 outside."""
    return write_object(302)


ROUTES = {"vanguard:home": Route(expect=read_list())}
for _kind in KINDS:
    ROUTES[f"vanguard:{_kind}"] = Route(expect=read_list())
    ROUTES[f"vanguard:{_kind}_new"] = Route(expect=writers_list())
    ROUTES[f"vanguard:{_kind}_edit"] = Route(key(_kind), write_object())
    ROUTES[f"vanguard:{_kind}_delete"] = Route(fresh(_kind), deleted(), method="post")
ROUTES["vanguard:honour_certificate"] = Route(key("honours"), {
    r: (200, 404) if r in ("viewer", "discipline", "secretary", "org_admin") else (404, 404) for r in ALL}
    | {"anon": (302, 302)})
