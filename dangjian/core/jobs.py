"""What background jobs (roster imports, report generation) share: each is private to the user who started it,
reports its state for the browser to poll, and counts as lost when still unfinished an hour after it started
(the server that ran it restarted)."""

from datetime import timedelta

from django.db import models
from django.utils import timezone

# A job still unfinished this long after it started was lost (the server restarted mid-way): stop polling it.
STALE_AFTER = timedelta(hours=1)


class OwnJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A job is private to the user who started it."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(created_by_id=user.pk)


class BackgroundJob(models.Model):
    """Abstract: the subclass defines `status` (with "done" and "failed" among its states) and `created_at`."""

    FINISHED = ("done", "failed")

    class Meta:
        abstract = True

    @property
    def is_finished(self):
        return self.status in self.FINISHED

    @property
    def is_stale(self):
        return not self.is_finished and self.created_at is not None and timezone.now() - self.created_at > STALE_AFTER

    @staticmethod
    def share(done, total, cap):
        """Percent of `total` done, at most `cap` (a job shows 100 only once it is done)."""
        return min(cap, int(done * 100 / total)) if total else 0
