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
    "description": "Bad input: `code` is `invalid`; each offending field maps to its messages. "
    "A nested field (the `lines` of an order) maps to its own errors as DRF nests them: by "
    'item index (`{"lines": {"1": {"quantity": ["..."]}}}`) or `non_field_errors`.',
    "properties": {
        "code": {"type": "string", "example": "invalid"},
        "detail": {"type": "string"},
    },
    "required": ["code", "detail"],
    "additionalProperties": {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]
    },
}

_ERROR_REF = {"$ref": "#/components/schemas/Error"}

IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes the POST safe to retry: the same key with the same body returns the "
    "first answer again (with `Idempotent-Replayed: true`) without redoing the work. Keys are "
    "per token (or user) and remembered for 24 hours. The same key with another body is 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
IDEMPOTENT_REPLAYED_HEADER = {
    "description": "`true` when this is the stored answer to an earlier request with the same "
    "`Idempotency-Key`.",
    "schema": {"type": "string", "enum": ["true"]},
}
_DESCRIPTIONS = {
    "400": ("Invalid input", {"$ref": "#/components/schemas/ValidationError"}),
    "401": ("Missing, invalid, expired or revoked credentials", _ERROR_REF),
    "403": ("The token's scopes or the user's permissions do not allow this", _ERROR_REF),
    "404": ("No such object, or not visible to the caller", _ERROR_REF),
    "409": ("A business rule forbids this in the current state", _ERROR_REF),
    "412": ("`If-Match` names an older version: fetch the object again", _ERROR_REF),
    "422": ("The `Idempotency-Key` was already used for another request", _ERROR_REF),
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
            if method in ("put", "patch"):
                codes.append("412")
            if method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
                codes.append("422")
                for status_code, response in operation["responses"].items():
                    if status_code.startswith("2"):
                        response.setdefault("headers", {})["Idempotent-Replayed"] = (
                            IDEMPOTENT_REPLAYED_HEADER
                        )
            for code in codes:
                operation["responses"].setdefault(code, _error(code))
    return result
