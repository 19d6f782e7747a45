"""Settings read from the environment (prefix SENDBOT_) and an optional .env file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_knowledge_dir() -> Path:
    """Return the knowledge folder shipped with the code (source tree or wheel)."""
    for candidate in (PACKAGE_DIR.parent / "knowledge", PACKAGE_DIR / "_knowledge"):
        if candidate.is_dir():
            return candidate
    return PACKAGE_DIR.parent / "knowledge"


class Settings(BaseSettings):
    """Every setting of the bot; each has an environment variable SENDBOT_<NAME>."""

    model_config = SettingsConfigDict(
        env_prefix="SENDBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///sendbot.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///FILE or postgresql+asyncpg://...",
    )
    council: str = Field(default="bristol", description="Local pack in knowledge/local/ to use.")
    knowledge_dir: Path = Field(
        default_factory=bundled_knowledge_dir, description="Folder holding the knowledge base."
    )
    telegram_token: SecretStr | None = Field(default=None, description="Bot token from BotFather.")
    telegram_api_url: str | None = Field(
        default=None, description="Bot API root URL, e.g. http://127.0.0.1:8081 (a local server)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret token Telegram sends in webhook requests."
    )
    telegram_max_rate: float = Field(
        default=30,
        ge=0,
        description="Bot API requests per second one process allows itself (Telegram's flood "
        "limit is about 30 messages a second per bot); 0 for no limit, as against a test server.",
    )
    officers_chat_id: int | None = Field(
        default=None, description="Telegram id of the officers' group chat."
    )
    officers_chat_channel: str = Field(
        default="telegram",
        description="The channel the officers' group chat is on (its adapter delivers to it).",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Key for encrypting data at rest (the newest key)."
    )
    old_secret_keys: SecretStr | None = Field(
        default=None,
        description="Older keys, comma-separated, still read while `sendbot keys rotate` runs.",
    )
    hash_key: SecretStr | None = Field(
        default=None,
        description="Key for keyed hashes and audit signatures; defaults to the secret key. "
        "Never rotated: set it to the first secret key before rotating that key.",
    )
    key_file: Path | None = Field(
        default=None,
        description="Key file made for the terminal demo when no secret key is set; by default "
        "beside the SQLite database (sendbot.db.key for sendbot.db).",
    )
    log_level: str = Field(default="INFO", description="Logging level.")
    max_message_chars: int = Field(
        default=4000, description="Longest parent message accepted, in characters."
    )
    state_idle_days: int = Field(default=30, description="Days before idle chat state is purged.")
    gap_days: int = Field(
        default=90, ge=1, description="Days redacted knowledge-gap questions are kept."
    )
    closed_ticket_days: int = Field(
        default=180,
        ge=1,
        description="Days after a ticket closes before its content is removed (the council sets).",
    )
    outbox_days: int = Field(
        default=30, ge=1, description="Days delivered or failed outgoing messages are kept."
    )
    link_code_days: int = Field(
        default=30, ge=1, description="Days a case link code from the council stays valid."
    )
    link_flood_failures: int = Field(
        default=50,
        ge=1,
        description="Failed case-link attempts from all chats together within "
        "SENDBOT_FLOOD_MINUTES at which officers are alerted and linking pauses for everyone "
        "until the rate falls (each chat also has its own limit of 5 a day).",
    )
    invite_flood_failures: int = Field(
        default=20,
        ge=1,
        description="Failed officer invite attempts from all chats within SENDBOT_FLOOD_MINUTES "
        "at which officers are alerted and joining pauses until the rate falls.",
    )
    flood_minutes: int = Field(
        default=60, ge=1, description="The window the two flood limits above count in."
    )
    case_max_parents: int = Field(
        default=2, ge=1, description="How many parents' chats may link to one case."
    )
    officer_display: Literal["role", "first_name"] = Field(
        default="role",
        description="How officers are shown to parents: by their role, or by their first name.",
    )
    officer_invite_days: int = Field(
        default=7, ge=1, description="Days an officer invite code stays valid."
    )
    ticket_working_days: int = Field(
        default=5,
        ge=1,
        description="Working days to answer a question or Local Offer feedback "
        "(complaints use the local pack's stage 1 limit).",
    )
    urgent_working_days: int = Field(
        default=1, ge=1, description="Working days to pick up an urgent ticket."
    )

    web_allowed_origins: str = Field(
        default="",
        description="Web chat: origins allowed to embed the chat (its widget), comma-separated, "
        "e.g. https://localoffer.example.gov.uk; none by default.",
    )
    web_cookie_secure: bool = Field(
        default=True,
        description="Web chat: send the session cookie over HTTPS only; false only for "
        "http://127.0.0.1 during development.",
    )
    web_cookie_samesite: Literal["Lax", "Strict"] = Field(
        default="Lax", description="Web chat: the session cookie's SameSite rule."
    )
    web_rate_session: str = Field(
        default="30/minute",
        description="Web chat: messages and presses one session may send, e.g. 30/minute.",
    )
    web_rate_ip: str = Field(
        default="300/minute",
        description="Web chat: requests one IP address may make to the chat's API.",
    )
    web_rate_storage: str = Field(
        default="database",
        description="Web chat: where rate-limit counts live: database (shared by every "
        "process), or a limits storage URI: async+redis://host:6379, or async+memory:// "
        "(one process only).",
    )
    web_trust_proxy: bool = Field(
        default=False,
        description="Web chat: take the client's address from X-Forwarded-For (behind a proxy).",
    )
    web_history_kept: int = Field(
        default=100, ge=10, description="Web chat: messages kept in a session's visible history."
    )

    @cached_property
    def web_origins(self) -> tuple[str, ...]:
        """The origins allowed to embed the web chat."""
        return tuple(
            o.strip().rstrip("/") for o in self.web_allowed_origins.split(",") if o.strip()
        )

    @cached_property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite."""
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
