"""Delivering the outbox. A worker claims due rows with a conditional update that sets a lease
(state `sending`, a fresh claim token, `lease_until`); only one worker's update matches a row.
It sends, then finishes the row only if its claim still holds. A worker that dies leaves the row
`sending` until the lease passes; the next worker takes it again. A crash after the receiver got
the message but before the row was marked sent is the one case that sends twice (at-least-once
at the wire, deduplicated by receivers on the delivery key)."""

from __future__ import annotations

import logging
import queue
import secrets
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F, Q
from django.utils import timezone

from jobs.accounts.models import UserPreference
from jobs.notify import messages, render
from jobs.notify.digest import render_digest
from jobs.notify.models import Delivery, Subscription
from jobs.notify.outbox import enqueue_periodic
from jobs.notify.receivers import NOT_A_MEMBER
from jobs.notify.transport import SendError, send_email, send_to_channel
from jobs.tenants.models import Membership

log = logging.getLogger(__name__)
State = Delivery.State


def lease() -> timedelta:
    """Longer than any send can take, so only a dead worker's claim expires."""
    return timedelta(seconds=settings.NOTIFY_TIMEOUT * 3 + 30)


def backoff(attempts: int) -> timedelta:
    seconds = settings.NOTIFY_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.NOTIFY_MAX_RETRY_SECONDS))


def _due(now: datetime) -> Q:
    return Q(state__in=[State.PENDING, State.RETRYING], next_try_at__lte=now) | Q(
        state=State.SENDING, lease_until__lt=now
    )


CANDIDATES_PER_SLOT = 8


def fair_order(rows: list[tuple[int, int | None, int | None]]) -> list[int]:
    """Round robin over tenants (personal email, with no tenant, counts as one), and within a
    tenant over its channels, each in due order: a tenant with a thousand messages to a
    channel that hangs takes one slot in turn, not every slot. `rows`: (pk, tenant, channel)
    in due order."""
    tenants: dict[int | None, dict[int | None, list[int]]] = {}
    for pk, tenant, channel in rows:
        tenants.setdefault(tenant, {}).setdefault(channel, []).append(pk)
    per_tenant = [_round_robin(list(channels.values())) for channels in tenants.values()]
    return _round_robin(per_tenant)


def _round_robin(queues: list[list[int]]) -> list[int]:
    out: list[int] = []
    depth = max((len(q) for q in queues), default=0)
    for i in range(depth):
        out += [q[i] for q in queues if i < len(q)]
    return out


def claim_due(limit: int, now: datetime | None = None) -> list[tuple[int, str]]:
    """Claim up to `limit` due deliveries, fairly across tenants: [(id, claim token)]."""
    now = now or timezone.now()
    due = Delivery.objects.filter(_due(now))
    rows = []
    tenants = due.order_by().values_list("tenant_id", flat=True).distinct()
    for tenant_id in sorted(set(tenants), key=str):
        rows += (
            due.filter(tenant_id=tenant_id)
            .order_by("next_try_at", "pk")
            .values_list("pk", "tenant_id", "channel_id")[: limit * CANDIDATES_PER_SLOT]
        )
    claimed = []
    for pk in fair_order(rows):
        token = secrets.token_hex(8)
        won = Delivery.objects.filter(_due(now), pk=pk).update(
            state=State.SENDING,
            claim=token,
            lease_until=now + lease(),
            attempts=F("attempts") + 1,
        )
        if won:
            claimed.append((pk, token))
            if len(claimed) >= limit:
                break
    return claimed


def deliver(pk: int, token: str) -> str:
    """Send one claimed delivery and record the outcome; returns the new state."""
    delivery = Delivery.objects.select_related(
        "channel", "event__job", "event__tenant", "tenant", "user"
    ).get(pk=pk)
    try:
        send(delivery)
    except SendError as exc:
        return _failed(delivery, token, str(exc), exc.permanent)
    except Exception as exc:  # a bug must not leave the row claimed until the lease ends
        log.exception("Delivery %s failed", pk)
        return _failed(delivery, token, f"internal error ({type(exc).__name__})", False)
    _finish(delivery, token, state=State.SENT, sent_at=timezone.now(), last_error="")
    return State.SENT


def _failed(delivery: Delivery, token: str, error: str, permanent: bool) -> str:
    if permanent or delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        _finish(delivery, token, state=State.FAILED, last_error=error[:300])
        return State.FAILED
    _finish(
        delivery,
        token,
        state=State.RETRYING,
        last_error=error[:300],
        next_try_at=timezone.now() + backoff(delivery.attempts),
    )
    return State.RETRYING


def _finish(delivery: Delivery, token: str, **fields) -> None:
    done = Delivery.objects.filter(pk=delivery.pk, claim=token, state=State.SENDING).update(
        lease_until=None, **fields
    )
    if not done:
        log.warning("Delivery %s: the claim expired before it finished", delivery.pk)


