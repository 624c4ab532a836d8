"""The job actions: each checks what it can before any call, calls DRS once, records the result in
the mirror at once (jobs/mirror/record.py) and audits who did what with DRS's answer.

Exactly once, for creates: a one-time form token (a second submit of the same form gets the
first one's job), a per-tenant lock (two creates of one tenant never overlap), and before each
create a look for a job of the same name created in the last `RECENT` (someone else pressed the
same button, or an earlier create's answer was lost). DRS has no idempotency key, so a create
whose answer did not arrive is never sent again before the list (filtered by name) was asked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs import drs
from jobs.actions.body import CreateRequest, problems
from jobs.drs import DrsClient, JobFilters
from jobs.lib.locks import CacheLock
from jobs.mirror import record
from jobs.tenants import audit
from jobs.tenants.models import AuditEvent, Tenant
from jobs.upstream import rate_limits
from jobs.upstream.client import client_for
from jobs.upstream.messages import explain

Action = AuditEvent.Action
RECENT = timedelta(minutes=10)  # a same-named job this young is taken for the same create
TOKEN_SECONDS = 3600
LOOK_TRIES = 3  # list calls after a lost create answer, `LOOK_PAUSE` apart
LOOK_PAUSE = 1.0
SECRET_KEYS = ("password", "secret", "token", "secret_key", "sk")


class Refused(Exception):
    """Refused before any call to DRS; `problems` holds field errors of a create."""

    def __init__(self, message: str, problems: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or {}


@dataclass
class Actor:
    """Who acts: a signed-in person (with the request, for the audit's address) or the CLI."""

    user: Any = None
    name: str = ""
    request: Any = None

    @property
    def key(self) -> str:
        return str(self.user.pk) if self.user is not None else f"cli:{self.name}"


@dataclass
class CreateOutcome:
    """`kind`: created | already (the form or a same-named job was sent before) | found (the
    answer was lost, the job exists) | lost (the answer was lost and no job exists)."""

    kind: str
    job_id: str = ""
    message: str = ""
    request_id: str = ""


@dataclass
class DeleteOutcome:
    job_id: str
    name: str = ""
    deleted: bool = False
    message: str = ""
    request_id: str = ""


@dataclass
class Selection:
    """What a delete would do: the jobs it would delete, and those it refuses (running)."""

    deletable: list[tuple[str, str]] = field(default_factory=list)  # (job id, name)
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # (job id, name, why)


def check_enabled(tenant: Tenant) -> None:
    if not tenant.actions_enabled:
        raise Refused(
            _(
                "Job actions are off for this tenant: a tenant admin turns them on on the "
                "tenant's page (or `manage.py tenant actions %(slug)s on`)."
            )
            % {"slug": tenant.slug}
        )


def _check_rate(actor: Actor) -> None:
    if actor.user is None:
        return  # the CLI is one operator at a terminal
    if not rate_limits.allow(actor.key, "job-action", settings.USER_UPSTREAM_ACTIONS_PER_MINUTE):
        raise Refused(
            _("Too many job actions in a minute: wait %(s)d s and try again.")
            % {"s": rate_limits.retry_after()}
        )


def _audit(action: str, tenant: Tenant, actor: Actor, **detail: Any) -> None:
    audit.record(
        action,
        request=actor.request,
        actor=actor.user,
        actor_name=actor.name,
        tenant=tenant,
        **detail,
    )


def _answer(error: drs.DrsError | None = None, **fields: Any) -> dict:
    if error is None:
        return fields
    return {
        "status": error.status,
        "error_code": error.error_code,
        "error_msg": error.error_msg[:500],
        "request_id": error.request_id,
        "error": type(error).__name__,
    }


def without_secrets(data: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: ("***" if str(k).lower() in SECRET_KEYS else without_secrets(v))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [without_secrets(v) for v in data]
    return data


# -- the one-time form token ---------------------------------------------------------------


def new_form_token() -> str:
    import secrets

    token = secrets.token_urlsafe(24)
    cache.set(_token_key(token), "fresh", TOKEN_SECONDS)
    return token


def _token_key(token: str) -> str:
    return f"actions:form:{token}"


def _claim(token: str) -> str | None:
    """None if the token is now ours to send with; else the job id a previous submit created
    (or "" while that submit is still under way, or for a token we never issued)."""
    key = _token_key(token)
    state = cache.get(key)
    if state == "fresh" and cache.delete(key) and cache.add(key, "sending", TOKEN_SECONDS):
        return None
    return state[4:] if isinstance(state, str) and state.startswith("job:") else ""


def _settle(token: str | None, job_id: str) -> None:
    if token:
        if job_id:
            cache.set(_token_key(token), f"job:{job_id}", TOKEN_SECONDS)
        else:  # refused or failed: the same form may be sent again once fixed
            cache.set(_token_key(token), "fresh", TOKEN_SECONDS)


# -- create ----------------------------------------------------------------------------------


def create(
    tenant: Tenant, request: CreateRequest, actor: Actor, *, token: str | None = None
) -> CreateOutcome:
    """Create the job once. Raises Refused (nothing sent) or a DrsError (DRS refused it)."""
    check_enabled(tenant)
    found = problems(request)
    if found:
        raise Refused(_("The request breaks the service's documented rules."), found)
    if token is not None:
        previous = _claim(token)
        deadline = time.monotonic() + settings.DRS_DEADLINE * 2
        while previous == "" and cache.get(_token_key(token)) == "sending":
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)  # a double click: the first submit is still sending; wait for it
            state = cache.get(_token_key(token))
            previous = state[4:] if isinstance(state, str) and state.startswith("job:") else ""
        if previous is not None:
            if previous:
                return CreateOutcome(
                    "already",
                    previous,
                    _("This form was sent already: here is the job it created."),
                )
            raise Refused(
                _("This form is being sent already, or it has expired: open the form again.")
            )
    job_id = ""
    try:
        _check_rate(actor)
        outcome = _create_locked(tenant, request, actor)
        job_id = outcome.job_id
        return outcome
    finally:
        _settle(token, job_id)


def _create_locked(tenant: Tenant, request: CreateRequest, actor: Actor) -> CreateOutcome:
    lock = CacheLock(f"actions:create:{tenant.pk}", seconds=settings.DRS_DEADLINE * 3 + 10)
    if not lock.acquire():
        lock.wait(time.monotonic() + settings.DRS_DEADLINE * 2)
        if not lock.acquire():
            raise Refused(_("Another create for this tenant is under way: try again shortly."))
    try:
        client = client_for(tenant)
        body = request.body()
        started = timezone.now()
        existing = _find_same(client, request.name, started - RECENT)
        if existing:
            _audit(
                Action.JOB_CREATE_FAILED,
                tenant,
                actor,
                body=without_secrets(body),
                job_id=existing,
                answer={"not_sent": "a job of this name was just created"},
            )
            return CreateOutcome(
                "already",
                existing,
                _(
                    "A job named %(name)s was created in the last minutes, so this one was not "
                    "sent again: here it is."
                )
                % {"name": request.name},
            )
        return _send(tenant, client, body, request, actor, started)
    finally:
        lock.release()


def _send(
    tenant, client: DrsClient, body: dict, request: CreateRequest, actor: Actor, started: datetime
) -> CreateOutcome:
    try:
        created = client.create_job(body)
    except (drs.UpstreamUnavailable, drs.BadUpstreamResponse) as lost:
        return _after_lost_answer(tenant, client, body, request, actor, started, lost)
    except drs.DrsError as error:
        _audit(
            Action.JOB_CREATE_FAILED,
            tenant,
            actor,
            body=without_secrets(body),
            answer=_answer(error),
            request_id=error.request_id,
        )
        raise
    _mirror_new(tenant, client, created.job_id, request)
    _audit(
        Action.JOB_CREATED,
        tenant,
        actor,
        body=without_secrets(body),
        job_id=created.job_id,
        answer={"status": created.status, "job_id": created.job_id},
        request_id=created.request_id,
    )
    return CreateOutcome("created", created.job_id, _("DRS created the job."), created.request_id)


def _after_lost_answer(tenant, client, body, request, actor, started, lost) -> CreateOutcome:
    """The create may or may not have happened: ask the list (by name) before anything else."""
    job_id = ""
    for attempt in range(LOOK_TRIES):
        try:
            job_id = _find_same(client, request.name, started - timedelta(minutes=1))
        except drs.DrsError:
            job_id = ""
        if job_id or attempt == LOOK_TRIES - 1:
            break
        time.sleep(LOOK_PAUSE)
    answer = _answer(lost)
    if job_id:
        _mirror_new(tenant, client, job_id, request)
        _audit(
            Action.JOB_CREATED,
            tenant,
            actor,
            body=without_secrets(body),
            job_id=job_id,
            answer={**answer, "found_by_name": True},
            request_id=lost.request_id,
        )
        return CreateOutcome(
            "found",
            job_id,
            _(
                "DRS did not answer the create (%(reason)s), but a job named %(name)s now exists: "
                "it was created once, and it was not sent again."
            )
            % {"reason": explain(lost, tenant), "name": request.name},
        )
    _audit(
        Action.JOB_CREATE_FAILED,
        tenant,
        actor,
        body=without_secrets(body),
        answer={**answer, "found_by_name": False},
        request_id=lost.request_id,
    )
    return CreateOutcome(
        "lost",
        "",
        _(
            "DRS did not answer the create (%(reason)s), and no job named %(name)s exists now: "
            "nothing was created. You may send it again."
        )
        % {"reason": explain(lost, tenant), "name": request.name},
    )


def _find_same(client: DrsClient, name: str, since: datetime) -> str:
    """The id of a job named exactly `name` created at or after `since`, or ""."""
    page = client.list_jobs(JobFilters(name=name), limit=50)
    for job in page.jobs:
        if job.name == name and (job.create_time is None or job.create_time >= since):
            return job.id
    return ""


def _mirror_new(tenant: Tenant, client: DrsClient, job_id: str, request: CreateRequest) -> None:
    """The mirror knows the new job at once: from its detail, or, if that fails, as the list
    would show it."""
    now = timezone.now()
    try:
        record.saw_detail(tenant, job_id, client.get_job(job_id), now)
    except drs.DrsError:
        seen = record.Seen(
            job_id,
            request.name,
            "TRANSFERRING",
            "sqlserver",
            "",
            request.description,
            now,
            None,
            request.enterprise_project_id or "0",
        )
        record.observe(tenant, [seen], now, events_since=None)


# -- rename, tags, delete ----------------------------------------------------------------------


def _refresh(tenant: Tenant, client: DrsClient, job_id: str) -> drs.Job | None:
    try:
        job = client.get_job(job_id)
    except drs.JobNotFound:
        record.mark_deleted(tenant, job_id, timezone.now())
        return None
    except drs.DrsError:
        return None
    record.saw_detail(tenant, job_id, job, timezone.now())
    return job


def rename(
    tenant: Tenant, job_id: str, actor: Actor, *, name: str, description: str | None = None
) -> drs.Done:
    check_enabled(tenant)
    from jobs.actions.body import NAME

    if not NAME.fullmatch(name or ""):
        raise Refused(
            _(
                "A job name is 4 to 50 characters: letters, digits, hyphens (-) and "
                "underscores (_), starting with a letter."
            ),
            {"name": [_("Not a valid job name.")]},
        )
    _check_rate(actor)
    client = client_for(tenant)
    body = {"name": name, **({"description": description} if description is not None else {})}
    try:
        done = client.update_job(job_id, name=name, description=description)
    except drs.DrsError as error:
        _audit(
            Action.JOB_ACTION_FAILED,
            tenant,
            actor,
            what="rename",
            job_id=job_id,
            body=body,
            answer=_answer(error),
            request_id=error.request_id,
        )
        raise
    _refresh(tenant, client, job_id)
    _audit(
        Action.JOB_UPDATED,
        tenant,
        actor,
        job_id=job_id,
        body=body,
        answer={"status": done.status},
        request_id=done.request_id,
    )
    return done


def change_tags(
    tenant: Tenant, job_id: str, actor: Actor, *, add: dict[str, str], remove: dict[str, str]
) -> None:
    check_enabled(tenant)
    from jobs.actions.body import TAG_KEY, TAG_VALUE

    bad = [
        k
        for k, v in {**add, **remove}.items()
        if not TAG_KEY.fullmatch(k) or not TAG_VALUE.fullmatch(v)
    ]
    if bad or not (add or remove):
        message = _(
            "Tag keys are at most 36 letters, digits, _ and -; values letters, "
            "digits, spaces and _ . : / = + - @."
        )
        raise Refused(message, {"tags": [message]})
    _check_rate(actor)
    client = client_for(tenant)
    for what, tags, call in (("add", add, client.add_tags), ("remove", remove, client.remove_tags)):
        if not tags:
            continue
        body = {"tags": [{"key": k, "value": v} for k, v in tags.items()]}
        try:
            done = call(job_id, tags)
        except drs.DrsError as error:
            _audit(
                Action.JOB_ACTION_FAILED,
                tenant,
                actor,
                what=f"tags-{what}",
                job_id=job_id,
                body=body,
                answer=_answer(error),
                request_id=error.request_id,
            )
            raise
        _audit(
            Action.JOB_TAGGED,
            tenant,
            actor,
            what=what,
            job_id=job_id,
            body=body,
            answer={"status": done.status},
            request_id=done.request_id,
        )
    _refresh(tenant, client, job_id)


def select_for_delete(tenant: Tenant, job_ids: list[str]) -> Selection:
    """What deleting `job_ids` would do, from each job's fresh detail (running jobs refused)."""
    check_enabled(tenant)
    client = client_for(tenant)
    selection = Selection()
    for job_id in dict.fromkeys(job_ids):
        try:
            job = client.get_job(job_id)
        except drs.JobNotFound:
            record.mark_deleted(tenant, job_id, timezone.now())
            selection.refused.append((job_id, "", _("DRS no longer has this job.")))
            continue
        except drs.DrsError as error:
            selection.refused.append((job_id, "", explain(error, tenant)))
            continue
        record.saw_detail(tenant, job_id, job, timezone.now())
        if job.is_terminal:
            selection.deletable.append((job_id, job.name))
        else:
            selection.refused.append(
                (job_id, job.name, _("It is still running: DRS deletes finished jobs only."))
            )
    return selection


def delete(tenant: Tenant, job_ids: list[str], actor: Actor) -> list[DeleteOutcome]:
    """Delete each finished job; a running one is refused before any delete call."""
    check_enabled(tenant)
    _check_rate(actor)
    selection = select_for_delete(tenant, job_ids)
    outcomes = [DeleteOutcome(i, n, False, why) for i, n, why in selection.refused]
    for job_id, _name, why in selection.refused:
        _audit(
            Action.JOB_ACTION_FAILED,
            tenant,
            actor,
            what="delete",
            job_id=job_id,
            answer={"not_sent": why},
        )
    client = client_for(tenant)
    for job_id, name in selection.deletable:
        try:
            done = client.delete_job(job_id)
        except drs.DrsError as error:
            _audit(
                Action.JOB_ACTION_FAILED,
                tenant,
                actor,
                what="delete",
                job_id=job_id,
                answer=_answer(error),
                request_id=error.request_id,
            )
            outcomes.append(
                DeleteOutcome(job_id, name, False, explain(error, tenant), error.request_id)
            )
            continue
        record.mark_deleted(tenant, job_id, timezone.now())
        _audit(
            Action.JOB_DELETED,
            tenant,
            actor,
            job_id=job_id,
            name=name,
            answer={"status": done.status},
            request_id=done.request_id,
        )
        outcomes.append(DeleteOutcome(job_id, name, True, _("Deleted."), done.request_id))
    return outcomes
