"""The WhatsApp adapter end to end: its webhook on a test server, the core, a fake Cloud API.

A parent asks, browses, links a case, escalates and gets an officer's reply; signatures,
duplicate deliveries, the 24-hour rule (held, notified, released), failures of the Cloud
API, /mydata and /deleteme, and the phone number never in the clear.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from sendbot.app import App
from sendbot.clock import FrozenClock
from sendbot.core.outbox import deliver_due
from sendbot.core.replies import QUICK_ATTEMPTS
from sendbot.storage.models import Conversation, OutboxMessage, TicketMessage
from tests.casefiles import code_for, seed
from tests.fakes.cloud_api import APP_SECRET, VERIFY_TOKEN, Sent, WhatsAppPhone, sign
from tests.fakes.harness import debug_logging
from tests.fakes.whatsapp import PARENT_WA_ID, whatsapp_bot
from tests.test_escalation import CASE_ROWS, ESC, make_officer, text_of

QUESTION = "Who decides on my EHCP? Ring me on 07700 900123"
REPLY_TEMPLATE = "sendbot_reply_waiting"
ALERT_TEMPLATE = "sendbot_case_news"


def choice(sent: list[Sent], prefix: str) -> str:
    """The id of the first choice whose id starts with a prefix."""
    found = [i for s in sent for _, i in s.choices if i.startswith(prefix)]
    assert found, f"no choice {prefix!r} in {[s.choices for s in sent]}"
    return found[0]


async def escalate(phone: WhatsAppPhone, words: str = QUESTION) -> str:
    """Talk to someone, a question, the words, Send; the ticket's reference."""
    await phone.send("/contact")
    await phone.press("k:k:question")
    consent = await phone.send(words)
    sent = await phone.press(choice(consent, "k:s:"))
    reference = sent[-1].text.split("*")[1]
    assert reference.startswith("T-"), sent[-1].text
    return reference


async def statuses(app: App) -> list[str]:
    """The outbox statuses of the messages officers sent to parents, oldest first."""
    async with app.database.unit_of_work() as uow:
        keys = (await uow.session.execute(select(TicketMessage.outbox_key))).scalars().all()
        found = await uow.tickets.deliveries([k for k in keys if k])
    return [found[k] for k in keys if k]


async def test_subscription_check_echoes_the_challenge_only_for_our_token(app: App) -> None:
    async with whatsapp_bot(app) as bot:
        query = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
        ok = await bot.client.get(
            "/whatsapp/webhook", params={**query, "hub.verify_token": VERIFY_TOKEN}
        )
        assert ok.status == 200 and await ok.text() == "1158201444"
        for wrong in (
            {**query, "hub.verify_token": "guess"},
            query,
            {"hub.verify_token": VERIFY_TOKEN},
        ):
            refused = await bot.client.get("/whatsapp/webhook", params=wrong)
            assert refused.status == 403 and "1158201444" not in await refused.text()


async def test_a_request_without_meta_s_signature_is_refused_unread(app: App) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        body = phone.notification(phone.message("text", {"body": "/start"}))
        raw = json.dumps(body).encode()
        forged = [
            None,  # no signature at all
            "sha256=" + "0" * 64,
            sign(raw, secret="another-app-secret"),
            sign(raw + b" "),  # the signature of another body
            sign(raw).removeprefix("sha256="),  # no algorithm
        ]
        for signature in forged:
            assert await phone.post(body, signature=signature or "") == 401
        assert await phone.post(body, signature=None) == 401
        assert bot.api.sent == []
        async with app.database.unit_of_work() as uow:
            assert (await uow.session.execute(select(Conversation))).first() is None
        bot.api.last_written[PARENT_WA_ID] = app.services.clock()
        assert await phone.post(body) == 200 and len(bot.api.sent) == 2
        assert APP_SECRET not in json.dumps([s.payload for s in bot.api.sent])


async def test_a_message_delivered_twice_is_answered_once(app: App) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        message = phone.message("text", {"body": "/start"})
        first = await phone.deliver(message)
        assert len(first) == 2
        assert await phone.deliver(message) == []
        # Two copies at the same moment (Meta retrying while the first is handled): one answer.
        again = phone.message("text", {"body": "/help"})
        results = await asyncio.gather(
            phone.post(phone.notification(again)), phone.post(phone.notification(again))
        )
        assert results == [200, 200]
        helps = [
            s for s in bot.api.to(PARENT_WA_ID) if "/ask" in s.text or "help" in s.text.lower()
        ]
        assert len(bot.api.to(PARENT_WA_ID)) == 3, [s.text[:40] for s in bot.api.to(PARENT_WA_ID)]
        assert helps


