"""The WhatsApp adapter: a thin translator between the Cloud API and the core."""

from sendbot.adapters.whatsapp.translate import CHANNEL

__all__ = ["CHANNEL"]
