"""The officers' console in a real browser (the system's Chromium) with axe-core's scan.

One story, in order: an officer sets up their account (the TOTP code computed from the
key the page shows), signs in, finds a Telegram parent's new ticket by words in it, claims
it, replies (the parent receives it), adds a note the parent never sees, and closes it; a
lead reads the report page and its CSV; an officer on a lead's page gets 403; a removed
officer is signed out. Every console page is scanned by axe-core. Skipped where the tools
are missing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pyotp
import pytest

from sendbot.core.accounts.accounts import add_account
from sendbot.core.messages import Inbound, InboundKind
from sendbot.core.outbox import deliver_due
from tests.test_escalation import Sender
from tests.webbrowser import (
    Servers,
    accessible,
    browser_settings,
    chromium,
    console_page,
    missing_tools,
    serving,
)

REASON = missing_tools()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
GROUP = -1001299
PASSWORD = "a long and memorable pass phrase"
PARENT = "801"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    settings = browser_settings(tmp_path_factory.mktemp("consolebrowser"), officers_chat_id=GROUP)
    with serving(settings, lambda running: {"console_url": running.chat_origin}) as up:
        yield up


@pytest.fixture(scope="module")
def browser(servers: Servers) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def set_up_and_sign_in(servers: Servers, page: Any, email: str, role: str = "officer") -> None:
    """Follow a fresh set-up link, then sign in: the codes computed from the key shown."""
    app = servers.app
    assert app is not None

    async def link() -> str:
        async with app.database.unit_of_work() as uow:
            made = await add_account(
                uow,
                app.services.keyring,
                app.settings,
                app.services.clock(),
                email,
                role,
                "cli:test",
            )
        return made.url

    page.goto(servers.call(link()))
    page.get_by_role("heading", name="Set up your account").wait_for()
    accessible(page)
    assert page.get_by_role("img", name="QR code for your authenticator app").count() == 1
    secret = page.locator("#setup-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Security code").fill(totp.now())
    page.get_by_role("button", name="Set up account").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    # Each code works once: the next 30 seconds' code (apps may run that far ahead).
    page.get_by_label("Security code").fill(totp.at(app.services.clock() + timedelta(seconds=30)))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Inbox").wait_for()


def parent_asks(servers: Servers, text: str) -> str:
    """A Telegram parent talks to someone; the ticket's reference."""
    app = servers.app
    assert app is not None

    async def escalate() -> str:
        handle = app.dialogue.handle
        await handle(Inbound("telegram", PARENT, InboundKind.COMMAND, "/contact"))
        await handle(Inbound("telegram", PARENT, InboundKind.BUTTON, "k:k:question"))
        consent = await handle(Inbound("telegram", PARENT, InboundKind.TEXT, text))
        send = next(b.data for r in consent for b in r.flat_buttons if b.data.startswith("k:s:"))
        sent = await handle(Inbound("telegram", PARENT, InboundKind.BUTTON, send))
        found = re.search(r"T-[A-Z0-9]{6}", " ".join(r.html for r in sent))
        assert found
        return found.group(0)

    return servers.call(escalate())


def parent_receives(servers: Servers) -> str:
    """What the Telegram outbox delivers to the parent now."""
    app = servers.app
    assert app is not None
    sender = Sender()

    async def run() -> None:
        later = app.services.clock() + timedelta(days=1)
        await deliver_due(app.database, app.services.keyring, sender, later)

    servers.call(run())
    return html.unescape("\n".join(m.html for m in sender.to(PARENT)))


