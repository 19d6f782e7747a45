"""GOV.UK Notify, through its official client, as the core's Notifier.

The client is synchronous (requests), so each call runs in a worker thread. Errors map to
the outbox's: a refused recipient (400) is gone, a rate limit or server error is temporary.
Nothing logged here names the contact.
"""

from __future__ import annotations

import asyncio
import logging

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient
from requests import RequestException

from sendbot.config import Settings
from sendbot.core.notifier import Channel, Template
from sendbot.core.outbox import RecipientGone, TemporaryFailure

log = logging.getLogger(__name__)
TIMEOUT_S = 15


class NotifyNotConfigured(RuntimeError):
    """A Notify key or template id is missing from the settings."""


class GovNotify:
    """Sends e-mails and text messages with the templates named in the settings."""

    def __init__(self, settings: Settings) -> None:
        if settings.notify_api_key is None:
            raise NotifyNotConfigured("set SENDBOT_NOTIFY_API_KEY")
        self.settings = settings
        self.client = NotificationsAPIClient(
            settings.notify_api_key.get_secret_value(),
            base_url=settings.notify_base_url,
            timeout=TIMEOUT_S,
        )

    def template_id(self, channel: Channel, template: Template) -> str:
        """The template id for a channel and purpose, from the settings."""
        value = getattr(self.settings, f"notify_{channel}_{template}_template")
        if not value:
            raise NotifyNotConfigured(
                f"set SENDBOT_NOTIFY_{channel.upper()}_{template.upper()}_TEMPLATE"
            )
        return str(value)

    async def send(
        self, channel: Channel, contact: str, template: Template, values: dict[str, str]
    ) -> str:
        """Send one message; return Notify's id for it."""
        template_id = self.template_id(channel, template)
        try:
            if channel == "email":
                response = await asyncio.to_thread(
                    self.client.send_email_notification,
                    email_address=contact,
                    template_id=template_id,
                    personalisation=values,
                )
            else:
                response = await asyncio.to_thread(
                    self.client.send_sms_notification,
                    phone_number=contact,
                    template_id=template_id,
                    personalisation=values,
                )
        except HTTPError as error:
            status = getattr(error, "status_code", 0)
            log.warning("notify %s refused: HTTP %s", channel, status)
            if status == 400:
                raise RecipientGone("refused by Notify") from None
            if status == 429 or status >= 500:
                raise TemporaryFailure(f"Notify HTTP {status}") from None
            raise
        except RequestException as error:
            raise TemporaryFailure(type(error).__name__) from None
        return str(response.get("id", ""))
