"""The transport-independent core: it knows nothing of Telegram."""
