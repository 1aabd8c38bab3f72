"""The one error tree of fuite, and the exit codes it maps to.

Library code raises these; only the edges (CLI, HTTP server) turn them into exit
codes, one-line messages or HTTP statuses. Messages never contain identifiers.

Exit codes (docs/cli.md, "Exit codes"); every command uses the same table, through the class it raises:

=====  =====================  ==========================================================================
code   constant               meaning
=====  =====================  ==========================================================================
0      ``EXIT_OK``            done
1      ``EXIT_PARTIAL``       nothing usable, or only part done: no file found, no record read, failed half-way
2      ``EXIT_USAGE``         bad option, argument or value: on the command line or in case.toml
3      ``EXIT_INTEGRITY``     integrity failure: audit chain broken, data failing its own checks
4      ``EXIT_PREREQUISITE``  a prerequisite is missing: no case, a step that must run first has not
5      ``EXIT_KEY``           the case key is missing or wrong
70     ``EXIT_INTERNAL``      internal error (a bug: ``FUITE_DEBUG=1`` shows the traceback)
130    ``EXIT_INTERRUPTED``   interrupted (Ctrl-C)
143    ``EXIT_TERMINATED``    stopped by SIGTERM (a service manager, ``kill``), after the same clean-up as Ctrl-C
=====  =====================  ==========================================================================
"""

EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_INTEGRITY = 3
EXIT_PREREQUISITE = 4
EXIT_KEY = 5
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

#: code -> meaning, in the order docs/cli.md lists them (tests check the two agree).
EXIT_CODES = {
    EXIT_OK: "done",
    EXIT_PARTIAL: "nothing usable, or only part done: no file found, no record read, the work failed half-way",
    EXIT_USAGE: "bad option, argument or value: on the command line or in case.toml",
    EXIT_INTEGRITY: "integrity failure: the audit chain is broken, data fails its own checks",
    EXIT_PREREQUISITE: "a prerequisite is missing: no case, or a step that must run first has not "
                       "(no persons yet, persons not resolved, no case.toml)",
    EXIT_KEY: "the case key is missing or wrong",
    EXIT_INTERNAL: "internal error (a bug; set FUITE_DEBUG=1 for the traceback)",
    EXIT_INTERRUPTED: "interrupted",
    EXIT_TERMINATED: "stopped by SIGTERM, after the same clean-up as an interruption",
}


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwinds like Ctrl-C (transactions roll back, spill folders go), then exits 143."""


class FuiteError(Exception):
    """Base of every error fuite reports to a user."""

    message = "fuite error"
    exit_code = EXIT_PARTIAL

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)


class UsageError(FuiteError):
    """The user asked for something inconsistent."""

    message = "invalid usage"
    exit_code = EXIT_USAGE


class ValidationError(FuiteError, ValueError):
    """A value failed validation."""

    message = "invalid value"
    exit_code = EXIT_USAGE


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


class IntegrityError(FuiteError):
    """Stored data fails its own checks: a broken audit chain, a damaged table."""

    message = "integrity check failed"
    exit_code = EXIT_INTEGRITY


class CaseIncomplete(FuiteError):
    """The case file lacks facts a notice must state (``gaps`` lists them, one line each)."""

    message = "case.toml: facts missing"

    def __init__(self, message: str | None = None, gaps: list[str] | None = None):
        super().__init__(message)
        self.gaps = list(gaps or [])


class CaseError(FuiteError):
    """The case folder is missing, locked or inconsistent."""

    message = "case error"
    exit_code = EXIT_PREREQUISITE


class PrerequisiteError(CaseError):
    """A step that must come first has not run (no persons yet, persons not resolved)."""

    message = "a step that must come first has not run"


class KeyError_(CaseError):
    """The key is missing or wrong."""

    message = "wrong or missing case key"
    exit_code = EXIT_KEY


class NothingUsable(FuiteError):
    """The command ran but found nothing to work on (no file, no readable file)."""

    message = "nothing usable"
    exit_code = EXIT_PARTIAL


class CaseCorrupt(CaseError):
    """The case database or keyring is damaged (truncated, overwritten, a page that fails its check)."""

    message = "the case is corrupt"
    exit_code = EXIT_INTEGRITY


class NoPersons(PrerequisiteError):
    """The case has no resolved persons yet (not scanned, or scanned with ``--no-resolve``)."""

    message = "the case has no persons yet: run `fuite scan` (or `fuite resolve`) first"


class AuditFailure(IntegrityError):
    """The audit trail does not verify: edited, truncated, rolled back or not matching its witness."""

    message = "the audit trail does not verify"


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


class LookupKeyError(LookupError_):
    """The self-check server key is missing, locked, unreadable, too open, or not the index's key."""

    message = "wrong or missing lookup key"
    exit_code = EXIT_KEY


class ReportError(FuiteError):
    message = "report failed"
