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
    cache_dir: Path | None = Field(
        default=None,
        description="Folder for files derived from the knowledge base (the fitted intent "
        "classifier, keyed by a hash of what it learns from); by default $XDG_CACHE_HOME/sendbot "
        "or ~/.cache/sendbot.",
    )
    embedding_voter: bool = Field(
        default=False,
        description="Consult sentence embeddings as a third voter (needs the optional "
        "`embeddings` extra; ignored without it). Off by default: on the evaluation sets it "
        "changed almost no outcome and costs about 150 ms a question.",
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
    # GOV.UK Notify (issue 22): link codes and case alerts by e-mail or text message.
    notify_api_key: SecretStr | None = Field(
        default=None, description="GOV.UK Notify API key (a team or live key)."
    )
    notify_base_url: str = Field(
        default="https://api.notifications.service.gov.uk",
        description="GOV.UK Notify API root (a local fake in tests).",
    )
    notify_email_code_template: str | None = Field(
        default=None,
        description="Notify e-mail template id for a link code ((code), (expires), (council)).",
    )
    notify_sms_code_template: str | None = Field(
        default=None, description="Notify text message template id for a link code."
    )
    notify_email_alert_template: str | None = Field(
        default=None, description="Notify e-mail template id for a case alert ((message))."
    )
    notify_sms_alert_template: str | None = Field(
        default=None, description="Notify text message template id for a case alert."
    )

    whatsapp_token: SecretStr | None = Field(
        default=None,
        description="WhatsApp: the Cloud API access token (a system user's permanent token).",
    )
    whatsapp_phone_number_id: str | None = Field(
        default=None, description="WhatsApp: the business phone number's id (not the number)."
    )
    whatsapp_app_secret: SecretStr | None = Field(
        default=None,
        description="WhatsApp: the Meta app's secret, which signs every webhook request.",
    )
    whatsapp_verify_token: SecretStr | None = Field(
        default=None,
        description="WhatsApp: the verify token typed into Meta's webhook settings.",
    )
    whatsapp_api_url: str = Field(
        default="https://graph.facebook.com", description="WhatsApp: the Graph API root URL."
    )
    whatsapp_api_version: str = Field(
        default="v23.0", description="WhatsApp: the Graph API version, e.g. v23.0."
    )
    whatsapp_template_reply: str | None = Field(
        default=None,
        description="WhatsApp: an approved utility template (no variables) telling a parent "
        "that an officer's reply waits; without it such replies wait silently.",
    )
    whatsapp_template_alert: str | None = Field(
        default=None,
        description="WhatsApp: an approved utility template (no variables) telling a parent "
        "that news of their child's case waits; without it alerts wait silently.",
    )
    whatsapp_template_language: str = Field(
        default="en_GB", description="WhatsApp: the language code of the two templates."
    )
    whatsapp_max_rate: float = Field(
        default=20,
        ge=0,
        description="WhatsApp: Cloud API messages per second one process allows itself "
        "(Meta's default is 80 a second per number); 0 for no limit.",
    )

    console_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Officers' console: the address officers open (set-up links start with it).",
    )
    console_idle_minutes: int = Field(
        default=30,
        ge=1,
        description="Officers' console: minutes without activity that end a session.",
    )
    console_session_hours: int = Field(
        default=12, ge=1, description="Officers' console: hours after which any session ends."
    )
    console_setup_hours: int = Field(
        default=72, ge=1, description="Officers' console: hours a set-up link stays valid."
    )
    console_signin_failures: int = Field(
        default=5,
        ge=1,
        description="Officers' console: failed sign-ins to one e-mail within "
        "SENDBOT_CONSOLE_LOCKOUT_MINUTES that lock it until the rate falls.",
    )
    console_lockout_minutes: int = Field(
        default=15, ge=1, description="Officers' console: the window sign-in failures count in."
    )
    console_flood_failures: int = Field(
        default=50,
        ge=1,
        description="Officers' console: failed sign-ins to all e-mails within "
        "SENDBOT_FLOOD_MINUTES at which officers are alerted and sign-in pauses for everyone.",
    )

    console_oidc_issuer: str | None = Field(
        default=None,
        description="Officers' console: the OpenID Connect issuer URL of the council's "
        "directory (e.g. https://login.microsoftonline.com/TENANT-ID/v2.0); unset, no "
        "single sign-on.",
    )
    console_oidc_client_id: str | None = Field(
        default=None, description="Officers' console: the client (application) id registered there."
    )
    console_oidc_client_secret: SecretStr | None = Field(
        default=None, description="Officers' console: the client secret registered there."
    )
    console_oidc_button: str = Field(
        default="Sign in with your council account",
        description="Officers' console: the sign-in button's words, e.g. 'Sign in with Microsoft'.",
    )
    console_oidc_second_factor: Literal["either", "provider", "code"] = Field(
        default="either",
        description="Officers' console: after single sign-on, 'either' accepts the directory's "
        "MFA (amr) or asks for the console's security code, 'provider' requires the "
        "directory's MFA, 'code' always asks for the security code.",
    )
    console_oidc_mfa_values: str = Field(
        default="mfa",
        description="Officers' console: comma-separated amr values that mean the directory "
        "did multi-factor authentication.",
    )
    console_oidc_trust_email: bool = Field(
        default=False,
        description="Officers' console: link an account by the ID token's email claim even "
        "without email_verified (Entra ID sends none; only for a single-tenant issuer).",
    )

    @cached_property
    def web_origins(self) -> tuple[str, ...]:
        """The origins allowed to embed the web chat."""
        return tuple(
            o.strip().rstrip("/") for o in self.web_allowed_origins.split(",") if o.strip()
        )

    @property
    def console_oidc_enabled(self) -> bool:
        """Whether single sign-on to the console is configured."""
        return bool(
            self.console_oidc_issuer
            and self.console_oidc_client_id
            and self.console_oidc_client_secret
        )

    @cached_property
    def is_sqlite(self) -> bool:
        """Whether the database is SQLite."""
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
