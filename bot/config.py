"""Runtime configuration, read once from the environment (and an optional `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///tierbot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"

    database_url: str = DEFAULT_DATABASE_URL
    tier_policy_file: Path | None = None
    admin_user_ids: Annotated[frozenset[str], NoDecode] = frozenset()
    port: int = 3000
    log_level: str = "INFO"
    # Slack's largest payloads (a view submission with every input filled) are tens of KB; 1 MiB
    # leaves room for them and refuses a 100 MB POST before it is read.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)

    decisions_channel: str | None = None
    default_timezone: str = "UTC"
    review_reminder_lead_days: int = Field(default=3, ge=0)
    quarterly_review_lead_days: int = Field(default=14, ge=0)  # remind owners this many days before
    at_risk_share: float = Field(default=0.25, gt=0, lt=1)
    unacked_repost_minutes: int = Field(default=60, ge=5)
    missed_post_grace_hours: int = Field(default=6, ge=0)
    scheduler_tick_seconds: int = Field(default=60, ge=1)
    # Alerts (issue 11): health-score drops, and the helpdesk link on alert messages.
    health_drop_points: int = Field(default=15, ge=1, le=100)
    health_drop_days: int = Field(default=30, ge=1)
    health_floor: int = Field(default=40, ge=0, le=100)
    ticket_url_template: str | None = None  # e.g. https://help.example.com/agent/tickets/{id}

    # Live data (bot/sync): each source is configured when its credentials are set.
    hubspot_token: SecretStr | None = None
    hubspot_api_url: str = "https://api.hubapi.com"
    hubspot_tier_property: str | None = None
    # Link unfurls: only links into this HubSpot portal (account) are unfurled; unset = any portal.
    hubspot_portal_id: str | None = None
    salesforce_instance_url: str | None = None
    salesforce_client_id: str | None = None
    salesforce_client_secret: SecretStr | None = None
    salesforce_access_token: SecretStr | None = None
    salesforce_api_version: str = "v62.0"
    salesforce_tier_field: str | None = None
    zendesk_subdomain: str | None = None
    zendesk_email: str | None = None
    zendesk_api_token: SecretStr | None = None
    zendesk_api_url: str | None = None  # default https://{ZENDESK_SUBDOMAIN}.zendesk.com
    zendesk_tier_field: str = "support_tier"
    sync_interval_minutes: int = Field(default=15, ge=1)
    tier_changes_channel: str | None = None
    tier_change_quiet_hours: int = Field(default=24, ge=0)
    # Imports stream in bounded memory (~130 MB peak whatever the size); the limit is about time and
    # mistakes (a wrong file), not memory: 100 MB is ~870,000 accounts, a minute or two of importing.
    import_max_bytes: int = Field(default=100_000_000, ge=1)
    # Scenarios (bot/scenarios/cache.py): the arrays read from the database are kept in an .npz file
    # here, keyed by the data versions (default: `tierbot-cache/scenarios` next to a SQLite database
    # file; none for PostgreSQL unless set). In memory: +41 MB per million tickets in each process
    # that ran a scenario, saving ~40 ms a run (the file read) over not keeping them.
    scenario_cache_dir: Path | None = None
    scenario_cache_in_memory: bool = True

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.replace(";", ",").split(",") if part.strip())
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown IANA time zone {value!r} (e.g. Europe/Paris, America/New_York)"
            ) from exc
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # slack_sdk joins base_url and method name without a separator.
        return value if value.endswith("/") else value + "/"

    @property
    def has_slack_http(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    @property
    def has_socket_mode(self) -> bool:
        return self.slack_bot_token is not None and self.slack_app_token is not None

    @property
    def zendesk_base_url(self) -> str | None:
        if self.zendesk_api_url:
            return self.zendesk_api_url.rstrip("/")
        return f"https://{self.zendesk_subdomain}.zendesk.com" if self.zendesk_subdomain else None

    def secret_values(self) -> tuple[str, ...]:
        """What logging must never print."""
        secrets = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.hubspot_token,
            self.salesforce_client_secret,
            self.salesforce_access_token,
            self.zendesk_api_token,
        )
        return tuple(s.get_secret_value() for s in secrets if s is not None)

    def is_admin(self, user_id: str | None) -> bool:
        return user_id is not None and user_id in self.admin_user_ids


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
