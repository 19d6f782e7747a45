"""Assemble the bot from settings: keys, database, knowledge and dialogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sendbot.clock import Clock, system_clock
from sendbot.config import Settings
from sendbot.core.dialogue import Dialogue
from sendbot.core.flows import build_router
from sendbot.core.keyring import KeyMissing, Keyring, read_or_create_key_file
from sendbot.core.privacy.keys import check_hashing_key, keyring_from_settings
from sendbot.core.services import Services, build_services
from sendbot.storage.db import Database


@dataclass
class App:
    """A ready bot: its services, database and dialogue."""

    settings: Settings
    services: Services
    database: Database
    dialogue: Dialogue


def build_keyring(settings: Settings, allow_key_file: bool, create: bool = True) -> Keyring:
    """Use SENDBOT_SECRET_KEY (and any old and hashing keys), or for the demo a key file."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return keyring_from_settings(settings)
    if allow_key_file and (create or settings.key_file.exists()):
        return Keyring([read_or_create_key_file(settings.key_file)])
    raise KeyMissing(
        "SENDBOT_SECRET_KEY is not set. It protects parents' data: set it to a long random "
        "value, for example the output of: "
        'python -c "import secrets; print(secrets.token_urlsafe(32))"'
    )


@asynccontextmanager
async def open_app(
    settings: Settings, *, allow_key_file: bool = False, clock: Clock = system_clock
) -> AsyncIterator[App]:
    """Open the database (migrating an empty one) and build the dialogue; close on exit.

    `clock` is the program's one clock: the services read it, and the database stamps
    rows with whatever clock the services hold (so a test may swap it for a frozen one).
    """
    keyring = build_keyring(settings, allow_key_file)
    services = build_services(settings, keyring, clock)
    database = Database(settings.database_url, clock=lambda: services.clock())
    try:
        await database.ensure_ready()
        await check_hashing_key(database, keyring)
        dialogue = Dialogue(services, database, build_router())
        yield App(settings, services, database, dialogue)
    finally:
        await database.dispose()