def test_an_officer_works_a_telegram_parents_ticket(browser: Any, servers: Servers) -> None:
    page = console_page(browser)
    set_up_and_sign_in(servers, page, "sam.officer@testshire.gov.uk")
    accessible(page)
    reference = parent_asks(servers, "Who decides on my EHCP?")
    page.reload()
    # Find the unclaimed ticket by its reference, open it and claim it.
    page.get_by_label("Search").fill(reference.lower())
    page.get_by_role("button", name="Filter").click()
    page.get_by_text("1 ticket", exact=True).wait_for()
    accessible(page)
    page.get_by_role("link", name=reference).click()
    page.get_by_role("heading", name=f"Ticket {reference}").wait_for()
    accessible(page)
    page.get_by_role("button", name="Claim").click()
    page.get_by_text("You have claimed this ticket.").wait_for()
    # Held now, it is found by words the parent wrote too (any case).
    page.goto(servers.chat_origin + "/officers")
    page.get_by_label("Search").fill("ehcp DECIDES")
    page.get_by_role("button", name="Filter").click()
    page.get_by_text("1 ticket", exact=True).wait_for()
    assert page.get_by_label("Search").input_value() == "ehcp DECIDES"
    page.get_by_role("link", name=reference).click()
    page.get_by_role("heading", name=f"Ticket {reference}").wait_for()
    assert page.get_by_text("Who decides on my EHCP?").count() == 1
    accessible(page)
    page.get_by_label("Reply", exact=True).fill("The local authority's panel decides.")
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Your reply is on its way to the parent.").wait_for()
    assert "The local authority's panel decides." in parent_receives(servers)
    page.get_by_label("Note", exact=True).fill("Parent may need SENDIASS details.")
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Parent may need SENDIASS details.").wait_for()
    page.get_by_role("button", name="Close ticket").click()
    page.get_by_role("button", name="Reopen ticket").wait_for()
    received = parent_receives(servers)
    assert "SENDIASS" not in received and reference in received
    for path in ("/officers/cases", "/officers/account", "/officers?state=closed"):
        page.goto(servers.chat_origin + path)
        accessible(page)
    # An officer on a lead's page: 403.
    response = page.goto(servers.chat_origin + "/officers/reports")
    assert response.status == 403
    page.get_by_role("heading", name="You do not have access to this page").wait_for()
    accessible(page)
    page.context.close()


def test_a_lead_reads_the_report_and_its_csv(browser: Any, servers: Servers) -> None:
    page = console_page(browser)
    set_up_and_sign_in(servers, page, "lee.lead@testshire.gov.uk", "lead")
    parent_asks(servers, "Can I ask for a different school?")
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("heading", name="Tickets received by month").wait_for()
    accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report as CSV").click()
    first = download.value.path().read_text(encoding="utf-8").splitlines()
    assert first[0].startswith("month,kind,received,met,missed,met_percent")
    for name in ("Local Offer feedback", "Knowledge gaps", "Audit log"):
        page.get_by_role("link", name=name).click()
        page.get_by_role("heading", name=name).wait_for()
        accessible(page)
    assert page.get_by_text("Audit log intact").count() == 1
    page.context.close()


def test_a_removed_officer_is_signed_out(browser: Any, servers: Servers) -> None:
    page = console_page(browser)
    email = "gone@testshire.gov.uk"
    set_up_and_sign_in(servers, page, email)
    app = servers.app
    assert app is not None

    async def remove() -> None:
        async with app.database.unit_of_work() as uow:
            officer = (await uow.officers.all())[-1]
            await uow.officers.remove(officer.id)

    servers.call(remove())
    page.reload()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.get_by_text("You have been signed out.").count() == 1
    page.context.close()


def test_the_sign_in_page_is_accessible_and_refuses_wrong_details(
    browser: Any, servers: Servers
) -> None:
    page = console_page(browser)
    page.goto(servers.chat_origin + "/officers")
    page.get_by_role("heading", name="Sign in").wait_for()
    accessible(page)
    page.get_by_label("Email").fill("nobody@testshire.gov.uk")
    page.get_by_label("Password", exact=True).fill("not a real password")
    page.get_by_label("Security code").fill("123456")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("The email, password or security code is not right").wait_for()
    accessible(page)
    page.context.close()
