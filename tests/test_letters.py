"""Letters for missed time limits: the templates, the filled letter, its files, the flow."""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sendbot.adapters.terminal import TerminalChat
from sendbot.app import App, open_app
from sendbot.config import Settings, bundled_knowledge_dir
from sendbot.core.cases.deadlines import CaseFacts, deadlines
from sendbot.core.letters import files
from sendbot.core.letters.compose import available, compose
from sendbot.core.messages import Inbound, InboundKind, Outbound
from sendbot.kb.check import check_knowledge
from sendbot.kb.letters import DEADLINE_KEYS, load_letters
from sendbot.kb.loader import KnowledgeError, load_knowledge
from sendbot.kb.texts import Texts
from sendbot.storage.models import Base, Case
from tests.casefiles import code_for, seed
from tests.webclient import web_client

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)
CHECKED = date(2026, 12, 3)  # the letters were reviewed on this day
KNOWLEDGE = bundled_knowledge_dir()
# Request 2 March 2026: decision due 13 April (made 20 April), final plan due 20 July 2026;
# on 23 November 2026 no final plan: 126 days, 18 weeks, late.
LATE = {
    "case_ref": "LATE1",
    "child_first_name": "Ava",
    "child_dob": "2014-02-01",
    "request_date": "2026-03-02",
    "stage": "draft_issued",
    "decision_date": "2026-04-20",
    "draft_date": "2026-09-01",
}


def case(**fields: object) -> Case:
    """A stored-looking case, without a database."""
    values: dict[str, object] = {
        "id": 7,
        "reference": "LATE1",
        "child_name": "",
        "stage": "draft_issued",
        "request_date": date(2026, 3, 2),
        "decision_date": date(2026, 4, 20),
        "draft_date": date(2026, 9, 1),
        "final_date": None,
        "last_review_date": None,
        "next_transfer_date": None,
        "transfer_kind": None,
        "exception": None,
    }
    values.update(fields)
    return Case(**values)


def test_every_time_limit_has_one_letter_with_sources() -> None:
    letters = load_letters(KNOWLEDGE)
    assert set(letters) == set(DEADLINE_KEYS)
    for letter in letters.values():
        assert letter.sources and letter.reviewed == date(2026, 12, 3)
        assert any("legislation.gov.uk" in (s.url or "") for s in letter.sources)


def test_kb_check_passes_the_real_letters() -> None:
    report = check_knowledge(KNOWLEDGE, CHECKED)
    rows = [r for r in report.rows if r.scope == "letters"]
    assert len(rows) == 5 and all(r.status == "ok" for r in rows)
    assert not [f for f in report.errors if f.where.startswith("letters/")]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("{{ due_date }}", "{{ due_dat }}"), "unknown placeholder(s): due_dat"),
        (("{{ due_date }}", "{{ due_date "), "template error"),
        (("reviewed: 2026-12-03", "reviewed: 2027-01-01"), "in the future"),
        (("deadlines: [final]", "deadlines: [finale]"), "unknown deadline"),
        (("deadlines: [final]", "deadlines: [decision]"), "already has"),
        (("id: final-plan-late", "id: other"), "does not match id"),
    ],
)
def test_kb_check_refuses_a_bad_letter(
    tmp_path: Path, change: tuple[str, str], problem: str
) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    path = root / "letters" / "final-plan-late.yaml"
    text = path.read_text()
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1))
    report = check_knowledge(root, CHECKED)
    found = [f.message for f in report.errors if f.where == "letters/final-plan-late"]
    assert found and problem in found[0], found
    if "future" not in problem:
        with pytest.raises(KnowledgeError):
            load_letters(root)


def test_a_letter_without_sources_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    path = root / "letters" / "decision-late.yaml"
    text = path.read_text()
    start = text.index("sources:")
    path.write_text(text[:start] + "sources: []\n" + text[text.index("reviewed:") :])
    errors = [f.message for f in check_knowledge(root, CHECKED).errors]
    assert any("sources" in e for e in errors), errors


def bristol() -> tuple[Texts, object]:
    return Texts.load(KNOWLEDGE / "messages.yaml"), load_knowledge(KNOWLEDGE, "bristol")


