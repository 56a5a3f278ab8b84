"""Routers for the records of the foundation apps (orgs, members, accounts, compliance).

Other apps do not add to this list: they ship `<app>/api.py` with a `router` (see dangjian/api/main.py).
"""

from . import accounts, findings, orgs, people

ROUTERS = [accounts.router, orgs.router, people.router, findings.router]
