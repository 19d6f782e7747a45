"""A real OpenID provider for tests: panva's oidc-provider (tests/web) in a Node process.

The provider's issuer is http://localhost:PORT while the console runs on 127.0.0.1, so
a browser treats the two as different sites, as it does a council's directory.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from tests.webbrowser import free_port

WEB = Path(__file__).resolve().parent / "web"
SCRIPT = WEB / "oidc_provider.mjs"
MODULE = WEB / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "sendbot-console"
CLIENT_SECRET = "test-only-client-secret-0123456789abcdef"
STARTUP_SECONDS = 20

# The directory's people: a login name and what the ID token says about them.
USERS: dict[str, dict[str, Any]] = {
    "sam": {"email": "Sam.Officer@Testshire.gov.uk", "email_verified": True, "amr": ["pwd", "mfa"]},
    "pat": {"email": "pat.officer@testshire.gov.uk", "email_verified": True, "amr": ["pwd"]},
    "una": {"email": "una.officer@testshire.gov.uk", "email_verified": False, "amr": ["mfa"]},
    "stranger": {"email": "stranger@testshire.gov.uk", "email_verified": True, "amr": ["mfa"]},
}


def missing_provider() -> str | None:
    """Why the local provider cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (the local OpenID provider runs on Node.js)"
    if not MODULE.exists():
        return "oidc-provider is not installed (run npm install in tests/web)"
    return None


@dataclass
class LocalProvider:
    """A running provider and the settings that point the console at it."""

    issuer: str
    process: subprocess.Popen[str]

    def settings(self, **more: object) -> dict[str, object]:
        """Settings overrides for the console to use this provider."""
        return {
            "console_oidc_issuer": self.issuer,
            "console_oidc_client_id": CLIENT_ID,
            "console_oidc_client_secret": SecretStr(CLIENT_SECRET),
            "console_oidc_button": "Sign in with Testshire account",
            **more,
        }


@contextmanager
def local_provider(folder: Path, redirect_uri: str) -> Iterator[LocalProvider]:
    """Start the provider on a free port with one client registered; stop it after."""
    port = free_port()
    issuer = f"http://localhost:{port}"
    config = folder / "oidc-provider.json"
    config.write_text(
        json.dumps(
            {
                "port": port,
                "issuer": issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uri": redirect_uri,
                "users": USERS,
            }
        ),
        encoding="utf-8",
    )
    node = shutil.which("node") or "node"
    process = subprocess.Popen(
        [node, str(SCRIPT), str(config)],
        cwd=WEB,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    ready = threading.Event()

    def wait_for_ready() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("ready "):
                ready.set()

    threading.Thread(target=wait_for_ready, daemon=True).start()
    try:
        if not ready.wait(STARTUP_SECONDS):
            raise RuntimeError("the local OpenID provider did not start")
        yield LocalProvider(issuer, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