def test_the_final_plan_letter_is_filled_from_the_case_and_the_local_pack() -> None:
    texts, kb = bristol()
    letters = load_letters(KNOWLEDGE)
    record = case()
    fits = available(record, TODAY, letters)
    assert [d.key for d, _ in fits] == ["final"]
    deadline, template = fits[0]
    letter = compose(template, deadline, record, "Ava", kb, texts, TODAY)  # type: ignore[arg-type]
    text = letter.text
    assert text.startswith("[Your name]\n[Your address]")
    assert "23 November 2026" in text
    assert "To: Bristol City Council SEND assessment team\n" in text
    assert "By e-mail: sen@bristol.gov.uk" in text
    assert "Re: Ava (your reference LATE1): the final EHC plan is overdue" in text
    assert "You received the request for an education, health and care (EHC) needs" in text
    assert "on 2 March 2026" in text
    assert (
        "Regulation 13(2) of the Special Educational Needs and Disability Regulations 2014" in text
    )
    assert "That time ran out on 20 July 2026" in text
    assert "it is now 18 weeks late" in text
    assert "none of the exceptions in regulation 10(4)(a) to (d) applies" in text
    assert "By 7 December 2026, please tell me in writing the date you will send it" in text
    assert text.rstrip().endswith("Parent of Ava")
    assert "{" not in text and "\n\n\n" not in text
    assert "Ombudsman" in letter.next_steps and "pre-action letter" in letter.next_steps
    assert letter.stem == "letter-LATE1-final-plan-late"


def test_a_recorded_exception_is_named_in_the_letter() -> None:
    texts, kb = bristol()
    record = case(exception="c")
    deadline, template = available(record, TODAY, load_letters(KNOWLEDGE))[0]
    text = compose(template, deadline, record, "Ava", kb, texts, TODAY).text  # type: ignore[arg-type]
    assert "exception under regulation 10(4)(c): exceptional personal circumstances" in text
    assert "none of the exceptions" not in text


def test_values_are_never_run_as_template_code() -> None:
    texts, kb = bristol()
    record = case(reference="X{{7*7}}")
    deadline, template = available(record, TODAY, load_letters(KNOWLEDGE))[0]
    letter = compose(
        template, deadline, record, "{{ 7*7 }}{% if 1 %}x{% endif %}", kb, texts, TODAY
    )  # type: ignore[arg-type]
    assert "{{ 7*7 }}{% if 1 %}x{% endif %}" in letter.text and "49" not in letter.text
    assert letter.stem == "letter-X-7-7-final-plan-late"


def test_letters_for_review_amendment_and_phase_transfer() -> None:
    texts, kb = bristol()
    letters = load_letters(KNOWLEDGE)
    # Plan made 13 October 2025, reviewed 1 June 2026, no amended plan since: the amended
    # plan was due 12 weeks after the meeting (24 August 2026). The next review falls on
    # 1 June 2027, and the move to secondary school on 1 September 2027 needs the plan
    # amended before 15 February 2027: neither has passed.
    record = case(
        stage="final_issued",
        final_date=date(2025, 10, 13),
        last_review_date=date(2026, 6, 1),
        next_transfer_date=date(2027, 9, 1),
        transfer_kind="school",
    )
    fits = available(record, TODAY, letters)
    assert [d.key for d, _ in fits] == ["amendment"]
    deadline, template = fits[0]
    text = compose(template, deadline, record, "Leo", kb, texts, TODAY).text  # type: ignore[arg-type]
    assert (
        "review meeting for Leo's education, health and care (EHC) plan was held on 1 June 2026"
        in text
    )
    assert "Regulation 22(3)" in text and "by 24 August 2026 at the latest" in text
    assert "[2022] EWHC 493 (Admin)" in text
    # A year later, with no review: the review (due 1 June 2027) and the transfer (due
    # 14 February 2027) have both passed.
    later = date(2027, 6, 10)
    keys = [d.key for d, _ in available(record, later, letters)]
    assert keys == ["amendment", "transfer_school", "review"]
    for deadline, template in available(record, later, letters):
        text = compose(template, deadline, record, "Leo", kb, texts, later).text  # type: ignore[arg-type]
        if deadline.key == "review":
            assert "Section 44(1) of the Children and Families Act 2014" in text
            assert "counted from 1 June 2026 ran out on 1 June 2027" in text
        if deadline.key == "transfer_school":
            assert "Regulation 18(1)(b)" in text and "before 15 February" in text
            assert "That was by 14 February 2027" in text


