"""Subtrees of a path-sorted list of organisations without scanning the whole list each time.

Materialised paths sort so that an organisation's descendants follow it immediately: the organisations whose
path starts with a prefix form one contiguous run of the sorted list. `Subtrees(orgs).within(path)` finds the
run with a binary search and returns it in the list's order — the same items, in the same order, as
`[o for o in orgs if o.path.startswith(path)]`, at the cost of the run instead of the whole list.
"""

from bisect import bisect_left


class Subtrees:
    def __init__(self, orgs):
        self.orgs = sorted(orgs, key=lambda o: o.path)
        self.paths = [o.path for o in self.orgs]

    def within(self, path):
        """The organisations whose path starts with `path` (the organisation itself and its descendants)."""
        start = end = bisect_left(self.paths, path)
        while end < len(self.paths) and self.paths[end].startswith(path):
            end += 1
        return self.orgs[start:end]