async def test_a_parent_asks_browses_links_escalates_and_gets_replies(
    app: App, frozen_clock: FrozenClock, tmp_path: Path
) -> None:
    await seed(app, CASE_ROWS, tmp_path / "cases.csv", frozen_clock())
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        # Ask: the entry's title in WhatsApp's bold, never HTML.
        answer = await phone.send("How long does an EHCP take?")
        title = app.services.kb.get("ehcp-timeline").title  # type: ignore[union-attr]
        assert answer[0].text.startswith(f"*{title}*")
        assert all("<b>" not in s.text and "</" not in s.text for s in answer)
        # Browse: the topics, a section, an entry.
        topics = await phone.send("/topics")
        section = await phone.press(choice(topics, "t:"))
        entry = await phone.press(choice(section, "e:"), list_row=True)
        assert entry[0].text.startswith("*")
        # Link a case.
        await phone.send(f"/mycase {await code_for(app, 'TS0001', frozen_clock())}")
        linked = await phone.send("03/05/2015")
        assert "TS0001" in " ".join(s.text for s in linked)
        # Escalate; an officer claims and replies; the parent gets it through the outbox.
        reference = await escalate(phone)
        officer = await make_officer(app, "701")
        await officer.send(f"/claim {reference}")
        await officer.send(f"/reply {reference} Yes: the council decides, within 16 weeks.")
        report = await bot.run_outbox()
        assert report.sent >= 1
        reply = bot.api.to(PARENT_WA_ID)[-1]
        assert "Yes: the council decides, within 16 weeks." in reply.text
        assert {i for _, i in reply.choices} >= {f"k:a:{reference}", f"k:z:{reference}"}
        # The parent adds a message with the Add button; the officer sees it.
        await phone.press(f"k:a:{reference}")
        added = await phone.send("Thank you, and who do I write to?")
        assert reference in added[-1].text
        view = await officer.send(f"/ticket {reference}")
        assert "Thank you, and who do I write to?" in text_of(view)
        assert ESC["delivery"]["sent"] in text_of(view)
        assert PARENT_WA_ID not in text_of(view) and "07700 900123" in text_of(view)


async def test_a_reply_after_24_hours_waits_until_the_parent_writes(
    app: App, frozen_clock: FrozenClock
) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        reference = await escalate(phone)
        officer = await make_officer(app, "702")
        await officer.send(f"/claim {reference}")
        frozen_clock.advance(timedelta(hours=25))
        await officer.send(f"/reply {reference} Here is the answer you asked for.")
        before = len(bot.api.sent)
        report = await bot.run_outbox()
        assert (report.sent, report.held) == (0, 1)
        assert len(bot.api.sent) == before  # nothing went: no template is set
        assert await statuses(app) == ["waiting"]
        view = await officer.send(f"/ticket {reference}")
        assert ESC["delivery"]["waiting"] in text_of(view)
        assert (await bot.run_outbox()).held == 0  # held messages are not tried again
        # The parent writes: the held reply comes first, then the answer to what they wrote.
        frozen_clock.advance(timedelta(days=2))
        answer = await phone.send("/help")
        assert "Here is the answer you asked for." in answer[0].text
        assert "Here is the answer" not in answer[-1].text
        assert await statuses(app) == ["sent"]


async def test_with_a_template_the_parent_is_told_once_and_pressing_it_delivers(
    app: App, frozen_clock: FrozenClock
) -> None:
    async with whatsapp_bot(app, whatsapp_template_reply=REPLY_TEMPLATE) as bot:
        phone = bot.phone()
        reference = await escalate(phone)
        officer = await make_officer(app, "703")
        await officer.send(f"/claim {reference}")
        frozen_clock.advance(timedelta(hours=30))
        await officer.send(f"/reply {reference} First part of the answer.")
        await bot.run_outbox()
        await officer.send(f"/reply {reference} Second part of the answer.")
        await bot.run_outbox()
        templates = [s for s in bot.api.to(PARENT_WA_ID) if s.type == "template"]
        assert [t.payload["template"] for t in templates] == [
            {"name": REPLY_TEMPLATE, "language": {"code": "en_GB"}}
        ]
        assert await statuses(app) == ["notified", "notified"]
        assert ESC["delivery"]["notified"] in text_of(await officer.send(f"/ticket {reference}"))
        # The parent presses the template's quick-reply button: both parts, then the menu.
        pressed = await phone.deliver(
            phone.message("button", {"payload": "Show me", "text": "Show me"})
        )
        texts = [s.text for s in pressed]
        assert "First part of the answer." in texts[0] and "Second part of the answer." in texts[1]
        assert "m:ask" in [i for _, i in pressed[-1].choices]
        assert await statuses(app) == ["sent", "sent"]


