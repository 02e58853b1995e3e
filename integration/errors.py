"""Domain errors: business-rule conflicts with a stable machine-readable code.

The API's exception handler answers them with 409 (or their own status) and
`{"code", "detail", ...extra}`; pages show `detail` as a message.
"""

from typing import Any


class DomainError(Exception):
    code = "conflict"
    status_code = 409
    default_detail = "The request conflicts with the current state."

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.default_detail
        self.extra = extra
        super().__init__(self.detail)


class InvalidInput(DomainError):
    """Input a serializer could not judge alone (for example, an unknown scope)."""

    code = "invalid"
    status_code = 400
    default_detail = "Invalid input."

    def __init__(self, detail: str | None = None, *, field: str | None = None, **extra: Any):
        super().__init__(detail, **extra)
        self.field = field
