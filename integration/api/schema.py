"""OpenAPI post-processing: every operation documents the API's common error answers."""

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a machine-readable `code` and a human `detail`.",
    "properties": {
        "code": {"type": "string", "example": "permission_denied"},
        "detail": {"type": "string"},
    },
    "required": ["code", "detail"],
    "additionalProperties": True,
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Bad input: `code` is `invalid`; each offending field maps to its messages.",
    "properties": {
        "code": {"type": "string", "example": "invalid"},
        "detail": {"type": "string"},
    },
    "required": ["code", "detail"],
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_DESCRIPTIONS = {
    "400": ("Invalid input", {"$ref": "#/components/schemas/ValidationError"}),
    "401": ("Missing, invalid, expired or revoked credentials", _ERROR_REF),
    "403": ("The token's scopes or the user's permissions do not allow this", _ERROR_REF),
    "404": ("No such object, or not visible to the caller", _ERROR_REF),
    "409": ("A business rule forbids this in the current state", _ERROR_REF),
    "429": ("Throttled: retry after `Retry-After` seconds", _ERROR_REF),
}


def _error(code: str) -> dict[str, Any]:
    description, schema = _DESCRIPTIONS[code]
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def add_error_responses(result: dict, generator, request, public) -> dict:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    components.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = ["401", "403", "429"]
            params = operation.get("parameters", [])
            if any(p.get("in") == "path" for p in params):
                codes.append("404")
            if any(p.get("in") == "query" for p in params) or method in ("post", "put", "patch"):
                codes.append("400")
            if method in ("post", "put", "patch", "delete"):
                codes.append("409")
            for code in codes:
                operation["responses"].setdefault(code, _error(code))
    return result