def send(delivery: Delivery) -> None:
    if delivery.channel is not None:
        send_to_channel(
            delivery.channel, notice_for(delivery, delivery.channel.language), delivery.key
        )
        return
    user = delivery.user
    if delivery.tenant_id is not None and not _still_member(user, delivery.tenant_id):
        raise SendError(NOT_A_MEMBER, permanent=True)
    sub = Subscription.objects.filter(user=user).first()
    account = UserPreference.objects.filter(user=user).first()  # language, zone on the account
    language = sub.language if sub else (account and account.language) or settings.LANGUAGE_CODE
    zone = sub.time_zone if sub else (account and account.time_zone) or "UTC"
    if delivery.source == Delivery.Source.DIGEST:
        since = datetime.fromisoformat(delivery.detail["since"])
        subject, text, html = render_digest(user, since, language, zone)
    else:
        notice = messages.for_event(delivery.event, language, zone)
        subject = render.title(notice)
        text, html = render.body(notice, "text"), render.body(notice, "html")
    send_email(user.email, subject, text, html, delivery.key)


def _still_member(user, tenant_id: int) -> bool:
    return user.is_superuser or Membership.objects.filter(user=user, tenant_id=tenant_id).exists()


def notice_for(delivery: Delivery, language: str) -> messages.Notice:
    if delivery.source == Delivery.Source.TEST:
        return messages.for_test(delivery.channel.tenant, language)
    if delivery.kind == Delivery.Kind.SYNC_FAILING:
        return messages.for_sync_failing(
            delivery.channel.tenant, language, delivery.detail["failing_since"]
        )
    return messages.for_event(delivery.event, language)


def deliver_in_thread(pk: int, token: str) -> str:
    """For pool threads: each owns (and closes) its database connection."""
    close_old_connections()
    try:
        return deliver(pk, token)
    finally:
        connection.close()


def _deliver_queue(claimed: queue.SimpleQueue) -> None:
    """A pool thread's share of a batch: it takes the next claimed delivery until none is
    left (so a slow channel holds this thread only, the others keep going), on one database
    connection for the whole batch rather than one per delivery."""
    close_old_connections()
    try:
        while True:
            try:
                pk, token = claimed.get_nowait()
            except queue.Empty:
                return
            try:
                deliver(pk, token)
            except Exception:  # e.g. the database: the row's lease expires, it is taken again
                log.exception("Delivery %s could not be recorded", pk)
    finally:
        connection.close()


def deliver_due(limit: int | None = None, threads: int | None = None) -> int:
    """Claim what is due and send it in parallel (a slow channel holds one thread only).
    The Celery task and tests call this; the sync loop uses `Notifier`."""
    claimed = claim_due(limit or settings.NOTIFY_BATCH)
    if not claimed:
        return 0
    work: queue.SimpleQueue = queue.SimpleQueue()
    for item in claimed:
        work.put(item)
    workers = min(threads or settings.NOTIFY_WORKERS, len(claimed))
    with ThreadPoolExecutor(workers, "notify") as pool:
        for future in [pool.submit(_deliver_queue, work) for _ in range(workers)]:
            future.result()
    return len(claimed)


def send_test(channel) -> Delivery:
    """Send a test message now, through the outbox (so it shows in the delivery log)."""
    delivery = Delivery.objects.create(
        key=f"test:{channel.pk}:{secrets.token_hex(8)}",
        tenant=channel.tenant,
        kind=Delivery.Kind.TEST,
        channel=channel,
        source=Delivery.Source.TEST,
        next_try_at=timezone.now(),
        state=State.SENDING,
        attempts=1,
        claim=(token := secrets.token_hex(8)),
        lease_until=timezone.now() + lease(),
    )
    delivery.refresh_from_db()
    state = deliver(delivery.pk, token)
    if state == State.RETRYING:  # a test is not retried: the person is waiting for the answer
        Delivery.objects.filter(pk=delivery.pk).update(state=State.FAILED)
    delivery.refresh_from_db()
    return delivery


class Notifier:
    """The sync loop's delivery: each tick enqueues periodic messages (at most every few
    seconds) and hands due deliveries to a small pool, without waiting for them."""

    PERIODIC_SECONDS = 10.0

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or settings.NOTIFY_WORKERS
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="notify")
        self.in_flight: set[Future] = set()
        self.last_periodic = 0.0

    def tick(self) -> int:
        if time.monotonic() - self.last_periodic >= self.PERIODIC_SECONDS:
            self.last_periodic = time.monotonic()
            enqueue_periodic()  # logs its own failures: delivery goes on
        self.in_flight = {f for f in self.in_flight if not f.done()}
        free = self.threads - len(self.in_flight)
        if free <= 0:
            return 0
        claimed = claim_due(free)
        for pk, token in claimed:
            self.in_flight.add(self.pool.submit(deliver_in_thread, pk, token))
        return len(claimed)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
