"""Assemble the bot from settings: keys, database, knowledge and dialogue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from sendbot.clock import Clock, system_clock
from sendbot.config import Settings
from sendbot.core.dialogue import Dialogue
from sendbot.core.flows import build_router
from sendbot.core.keyring import KeyMissing, Keyring, read_or_create_key_file
from sendbot.core.privacy.fingerprints import check_keys
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


def key_file_for(settings: Settings) -> Path | None:
    """The demo's key file: SENDBOT_KEY_FILE, or beside the SQLite database it belongs to."""
    if settings.key_file is not None:
        return settings.key_file
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = Path(url.database).expanduser()
    return database.with_name(database.name + ".key")


def _database_exists(settings: Settings) -> bool:
    """Whether the database may hold data already (any server database might)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return True
    if not url.database or url.database == ":memory:":
        return False
    path = Path(url.database).expanduser()
    return path.exists() and path.stat().st_size > 0


def build_keyring(
    settings: Settings, allow_key_file: bool, create: bool = True, exists: bool | None = None
) -> Keyring:
    """Use SENDBOT_SECRET_KEY (and any old and hashing keys), or for the demo a key file.

    A key file is made only for a database that does not exist yet: a new key for an
    existing database would write link codes and data that never match what is there.
    """
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return keyring_from_settings(settings)
    path = key_file_for(settings) if allow_key_file else None
    if path is not None and path.exists():
        return Keyring([read_or_create_key_file(path)])
    if exists is None:
        exists = _database_exists(settings)
    if path is not None and exists:
        raise KeyMissing(
            f"no key for the existing database: SENDBOT_SECRET_KEY is not set and there is "
            f"no key file {path}. Set SENDBOT_SECRET_KEY to the key the bot uses with this "
            "database (a new key would issue codes and data that never match it)."
        )
    if path is not None and create:
        return Keyring([read_or_create_key_file(path)])
    raise KeyMissing(
        "SENDBOT_SECRET_KEY is not set. It protects parents' data: set it to a long random "
        "value, for example the output of: "
        'python -c "import secrets; print(secrets.token_urlsafe(32))"'
    )


async def open_database(settings: Settings, keyring: Keyring, clock: Clock) -> Database:
    """Open the database (migrating an empty one) and refuse keys that are not its own."""
    database = Database(settings.database_url, clock=clock)
    try:
        await database.ensure_ready()
        await check_hashing_key(database, keyring)
        await check_keys(database, keyring, clock())
    except BaseException:
        await database.dispose()
        raise
    return database


@asynccontextmanager
async def open_app(
    settings: Settings, *, allow_key_file: bool = False, clock: Clock = system_clock
) -> AsyncIterator[App]:
    """Open the database (migrating an empty one) and build the dialogue; close on exit.

    `clock` is the program's one clock: the services read it, and the database stamps
    rows with whatever clock the services hold (so a test may swap it for a frozen one).
    """
    exists = None
    if allow_key_file and not (settings.secret_key and settings.secret_key.get_secret_value()):
        probe = Database(
            settings.database_url, clock=clock
        )  # an unreachable database says so first
        try:
            exists = await probe.schema_state() != "empty"
        finally:
            await probe.dispose()
    keyring = build_keyring(settings, allow_key_file, exists=exists)
    services = build_services(settings, keyring, clock)
    database = await open_database(settings, keyring, lambda: services.clock())
    try:
        dialogue = Dialogue(services, database, build_router())
        yield App(settings, services, database, dialogue)
    finally:
        await database.dispose()
