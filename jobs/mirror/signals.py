"""What the mirror tells the layers above it without importing them."""

from __future__ import annotations

from django.dispatch import Signal

# A JobEvent was just written (`event=`). Sent inside the transaction that wrote it, so what a
# receiver writes (the notification outbox, `jobs.notify.outbox`) commits or rolls back with it;
# an exception in a receiver rolls the event back too.
job_event_recorded = Signal()
