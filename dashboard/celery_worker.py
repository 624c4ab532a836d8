"""The worker's consumer, tolerant of poison messages (`worker_consumer` in dashboard/celery.py).

Celery's own handler drops some malformed task messages (an undecodable body, a bad ETA) but
lets others through to its event loop, where an exception is "unrecoverable" and the worker
exits: a body that is not `[args, kwargs, embed]`, a malformed `timelimit` header. Here any
such exception while a message is being turned into a task is logged (the task's name and id,
never its arguments) and the message is dropped; the worker goes on. Broker connection errors
still propagate, so Celery reconnects as usual.
"""

from __future__ import annotations

import logging

from celery.worker.consumer import Consumer

log = logging.getLogger("dashboard.celery")


class TolerantConsumer(Consumer):
    def create_task_handler(self, *args, **kwargs):
        handle = super().create_task_handler(*args, **kwargs)
        connection_errors = tuple(self.connection_errors or ())

        def on_task_received(message):
            try:
                return handle(message)
            except connection_errors:
                raise
            except Exception as exc:
                headers = getattr(message, "headers", None)
                headers = headers if isinstance(headers, dict) else {}
                log.error(
                    "Dropped a malformed broker message (task %.100r, id %.100r): %s",
                    headers.get("task"),
                    headers.get("id"),
                    type(exc).__name__,
                )
                try:
                    message.reject(requeue=False)
                except connection_errors:
                    raise
                except Exception:  # already acknowledged: nothing left to drop
                    log.debug("The malformed message was already acknowledged")
                return None

        return on_task_received
