"""Domain errors carry a stable machine code and a message a person can act on."""
from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the domain makes; adapters turn it into 4xx or an error ack."""

    status = 400

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


class ValidationError(DomainError):
    status = 400


class ValidationErrors(ValidationError):
    """Several fields of one form are wrong: all of them at once, so a person fixes the form in one go.
    ``code`` and the first line are the first field's; ``errors`` lists each field's refusal."""

    def __init__(self, errors: list[ValidationError]):
        super().__init__(errors[0].code, " ".join(e.message for e in errors))
        self.errors = list(errors)

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "errors": [e.as_dict() for e in self.errors]}


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
