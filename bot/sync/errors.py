"""Why a sync stopped, naming the source and, for credentials, the setting to fix. Never a credential."""

from __future__ import annotations


class SyncError(Exception):
    """A sync cannot go on now; the cursor stays where the last applied page left it."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class AuthFailed(SyncError):
    """The token is missing, expired or revoked: retrying cannot help."""

    def __init__(self, source: str, setting: str, detail: str) -> None:
        super().__init__(source, f"authentication failed ({detail}); check {setting}")
        self.setting = setting


class RateLimitStop(SyncError):
    """A limit that will not clear within this run (a daily quota, a long Retry-After)."""


class SourceFailed(SyncError):
    """Server errors or timeouts past the retry bound, or an answer we cannot read."""


class NotConfigured(SyncError):
    """The source's settings are missing."""


class SyncBusy(SyncError):
    """Another run of the same source holds the lease."""


class BatchRefused(SourceFailed):
    """A 4xx for a whole request (not 401 or 429): e.g. HubSpot's 400 VALIDATION_ERROR when one input
    has a value the property does not allow. A push splits the batch to find the record."""
