"""Domain errors raised by services. Views and commands turn them into clear messages."""

from __future__ import annotations

# The HTTP status both interfaces (API problem details, desk pages) answer a refused safeguard or an impossible
# step with: the request conflicts with the current state of the record (RFC 9110, 15.5.10), and the same request
# succeeds once that state changes (a warrant attached, a claim resolved). 422 stays for input that is itself
# wrong (ADR "one refusal status").
REFUSAL_STATUS = 409


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, *, rule: str = "", citation: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.citation = citation

    def __str__(self) -> str:
        extra = f" [{self.rule}{'; ' + self.citation if self.citation else ''}]" if self.rule else ""
        return f"{self.message}{extra}"


class GuardRefused(DomainError):
    """A safeguard refused the action (no warrant, open citizenship claim, local law …)."""

    code = "guard_refused"


class InvalidTransition(DomainError):
    """The case is not in a state where this action is possible (often: someone else acted first)."""

    code = "invalid_transition"


class NotPermitted(DomainError):
    code = "not_permitted"


class NotFound(DomainError):
    """Raised alike for missing and forbidden records, so ids cannot be probed."""

    code = "not_found"


class ValidationFailed(DomainError):
    code = "validation_failed"