def test_post16_transfer_letter_names_31_march() -> None:
    texts, kb = bristol()
    record = case(
        stage="final_issued",
        final_date=date(2025, 10, 13),
        last_review_date=None,
        next_transfer_date=date(2027, 9, 1),
        transfer_kind="post16",
    )
    later = date(2027, 4, 6)
    fits = dict((d.key, (d, t)) for d, t in available(record, later, load_letters(KNOWLEDGE)))
    deadline, template = fits["transfer_post16"]
    text = compose(template, deadline, record, "Mia", kb, texts, later).text  # type: ignore[arg-type]
    assert "Regulation 18(1)(a)" in text and "before 31 March" in text
    assert "That was by 30 March 2027" in text and "it is now 1 week late" in text


def test_no_letter_while_time_limits_are_still_running() -> None:
    facts = CaseFacts(
        stage="assessing", request_date=date(2026, 9, 7), decision_date=date(2026, 10, 12)
    )
    assert all(d.status(TODAY) != "overdue" for d in deadlines(facts))
    record = case(
        request_date=date(2026, 9, 7), decision_date=date(2026, 10, 12), stage="assessing"
    )
    assert available(record, TODAY, load_letters(KNOWLEDGE)) == []


def test_the_pdf_and_text_files(monkeypatch: pytest.MonkeyPatch) -> None:
    texts, kb = bristol()
    record = case()
    deadline, template = available(record, TODAY, load_letters(KNOWLEDGE))[0]
    letter = compose(template, deadline, record, "Zoë", kb, texts, TODAY)  # type: ignore[arg-type]
    name, content = files.text_file(letter)
    assert name == "letter-LATE1-final-plan-late.txt"
    assert content.decode("utf-8") == letter.text
    made = files.pdf_file(letter, NOW)
    assert made is not None and made[0].endswith(".pdf") and made[1].startswith(b"%PDF")
    # Without a Unicode font, Latin-1 text still makes a PDF; other scripts make none.
    monkeypatch.setattr(files, "UNICODE_FONTS", ())
    assert files.pdf_file(letter, NOW) is not None
    other = compose(template, deadline, record, "Зоя", kb, texts, TODAY)  # type: ignore[arg-type]
    assert files.pdf_file(other, NOW) is None


@pytest.fixture
async def letters_app(settings: Settings, knowledge_dir: Path) -> AsyncIterator[App]:
    shutil.copytree(KNOWLEDGE / "letters", knowledge_dir / "letters")
    async with open_app(settings.model_copy(update={"web_cookie_secure": False})) as ready:
        ready.services.clock = lambda: NOW
        yield ready


async def linked(app: App, chat_id: str, tmp_path: Path) -> tuple[TerminalChat, Outbound]:
    """Import LATE and link it to a terminal chat; the chat and the status shown."""
    await seed(app, [LATE], tmp_path / "late.csv", NOW)
    code = await code_for(app, LATE["case_ref"], NOW)
    parent = TerminalChat(app.dialogue, chat_id=chat_id, out=io.StringIO())
    await app.dialogue.handle(Inbound("terminal", chat_id, InboundKind.BUTTON, "c:a"))
    await parent.send(code)
    replies = await parent.send("01/02/2014")
    return parent, replies[1]


async def row_counts(app: App) -> dict[str, int]:
    async with app.database.unit_of_work() as uow:
        return {
            name: int((await uow.session.execute(select(func.count()).select_from(table))).scalar())
            for name, table in Base.metadata.tables.items()
        }


async def test_two_taps_from_my_case_give_the_letter_and_keep_nothing(
    letters_app: App, tmp_path: Path
) -> None:
    _, status = await linked(letters_app, "parent-1", tmp_path)
    write = [b for b in status.flat_buttons if b.label == "✉️ Write to the council"]
    assert len(write) == 1 and write[0].data.startswith("l:w:")
    before = await row_counts(letters_app)
    # Tap 1: My case (the status); tap 2: Write to the council.
    status_again = await letters_app.dialogue.handle(
        Inbound("terminal", "parent-1", InboundKind.BUTTON, "m:case")
    )
    assert any(b.data == write[0].data for r in status_again for b in r.flat_buttons)
    replies = await letters_app.dialogue.handle(
        Inbound("terminal", "parent-1", InboundKind.BUTTON, write[0].data)
    )
    assert all(r.meta.get("ephemeral") for r in replies)
    assert "Your letter to Testshire Council (fictional)" in replies[0].html
    assert "I don't send it for you, and I don't keep it" in replies[0].html
    assert "Regulation 13(2)" in replies[1].html and "20 July 2026" in replies[1].html
    documents = [r.document for r in replies if r.document]
    assert [d[0] for d in documents] == [
        "letter-LATE1-final-plan-late.pdf",
        "letter-LATE1-final-plan-late.txt",
    ]
    assert documents[1][1].decode().startswith("[Your name]")
    assert "If nothing happens" in replies[-1].html
    assert any(b.data.startswith("c:v:") for b in replies[-1].flat_buttons)
    # Nothing was written: no table has a row more than before.
    assert await row_counts(letters_app) == before


