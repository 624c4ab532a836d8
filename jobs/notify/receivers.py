"""What notify hears from the layers below it (connected by `JobsConfig.ready`).

- A job event the mirror records (`job_event_recorded`) gets its deliveries in the outbox, in
  the transaction that wrote the event (`outbox.enqueue_for_event`).
- A membership that ends takes the person's notifications about that tenant with it: their
  watches go, and what the outbox still holds for them there is cancelled (the worker checks
  membership again at send time, so nothing is sent after the removal however it was made:
  the members page, the CLI, the admin, a deleted user).
"""

from __future__ import annotations

from django.db.models.signals import post_delete
from django.dispatch import receiver

from jobs.mirror.models import JobEvent
from jobs.mirror.signals import job_event_recorded
from jobs.notify.models import Delivery, Watch
from jobs.notify.outbox import enqueue_for_event
from jobs.tenants.models import Membership

UNSENT = [Delivery.State.PENDING, Delivery.State.RETRYING, Delivery.State.SENDING]
NOT_A_MEMBER = "not sent: the person is no longer a member of the tenant"


def membership_ended(user_id: int, tenant_id: int) -> None:
    Watch.objects.filter(user_id=user_id, tenant_id=tenant_id).delete()
    Delivery.objects.filter(user_id=user_id, tenant_id=tenant_id, state__in=UNSENT).update(
        state=Delivery.State.FAILED, last_error=NOT_A_MEMBER, lease_until=None
    )


@receiver(post_delete, sender=Membership, dispatch_uid="notify-membership-ended")
def _membership_deleted(sender, instance: Membership, **kwargs) -> None:
    membership_ended(instance.user_id, instance.tenant_id)


@receiver(job_event_recorded, dispatch_uid="notify-job-event-recorded")
def _job_event_recorded(sender, event: JobEvent, **kwargs) -> None:
    enqueue_for_event(event)