async def test_meta_s_re_engagement_error_holds_the_message_too(app: App) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        reference = await escalate(phone)
        officer = await make_officer(app, "704")
        await officer.send(f"/claim {reference}")
        await officer.send(f"/reply {reference} An answer Meta will refuse.")
        del bot.api.last_written[PARENT_WA_ID]  # Meta's clock says the window closed
        report = await bot.run_outbox()
        assert report.held == 1 and await statuses(app) == ["waiting"]


async def test_a_case_alert_out_of_the_window_sends_the_alert_template(
    app: App, frozen_clock: FrozenClock, tmp_path: Path
) -> None:
    await seed(app, CASE_ROWS, tmp_path / "cases.csv", frozen_clock())
    async with whatsapp_bot(app, whatsapp_template_alert=ALERT_TEMPLATE) as bot:
        phone = bot.phone()
        await phone.send(f"/mycase {await code_for(app, 'TS0001', frozen_clock())}")
        await phone.send("03/05/2015")
        frozen_clock.advance(timedelta(days=3))
        moved = [
            {
                **CASE_ROWS[0],
                "stage": "draft_issued",
                "decision_date": "2026-08-20",
                "draft_date": "2026-11-20",
            }
        ]
        await seed(app, moved, tmp_path / "moved.csv", frozen_clock())
        frozen_clock.advance(timedelta(hours=20))  # past any quiet hours
        report = await bot.run_outbox()
        assert report.held == 1
        [notice] = [s for s in bot.api.to(PARENT_WA_ID) if s.type == "template"]
        assert notice.payload["template"]["name"] == ALERT_TEMPLATE
        shown = await phone.send("/menu")
        assert "TS0001" in shown[0].text


async def test_a_reply_that_fails_once_is_tried_again_at_once_and_nothing_is_left_kept(
    app: App, frozen_clock: FrozenClock
) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        bot.api.fail_next(500, 131000)
        sent = await phone.send("/start")
        assert len(sent) == 2 and "sendbot" in sent[0].text
        async with app.database.unit_of_work() as uow:
            assert (await uow.session.execute(select(OutboxMessage))).scalars().all() == []


async def test_cloud_api_failures_are_retried_in_order_or_marked_undelivered(
    app: App, frozen_clock: FrozenClock
) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        bot.api.fail_next(500, 131000, times=QUICK_ATTEMPTS)
        assert await phone.send("/start") == []  # the first reply failed; both were kept
        async with app.database.unit_of_work() as uow:
            kept = (await uow.session.execute(select(OutboxMessage))).scalars().all()
        assert [m.kind for m in kept] == ["reply", "reply"]
        frozen_clock.advance(timedelta(minutes=5))
        assert (await bot.run_outbox()).sent == 2
        texts = [s.text for s in bot.api.to(PARENT_WA_ID)]
        assert "sendbot" in texts[0] and len(texts) == 2
        # A number that cannot receive messages: the officer's reply is undelivered.
        reference = await escalate(phone)
        officer = await make_officer(app, "705")
        await officer.send(f"/claim {reference}")
        await officer.send(f"/reply {reference} This will not arrive.")
        bot.api.fail_next(400, 131026)
        await bot.run_outbox()
        assert await statuses(app) == ["undelivered"]


