"""Update -> Inbound: who the bot serves and what kind of message each update is."""

from __future__ import annotations

from telegram import Update

from sendbot.adapters.telegram.translate import Audience, to_inbound
from sendbot.core.messages import Inbound, InboundKind
from tests.fakes.bot_api import BOT_USERNAME, OFFICERS_CHAT_ID, FakeBotAPI, JSONDict

AUDIENCE = Audience(officers_chat_id=OFFICERS_CHAT_ID, bot_username=BOT_USERNAME)
api = FakeBotAPI()


def translate(update: JSONDict, audience: Audience = AUDIENCE) -> Inbound | None:
    return to_inbound(Update.de_json(update, None), audience)


def test_private_text_commands_and_buttons() -> None:
    text = translate(api.text_update(42, "hello <b>"))
    assert text is not None and text.kind is InboundKind.TEXT and text.text == "hello <b>"
    assert text.channel == "telegram" and text.chat_id == "42" and text.private
    assert text.update_id is not None and text.user_id is None
    command = translate(api.text_update(42, "/mycase ABCDE-23456"))
    assert command is not None and command.kind is InboundKind.COMMAND
    assert command.command == "mycase" and command.argument == "ABCDE-23456"
    button = translate(api.button_update(42, "m:menu", message_id=7))
    assert button is not None and button.kind is InboundKind.BUTTON
    assert (button.text, button.message_id) == ("m:menu", "7")


def test_media_is_unsupported() -> None:
    for kind in ("photo", "voice", "sticker", "document"):
        inbound = translate(api.media_update(42, kind))
        assert inbound is not None and inbound.kind is InboundKind.UNSUPPORTED, kind


def test_other_groups_pass_messages_only_and_the_officers_group_is_served() -> None:
    command = translate(api.text_update(-100555, "/start"))
    assert command is not None and not command.private and command.command == "start"
    assert translate(api.button_update(-100555, "m:menu")) is None
    assert translate(api.media_update(-100555, "photo")) is None
    assert translate(api.text_update(OFFICERS_CHAT_ID, "/tickets")) is not None
    assert translate(api.button_update(OFFICERS_CHAT_ID, "o:c:T-1"), Audience()) is None


def test_officers_group_messages_name_the_officer_and_the_message_replied_to() -> None:
    update = api.text_update(OFFICERS_CHAT_ID, "We will call them today", user_id=3141)
    update["message"]["reply_to_message"] = api.message(
        OFFICERS_CHAT_ID, api.bot_user(), text="Ticket T-1234: question"
    )
    inbound = translate(update)
    assert inbound is not None and not inbound.private
    assert inbound.user_id == "3141" and inbound.sender_id == "3141"
    assert inbound.reply_to == "Ticket T-1234: question"
    pressed = translate(api.button_update(OFFICERS_CHAT_ID, "claim:1"))
    assert pressed is not None and pressed.user_id == str(abs(OFFICERS_CHAT_ID))


def test_commands_for_other_bots_and_service_messages_in_groups_are_ignored() -> None:
    assert translate(api.text_update(OFFICERS_CHAT_ID, "/help@another_bot")) is None
    ours = translate(api.text_update(OFFICERS_CHAT_ID, f"/help@{BOT_USERNAME}"))
    assert ours is not None and ours.command == "help"
    joined = api.message(OFFICERS_CHAT_ID, api.person(5), new_chat_members=[api.person(6)])
    assert translate({"update_id": 99, "message": joined}) is None
    assert translate(api.media_update(OFFICERS_CHAT_ID, "photo")) is None


def test_updates_without_a_message_are_ignored() -> None:
    assert translate({"update_id": 100}) is None
    assert translate(api.member_update(42, "kicked")) is None
