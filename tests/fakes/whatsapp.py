"""Drive the real WhatsApp adapter (its webhook on a test server) against the fake Cloud API."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from sendbot.adapters.whatsapp.handlers import WhatsAppHandlers
from sendbot.adapters.whatsapp.serve import attach
from sendbot.app import App
from sendbot.config import Settings
from sendbot.core.outbox import DeliveryReport, deliver_due
from tests.fakes.cloud_api import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    TOKEN,
    VERIFY_TOKEN,
    VERSION,
    FakeCloudAPI,
    WhatsAppPhone,
    fake_cloud,
)

PARENT_WA_ID = "447700900123"  # an Ofcom drama number


def whatsapp_settings(settings: Settings, api_url: str, **changes: object) -> Settings:
    """Settings pointing the adapter at the fake Cloud API."""
    return settings.model_copy(
        update={
            "whatsapp_token": SecretStr(TOKEN),
            "whatsapp_phone_number_id": PHONE_NUMBER_ID,
            "whatsapp_app_secret": SecretStr(APP_SECRET),
            "whatsapp_verify_token": SecretStr(VERIFY_TOKEN),
            "whatsapp_api_url": api_url,
            "whatsapp_api_version": VERSION,
            "whatsapp_max_rate": 0,
            **changes,
        }
    )


@dataclass
class WhatsAppBot:
    """The adapter serving one App, the fake Cloud API, and a test client of the webhook."""

    app: App
    api: FakeCloudAPI
    handlers: WhatsAppHandlers
    client: TestClient[web.Request, web.Application]

    def phone(self, wa_id: str = PARENT_WA_ID) -> WhatsAppPhone:
        """A parent's WhatsApp."""
        return WhatsAppPhone(self.client, self.api, wa_id)

    async def run_outbox(self) -> DeliveryReport:
        """What the outbox job does every few seconds."""
        services = self.app.services
        return await deliver_due(
            self.app.database, services.keyring, self.handlers.sender, services.clock()
        )


@asynccontextmanager
async def whatsapp_bot(app: App, **changes: object) -> AsyncIterator[WhatsAppBot]:
    """The WhatsApp webhook for `app` on a test server, talking to a fake Cloud API."""
    async with fake_cloud(lambda: app.services.clock()) as (api, url):
        served = dataclasses.replace(app, settings=whatsapp_settings(app.settings, url, **changes))
        web_app = web.Application()
        handlers = attach(web_app, served, jobs=False)
        async with TestClient(TestServer(web_app)) as client:
            yield WhatsAppBot(served, api, handlers, client)
