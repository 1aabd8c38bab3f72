"""The one error tree of fuite.

Library code raises these; only the edges (CLI, HTTP server) turn them into exit
codes, one-line messages or HTTP statuses. Messages never contain identifiers.
"""


class FuiteError(Exception):
    """Base of every error fuite reports to a user."""

    message = "fuite error"
    exit_code = 1

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)


class UsageError(FuiteError):
    """The user asked for something inconsistent."""

    message = "invalid usage"
    exit_code = 2


class ValidationError(FuiteError, ValueError):
    """A value failed validation."""

    message = "invalid value"


class InvalidFormat(ValidationError):
    message = "the value has an invalid format"


class InvalidChecksum(ValidationError):
    message = "the value's check digits are wrong"


class InvalidLength(ValidationError):
    message = "the value has an invalid length"


class InvalidComponent(ValidationError):
    message = "one of the value's parts is invalid"


class CaseFileError(ValidationError):
    """The case file (``case.toml``) is unreadable or a value in it is invalid; the message names the key."""

    message = "case.toml: invalid value"


class CaseError(FuiteError):
    """The case folder is missing, locked or inconsistent."""

    message = "case error"


class KeyError_(CaseError):
    """The key is missing or wrong."""

    message = "wrong or missing case key"


class IngestError(FuiteError):
    """A file could not be read at all."""

    message = "file could not be read"


class DetectError(FuiteError):
    message = "detection failed"


class LinkError(FuiteError):
    message = "record linkage failed"


class NotifyError(FuiteError):
    message = "notification failed"


class LookupError_(FuiteError):
    message = "lookup failed"


class ReportError(FuiteError):
    message = "report failed"
