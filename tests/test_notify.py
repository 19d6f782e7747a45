"""GOV.UK Notify for parents without Telegram: codes and alerts, against a local fake API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr
from sqlalchemy import select

from sendbot.adapters.notify import GovNotify
from sendbot.app import open_app
from sendbot.cli import cli
from sendbot.clock import FrozenClock
from sendbot.config import Settings
from sendbot.core.messages import Outbound
from sendbot.core.notifier import NotifierSender, normalise_contact
from sendbot.core.outbox import RecipientGone, TemporaryFailure
from sendbot.storage.models import CaseLink, OutboxMessage
from tests.casefiles import write_csv
from tests.fakes.notify import FakeNotify, fake_notify

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SECRET = "test-secret-key-not-for-production"
IDS = {
    "email_code": "11111111-1111-4111-8111-111111111111",
    "sms_code": "22222222-2222-4222-8222-222222222222",
    "email_alert": "33333333-3333-4333-8333-333333333333",
    "sms_alert": "44444444-4444-4444-8444-444444444444",
}
ROW = {
    "case_ref": "NT1",
    "child_first_name": "Ava",
    "child_dob": "2014-02-01",
    "request_date": "2026-09-07",
    "stage": "request_received",
}


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with fake_notify() as fake:
        yield fake


def notify_settings(settings: Settings, fake: FakeNotify) -> Settings:
    return settings.model_copy(
        update={
            "notify_api_key": SecretStr(fake.api_key),
            "notify_base_url": fake.base_url,
            **{f"notify_{k}_template": v for k, v in IDS.items()},
        }
    )


def test_contacts_are_normalised_or_refused() -> None:
    assert normalise_contact("email", " Parent@Example.COM ") == "parent@example.com"
    assert normalise_contact("email", "not an address") is None
    assert normalise_contact("sms", "07911 123456") == "+447911123456"
    assert normalise_contact("sms", "+44 7911 123456") == "+447911123456"
    assert normalise_contact("sms", "0117 922 3700") is None  # a landline gets no texts
    assert normalise_contact("sms", "hello") is None


async def test_email_and_sms_reach_notify_with_the_templates(
    settings: Settings, notify: FakeNotify
) -> None:
    notifier = GovNotify(notify_settings(settings, notify))
    first = await notifier.send("email", "parent@example.com", "code", {"code": "ABCDE-23456"})
    second = await notifier.send("sms", "+447911123456", "alert", {"message": "News"})
    assert first and second and first != second
    assert notify.rejected_tokens == 0
    assert notify.sent[0]["kind"] == "email" and notify.sent[0]["to"] == "parent@example.com"
    assert notify.sent[0]["template_id"] == IDS["email_code"]
    assert notify.sent[0]["personalisation"] == {"code": "ABCDE-23456"}
    assert notify.sent[1]["template_id"] == IDS["sms_alert"]


async def test_a_wrong_key_is_refused_by_the_fake(settings: Settings, notify: FakeNotify) -> None:
    wrong = notify_settings(settings, notify).model_copy(
        update={
            "notify_api_key": SecretStr(
                f"x-{notify.service_id}-{'0' * 8}-0000-4000-8000-{'0' * 12}"
            )
        }
    )
    with pytest.raises(Exception):  # noqa: B017 - the client's own HTTPError (403)
        await GovNotify(wrong).send("email", "parent@example.com", "code", {})
    assert notify.rejected_tokens == 1 and notify.sent == []


async def test_errors_map_to_the_outbox_and_never_log_the_contact(
    settings: Settings, notify: FakeNotify, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    notifier = GovNotify(notify_settings(settings, notify))
    with pytest.raises(RecipientGone):
        await notifier.send("sms", "+447911123999", "alert", {"message": "x"})
    with pytest.raises(TemporaryFailure):
        await notifier.send("email", "busy@example.com", "alert", {"message": "x"})
    offline = notify_settings(settings, notify).model_copy(
        update={"notify_base_url": "http://127.0.0.1:9"}
    )
    with pytest.raises(TemporaryFailure):
        await GovNotify(offline).send("email", "parent@example.com", "code", {})
    logged = caplog.text
    assert "7911123999" not in logged and "busy@example.com" not in logged


async def test_the_alert_sender_sends_plain_text(settings: Settings, notify: FakeNotify) -> None:
    sender = NotifierSender(GovNotify(notify_settings(settings, notify)), "email")
    await sender.send("parent@example.com", Outbound(html="📁 It is now at <b>assessing</b>."))
    assert notify.sent[0]["personalisation"] == {"message": "📁 It is now at assessing."}


def test_a_parent_without_telegram_gets_the_code_and_the_alerts(
    env_for_cli: dict[str, str], knowledge_dir: Path, tmp_path: Path, notify: FakeNotify
) -> None:
    env = dict(
        env_for_cli,
        SENDBOT_SECRET_KEY=SECRET,
        SENDBOT_NOTIFY_API_KEY=notify.api_key,
        SENDBOT_NOTIFY_BASE_URL=notify.base_url,
        **{f"SENDBOT_NOTIFY_{k.upper()}_TEMPLATE": v for k, v in IDS.items()},
    )
    runner = CliRunner()
    clock = FrozenClock(NOW)
    path = write_csv(tmp_path / "cases.csv", [ROW])
    assert runner.invoke(cli, ["cases", "import", str(path)], env=env, obj=clock).exit_code == 0
    sent = runner.invoke(
        cli,
        ["cases", "issue-code", "NT1", "--email", "Parent@Example.com", "--alerts"],
        env=env,
        obj=clock,
    )
    assert sent.exit_code == 0, sent.output
    assert "sent by e-mail through GOV.UK Notify" in sent.output
    assert "parent@example.com" not in sent.output.lower()
    code_mail = notify.sent[-1]
    assert code_mail["to"] == "parent@example.com"
    assert code_mail["template_id"] == IDS["email_code"]
    code = code_mail["personalisation"]["code"]
    assert len(code.replace("-", "")) == 10
    assert code_mail["personalisation"]["council"] == "Testshire Council (fictional)"
    assert code not in sent.output  # the code goes to the parent only
    # The stage moves on: the alert is queued for the e-mail link, then delivered.
    moved = write_csv(
        tmp_path / "moved.csv", [{**ROW, "stage": "assessing", "decision_date": "2026-10-12"}]
    )
    assert runner.invoke(cli, ["cases", "import", str(moved)], env=env, obj=clock).exit_code == 0
    later = FrozenClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # after the quiet hours
    delivered = runner.invoke(cli, ["notify", "deliver"], env=env, obj=later)
    assert delivered.exit_code == 0, delivered.output
    assert "email: 1 sent" in delivered.output
    alert = notify.sent[-1]
    assert alert["template_id"] == IDS["email_alert"] and alert["to"] == "parent@example.com"
    assert "NT1" in alert["personalisation"]["message"]
    assert "assessment" in alert["personalisation"]["message"].lower()


async def test_the_contact_is_kept_only_encrypted_and_hashed(
    env_for_cli: dict[str, str], settings: Settings, tmp_path: Path, notify: FakeNotify
) -> None:
    import asyncio

    env = dict(
        env_for_cli,
        SENDBOT_SECRET_KEY=SECRET,
        SENDBOT_NOTIFY_API_KEY=notify.api_key,
        SENDBOT_NOTIFY_BASE_URL=notify.base_url,
        **{f"SENDBOT_NOTIFY_{k.upper()}_TEMPLATE": v for k, v in IDS.items()},
    )
    path = write_csv(tmp_path / "cases.csv", [ROW])

    def run() -> None:
        runner = CliRunner()
        clock = FrozenClock(NOW)
        assert runner.invoke(cli, ["cases", "import", str(path)], env=env, obj=clock).exit_code == 0
        result = runner.invoke(
            cli,
            ["cases", "issue-code", "NT1", "--sms", "07911 123456", "--alerts"],
            env=env,
            obj=clock,
        )
        assert result.exit_code == 0, result.output
        refused = runner.invoke(
            cli, ["cases", "issue-code", "NT1", "--sms", "07911 123999"], env=env, obj=clock
        )
        assert refused.exit_code == 1 and "no code was issued" in refused.output

    await asyncio.to_thread(run)
    assert settings.database_url == env["SENDBOT_DATABASE_URL"]
    async with open_app(settings) as app:
        async with app.database.unit_of_work() as uow:
            links = list((await uow.session.execute(select(CaseLink))).scalars())
            queued = list((await uow.session.execute(select(OutboxMessage))).scalars())
        assert len(links) == 1 and links[0].channel == "sms"
        assert (
            "7911123456" not in (links[0].chat_ref or "") and "7911123456" not in links[0].chat_key
        )
        assert app.services.keyring.decrypt(links[0].chat_ref or "") == "+447911123456"
        assert queued == []
    assert [m["to"] for m in notify.sent] == ["+447911123456"]