async def test_mydata_sends_the_file_and_deleteme_erases_held_messages_too(
    app: App, frozen_clock: FrozenClock
) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        reference = await escalate(phone)
        sent = await phone.send("/mydata")
        assert sent[-1].type == "document"
        media = sent[-1].payload["document"]["id"]
        name, content, mime = bot.api.uploads[media]
        data = json.loads(content)
        assert mime == "application/json" and name.endswith(".json")
        assert data["about"]["channel"] == "whatsapp" and data["tickets"]
        assert PARENT_WA_ID not in content.decode()
        # An officer's reply is held after the window; /deleteme erases it with the rest.
        officer = await make_officer(app, "706")
        await officer.send(f"/claim {reference}")
        frozen_clock.advance(timedelta(hours=25))
        await officer.send(f"/reply {reference} Held, then erased.")
        assert (await bot.run_outbox()).held == 1
        ask = await phone.send("/deleteme")
        erased = await phone.press(choice(ask, "p:erase:"))
        assert erased and "Held, then erased." not in " ".join(s.text for s in erased)
        async with app.database.unit_of_work() as uow:
            assert (await uow.session.execute(select(OutboxMessage))).scalars().all() == []
            key = app.services.keyring.chat_key("whatsapp", PARENT_WA_ID)
            assert await uow.conversations.get(key) is None


async def test_the_phone_number_is_never_stored_or_logged_in_the_clear(
    app: App, frozen_clock: FrozenClock, tmp_path: Path
) -> None:
    await seed(app, CASE_ROWS, tmp_path / "cases.csv", frozen_clock())
    with debug_logging() as logs:
        async with whatsapp_bot(app) as bot:
            phone = bot.phone()
            await phone.send("/start")
            await phone.send(f"/mycase {await code_for(app, 'TS0001', frozen_clock())}")
            await phone.send("03/05/2015")
            reference = await escalate(phone)
            officer = await make_officer(app, "707")
            await officer.send(f"/claim {reference}")
            frozen_clock.advance(timedelta(hours=25))
            await officer.send(f"/reply {reference} An answer.")
            await bot.run_outbox()
            await phone.send("hello again")
    assert PARENT_WA_ID not in logs.text and "900123" not in logs.text
    dump = await database_text(app)
    assert PARENT_WA_ID not in dump and "7700900123" not in dump


async def database_text(app: App) -> str:
    """Every row of every table, as text."""
    from sendbot.storage.models import Base

    lines = []
    async with app.database.unit_of_work() as uow:
        for table in Base.metadata.sorted_tables:
            rows = await uow.session.execute(text(f'SELECT * FROM "{table.name}"'))
            lines += [repr(tuple(row)) for row in rows]
    return "\n".join(lines)


async def test_messages_for_other_numbers_and_statuses_are_answered_200_and_ignored(
    app: App,
) -> None:
    async with whatsapp_bot(app) as bot:
        phone = bot.phone()
        other = phone.notification(phone.message("text", {"body": "/start"}))
        other["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
        assert await phone.post(other) == 200
        status = phone.notification(phone.message("text", {"body": "x"}))
        value = status["entry"][0]["changes"][0]["value"]
        del value["messages"]
        value["statuses"] = [{"id": "wamid.out1", "status": "failed", "errors": [{"code": 131047}]}]
        assert await phone.post(status) == 200
        assert await phone.post({"object": "whatsapp_business_account", "entry": "bad"}) == 200
        raw = b"not json"
        response = await bot.client.post(
            "/whatsapp/webhook", data=raw, headers={"X-Hub-Signature-256": sign(raw)}
        )
        assert response.status == 400
        assert bot.api.sent == []


async def test_the_webhook_joins_the_web_chat_server(app: App, frozen_clock: FrozenClock) -> None:
    import dataclasses

    from aiohttp.test_utils import TestClient, TestServer

    from sendbot.adapters.web.server import build_web_app
    from sendbot.adapters.whatsapp.serve import attach, configured
    from tests.fakes.cloud_api import fake_cloud
    from tests.fakes.whatsapp import whatsapp_settings

    assert not configured(app.settings)
    async with fake_cloud(frozen_clock) as (api, url):
        served = dataclasses.replace(app, settings=whatsapp_settings(app.settings, url))
        assert configured(served.settings)
        web_app = build_web_app(served, jobs=False)
        handlers = attach(web_app, served, jobs=False)
        async with TestClient(TestServer(web_app)) as client:
            phone = WhatsAppPhone(client, api, PARENT_WA_ID)
            assert len(await phone.send("/start")) == 2
            assert (await client.get("/chat")).status == 200
        await deliver_due(app.database, app.services.keyring, handlers.sender, frozen_clock())
