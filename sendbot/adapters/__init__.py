"""Adapters: thin translators between a transport and the core."""
