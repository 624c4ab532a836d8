"""Celery: beat runs `deliver_notifications` every few seconds; several workers may run it at
once (claims are exclusive)."""

from __future__ import annotations

from celery import shared_task

from jobs.notify.outbox import enqueue_periodic
from jobs.notify.worker import deliver_due


@shared_task(ignore_result=True)
def deliver_notifications() -> int:
    enqueue_periodic()
    return deliver_due()
