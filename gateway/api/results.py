"""Turning a service Outcome into an HTTP answer (a replayed error stays an error)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Response

from chaincode import protocol
from gateway.api.deps import Components
from gateway.directory import Caller
from gateway.errors import ServiceError
from gateway.service import Outcome


def read(c: Components, caller: Caller, query: protocol.Args) -> Any:
    """Evaluate a read function on the org's peer and decode its JSON view."""
    return json.loads(c.ledger.evaluate(caller, query.FUNCTION.value, [query.to_json()]))


def written(outcome: Outcome, response: Response) -> dict[str, Any]:
    if outcome.status >= 400:
        body = outcome.body
        raise ServiceError(str(body.get("detail", "")), code=str(body.get("code")), status=outcome.status)
    response.status_code = outcome.status
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return outcome.body
