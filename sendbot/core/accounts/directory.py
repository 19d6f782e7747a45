"""The council's directory as an OpenID provider, spoken to through Authlib.

Discovery reads the issuer's `.well-known/openid-configuration` on each sign-in (a
sign-in is rare; nothing is cached in a process). The authorization request carries
`state`, `nonce` and a PKCE S256 challenge; the code is exchanged with the client
secret; the ID token's signature (through the provider's JWKS), issuer, audience,
expiry, nonce and access-token hash are checked by Authlib and joserfc, with the
injected clock as "now".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from sendbot.config import Settings

CALLBACK_PATH = "/officers/oidc/callback"
SCOPE = "openid email"
TIMEOUT = 10.0
LEEWAY = 60  # seconds of clock difference allowed between us and the directory


class DirectoryError(Exception):
    """The directory could not be reached ("unavailable") or its answer failed a check."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who the directory says signed in: its claims that matter here."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    amr: tuple[str, ...]


def redirect_uri(settings: Settings) -> str:
    """The address the directory sends the browser back to (registered with it)."""
    return settings.console_url.rstrip("/") + CALLBACK_PATH


def _issuer(settings: Settings) -> str:
    if not settings.console_oidc_enabled or settings.console_oidc_issuer is None:
        raise DirectoryError("unconfigured")
    return settings.console_oidc_issuer.rstrip("/")


def validate_id_token(
    id_token: str,
    jwks: dict[str, Any],
    metadata: dict[str, Any],
    *,
    client_id: str,
    nonce: str,
    now: datetime,
    access_token: str | None = None,
) -> CodeIDToken:
    """An ID token's claims once signature, iss, aud, exp, nonce and at_hash all hold."""
    algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in algorithms if a != "none"]
    try:
        token = jwt.decode(
            id_token,
            KeySet.import_key_set(jwks),  # type: ignore[arg-type]
            registry=JWSRegistry(algorithms=algorithms, strict_check_header=False),
        )
        params: dict[str, Any] = {"nonce": nonce, "client_id": client_id}
        if access_token:
            params["access_token"] = access_token
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": client_id},
            "exp": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        }
        claims = CodeIDToken(token.claims, token.header, options, params)
        claims.validate(now=int(now.timestamp()), leeway=LEEWAY)
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise DirectoryError("token") from error
    return claims


def identity_of(claims: CodeIDToken) -> Identity:
    """The parts of validated claims the console uses."""
    amr = claims.get("amr") or []
    email = claims.get("email")
    return Identity(
        issuer=str(claims["iss"]).rstrip("/"),
        subject=str(claims["sub"]),
        email=email if isinstance(email, str) else None,
        email_verified=claims.get("email_verified") is True,
        amr=tuple(str(a) for a in amr) if isinstance(amr, list) else (),
    )


class Directory:
    """One sign-in's conversation with the directory (a client per call, closed after)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _client(self) -> AsyncOAuth2Client:
        settings = self.settings
        secret = settings.console_oidc_client_secret
        return AsyncOAuth2Client(
            client_id=settings.console_oidc_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            scope=SCOPE,
            redirect_uri=redirect_uri(settings),
            code_challenge_method="S256",
            timeout=TIMEOUT,
        )

    async def _get(self, client: AsyncOAuth2Client, url: str) -> dict[str, Any]:
        response = await client.request("GET", url, withhold_token=True)
        response.raise_for_status()
        found = response.json()
        if not isinstance(found, dict):
            raise DirectoryError("unavailable")
        return found

    async def _metadata(self, client: AsyncOAuth2Client) -> dict[str, Any]:
        """The provider's discovery document, whose issuer must be the one configured."""
        issuer = _issuer(self.settings)
        metadata = await self._get(client, issuer + "/.well-known/openid-configuration")
        if str(metadata.get("issuer", "")).rstrip("/") != issuer:
            raise DirectoryError("unavailable")
        return metadata

    async def authorization_url(self, state: str, nonce: str, code_verifier: str) -> str:
        """Where to send the browser to sign in at the directory."""
        try:
            async with self._client() as client:
                metadata = await self._metadata(client)
                url, _ = client.create_authorization_url(
                    metadata["authorization_endpoint"],
                    state=state,
                    code_verifier=code_verifier,
                    nonce=nonce,
                )
        except (httpx.HTTPError, KeyError, ValueError) as error:
            raise DirectoryError("unavailable") from error
        return str(url)

    async def identity(self, code: str, code_verifier: str, nonce: str, now: datetime) -> Identity:
        """Exchange the code for tokens and return who the validated ID token names."""
        try:
            async with self._client() as client:
                metadata = await self._metadata(client)
                token = await client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
                id_token = token.get("id_token")
                if not isinstance(id_token, str):
                    raise DirectoryError("token")
                jwks = await self._get(client, metadata["jwks_uri"])
        except httpx.TransportError as error:
            raise DirectoryError("unavailable") from error
        except (httpx.HTTPError, OAuthError, KeyError, ValueError) as error:
            raise DirectoryError("token") from error
        claims = validate_id_token(
            id_token,
            jwks,
            metadata,
            client_id=str(self.settings.console_oidc_client_id),
            nonce=nonce,
            now=now,
            access_token=token.get("access_token"),
        )
        return identity_of(claims)
