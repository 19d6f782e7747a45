"""The placeholders that stand in the text for what redaction removed."""

from __future__ import annotations

EMAIL = "[email]"
LINK = "[link]"
PHONE = "[phone]"
NHS = "[NHS number]"
NUMBER = "[number]"
POSTCODE = "[postcode]"
ADDRESS = "[address]"
SCHOOL = "[school]"
DATE = "[date]"
NAME = "[name]"
NI_NUMBER = "[NI number]"
