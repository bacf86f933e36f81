"""The gateway's OpenAPI document: FastAPI's, plus what only the wired app knows.

- the `Problem` schema every error response refers to (`gateway.api.problems`);
- FastAPI's default 422 "HTTPValidationError" removed: this API answers invalid input with a 400 problem;
- optional parameters without FastAPI's `anyOf: [..., null]`: a header or query parameter is absent or a
  string, never null (an `Idempotency-Key: null` is a key spelled "null");
- the roles this org's members can be enrolled with, as MemberCreate's `role` enum;
- nothing about who exists: members join at runtime, so `holder` is a pattern (an unknown one is a 422
  UNKNOWN_HOLDER), not the topology's list.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from gateway.api.problems import PROBLEM_REF, Problem

_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = [s for s in schema.get("anyOf", []) if s != {"type": "null"}]
    if len(options) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**options[0], **rest}


def build_openapi(app: FastAPI, member_roles: list[str]) -> dict[str, Any]:
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas: dict[str, Any] = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    schemas[PROBLEM_REF.rsplit("/", 1)[1]] = Problem.model_json_schema()
    for operation in (op for path in doc["paths"].values() for op in path.values()):
        default_422 = operation["responses"].get("422", {}).get("content", {}).get("application/json")
        if default_422 is not None:
            del operation["responses"]["422"]
        for parameter in operation.get("parameters", []):
            parameter["schema"] = _not_null(parameter["schema"])
    enroll = schemas["MemberCreate"]["properties"]
    enroll["role"] = {"type": "string", "enum": member_roles, "description": "a role this org grants"}
    return doc
