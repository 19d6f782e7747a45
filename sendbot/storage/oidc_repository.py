"""Single sign-on's pending sign-ins and linked identities: found only by keyed hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sendbot.storage.models import OidcIdentity, OidcLogin


class OidcRepository:
    """Reads and writes of the console's OpenID Connect sign-ins."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_login(self, login: OidcLogin) -> OidcLogin:
        """Store a sign-in just begun."""
        self.session.add(login)
        await self.session.flush()
        return login

    async def take_login(
        self, state_hash: str, browser_hash: str, now: datetime
    ) -> OidcLogin | None:
        """Use a pending sign-in once: the one with this state, from this browser, unexpired."""
        result = await self.session.execute(
            update(OidcLogin)
            .where(
                OidcLogin.state_hash == state_hash,
                OidcLogin.browser_hash == browser_hash,
                OidcLogin.used_at.is_(None),
                OidcLogin.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            return None  # another request (in any process) used it first, or none such
        query = select(OidcLogin).where(OidcLogin.state_hash == state_hash)
        login = (await self.session.execute(query)).scalar_one()
        await self.session.refresh(login)
        return login

    async def awaiting_code(self, browser_hash: str, now: datetime) -> OidcLogin | None:
        """This browser's newest accepted sign-in still waiting for its security code."""
        query = (
            select(OidcLogin)
            .where(
                OidcLogin.browser_hash == browser_hash,
                OidcLogin.account_id.is_not(None),
                OidcLogin.done_at.is_(None),
                OidcLogin.expires_at > now,
            )
            .order_by(OidcLogin.id.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def drop_expired(self, now: datetime) -> None:
        """Forget sign-ins that can no longer be used."""
        await self.session.execute(
            delete(OidcLogin)
            .where(OidcLogin.expires_at <= now)
            .execution_options(synchronize_session=False)
        )

    async def identity(self, identity_key: str) -> OidcIdentity | None:
        """A linked identity by the keyed hash of its issuer and subject."""
        query = select(OidcIdentity).where(OidcIdentity.identity_key == identity_key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def identity_of(self, account_id: int, issuer: str) -> OidcIdentity | None:
        """The identity an account is linked to at one issuer, if any."""
        query = select(OidcIdentity).where(
            OidcIdentity.account_id == account_id, OidcIdentity.issuer == issuer
        )
        return (await self.session.execute(query)).scalars().first()

    async def link(self, identity: OidcIdentity) -> OidcIdentity:
        """Link an identity to an account."""
        self.session.add(identity)
        await self.session.flush()
        return identity
