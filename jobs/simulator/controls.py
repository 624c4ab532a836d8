"""The loopback-only `/_sim/` controls tests and demos use to steer the simulator.

- `GET /_sim/state`: counters, tokens, lockouts, faults, jobs.
- `POST /_sim/faults` `{"kind", "target"?, "count"?, "params"? | parameters inline}`; 201.
- `DELETE /_sim/faults`: clear every fault.
- `POST /_sim/jobs` `{"duration_seconds", "outcome"?, "project_id"?, job fields...}`: a new
  live job (in the default project unless `project_id` names another served one); 201.
- `POST /_sim/expire-tokens`, `POST /_sim/reset-counters`.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from jobs.simulator.faults import Fault, FaultSet
from jobs.simulator.replies import Reply, Request, json_reply

PREFIX = "/_sim/"


class Steerable(Protocol):
    """What the controls steer: the simulator (`jobs.simulator.server.Simulator`) passes itself,
    so this module needs nothing from the server's."""

    faults: FaultSet

    def state(self) -> dict[str, Any]: ...

    def set_fault(
        self, kind: str, target: str = "*", count: int | None = None, **params: Any
    ) -> Fault: ...

    def add_live_job(
        self, duration_seconds: float, outcome: str = "SUCCESS", **fields: Any
    ) -> str: ...

    def expire_tokens(self) -> int: ...

    def reset_counters(self) -> None: ...


def handle(simulator: Steerable, request: Request) -> Reply:
    try:
        payload = json.loads(request.body) if request.body.strip() else {}
        if not isinstance(payload, dict):
            raise ValueError("the JSON body must be an object")
        return _action(simulator, request.method, request.path.rstrip("/"), payload)
    except KeyError as exc:
        return json_reply(400, {"error": f"missing field {exc}"})
    except (ValueError, TypeError) as exc:
        return json_reply(400, {"error": str(exc)})


def _action(simulator: Steerable, method: str, path: str, payload: dict[str, Any]) -> Reply:
    action = (method, path)
    if action == ("GET", "/_sim/state"):
        return json_reply(200, simulator.state())
    if action == ("POST", "/_sim/faults"):
        params = dict(payload.pop("params", None) or {})
        kind, target = payload.pop("kind"), payload.pop("target", "*")
        count = payload.pop("count", None)
        fault = simulator.set_fault(kind, target, count, **params, **payload)
        return json_reply(201, {"fault": fault.as_dict()})
    if action == ("DELETE", "/_sim/faults"):
        return json_reply(200, {"cleared": simulator.faults.clear()})
    if action == ("POST", "/_sim/jobs"):
        duration = payload.pop("duration_seconds")
        outcome = payload.pop("outcome", "SUCCESS")
        return json_reply(201, {"job_id": simulator.add_live_job(duration, outcome, **payload)})
    if action == ("POST", "/_sim/expire-tokens"):
        return json_reply(200, {"expired": simulator.expire_tokens()})
    if action == ("POST", "/_sim/reset-counters"):
        simulator.reset_counters()
        return json_reply(200, {"ok": True})
    return json_reply(404, {"error": f"no control endpoint {method} {path}"})
