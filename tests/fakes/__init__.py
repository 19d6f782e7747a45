"""Test doubles: a fake Telegram Bot API, in process and over loopback HTTP."""
