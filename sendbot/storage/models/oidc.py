"""Single sign-on to the console: pending sign-ins and the directory identities linked.

A pending sign-in is found by a keyed hash of its `state` and bound to the browser that
began it by a keyed hash of a random cookie value; its nonce and PKCE code verifier are
kept encrypted. It is used once and expires. An identity is the directory's (issuer,
subject) pair, found by a keyed hash of the two, linked to one console account.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sendbot.storage.models.base import Base, stamped_now


class OidcLogin(Base):
    """A sign-in begun at the directory: single use, expiring, shared by every process."""

    __tablename__ = "console_oidc_logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    browser_hash: Mapped[str] = mapped_column(String(64), index=True)
    nonce: Mapped[str] = mapped_column(Text)  # Fernet token
    code_verifier: Mapped[str] = mapped_column(Text)  # Fernet token
    created_at: Mapped[datetime] = mapped_column(default=stamped_now)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set when the directory's answer was accepted but the security code is still due.
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("console_accounts.id", ondelete="CASCADE"), default=None
    )
    done_at: Mapped[datetime | None] = mapped_column(default=None)


class OidcIdentity(Base):
    """A directory identity linked to a console account (never made for an unknown one)."""

    __tablename__ = "console_oidc_identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity_key: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("console_accounts.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(512))
    linked_at: Mapped[datetime] = mapped_column(default=stamped_now)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