async def test_another_chat_cannot_write_about_the_case(letters_app: App, tmp_path: Path) -> None:
    _, status = await linked(letters_app, "parent-1", tmp_path)
    data = next(b.data for b in status.flat_buttons if b.data.startswith("l:w:"))
    replies = await letters_app.dialogue.handle(
        Inbound("terminal", "stranger", InboundKind.BUTTON, data)
    )
    assert not any(r.document for r in replies)
    assert "Regulation" not in " ".join(r.html for r in replies)


async def test_the_terminal_saves_the_files(letters_app: App, tmp_path: Path) -> None:
    parent, _ = await linked(letters_app, "parent-2", tmp_path)
    out = io.StringIO()
    parent.out = out
    parent.files_dir = tmp_path / "files"
    parent.files_dir.mkdir()
    number = next(i for i, b in enumerate(parent.buttons, 1) if b.data.startswith("l:w:"))
    await parent.send(str(number))
    saved = sorted(p.name for p in parent.files_dir.iterdir())
    assert saved == ["letter-LATE1-final-plan-late.pdf", "letter-LATE1-final-plan-late.txt"]
    assert "Regulation 13(2)" in out.getvalue()


async def test_the_web_chat_shows_the_letter_and_keeps_none_of_it(
    letters_app: App, tmp_path: Path
) -> None:
    await seed(letters_app, [LATE], tmp_path / "late.csv", NOW)
    code = await code_for(letters_app, LATE["case_ref"], NOW)
    async with web_client(letters_app) as chat:
        await chat.open()
        await chat.press("c:a")
        await chat.send(code)
        status = (await chat.send("01/02/2014"))[-1]
        data = next(
            b["data"] for row in status["buttons"] for b in row if b["data"].startswith("l:w:")
        )
        kept = len(await chat.history())
        messages = await chat.press(data)
        assert any("Regulation 13(2)" in m["html"] for m in messages)
        assert all(m["id"] == 0 for m in messages)
        assert len(await chat.history()) == kept
        assert not any("Regulation 13(2)" in m["html"] for m in await chat.history())
        files_shown = [m["file"] for m in messages if "file" in m]
        assert files_shown == [
            data.replace("l:w:", "l:f:") + s for s in (":final:pdf", ":final:txt")
        ]
        response = await chat.client.post(
            "/chat/file", json={"data": files_shown[0]}, headers={"X-CSRF-Token": chat.csrf}
        )
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Cache-Control"] == "no-store"
        assert (await response.read()).startswith(b"%PDF")
        refused = await chat.client.post(
            "/chat/file", json={"data": "c:v:1"}, headers={"X-CSRF-Token": chat.csrf}
        )
        assert refused.status == 400
        # Without scripts, the page itself shows the letter once.
        page = await chat.client.post("/chat/press", data={"data": data, "csrf": chat.csrf})
        assert page.status == 200 and "Regulation 13(2)" in await page.text()
        assert len(await chat.history()) == kept


async def test_on_telegram_the_letter_is_one_tap_from_the_status(
    settings: Settings, letters_app: App, tmp_path: Path
) -> None:
    from tests.fakes.harness import PARENT_CHAT_ID, TelegramChat, telegram_bot

    await seed(letters_app, [LATE], tmp_path / "late.csv", NOW)
    code = await code_for(letters_app, LATE["case_ref"], NOW)
    async with telegram_bot(settings, letters_app) as (api, application):
        chat = TelegramChat(api, application, PARENT_CHAT_ID)
        await chat.send(f"/mycase {code}")
        calls = await chat.send("01/02/2014")
        buttons = [b for c in calls for row in c.keyboard for b in row]
        write = [b for b in buttons if b["text"] == "✉️ Write to the council"]
        assert len(write) == 1
        await chat.press_data(write[0]["callback_data"])
        documents = api.called("sendDocument")
        names = [next(iter(c.files.values()))[0] for c in documents]
        assert names == ["letter-LATE1-final-plan-late.pdf", "letter-LATE1-final-plan-late.txt"]
        texts = " ".join(c.text or "" for c in api.called("sendMessage"))
        assert "Regulation 13(2)" in texts and "If nothing happens" in texts
