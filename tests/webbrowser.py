"""The web chat served from a thread for browser tests, beside a council page on another port."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from sendbot.adapters.web.server import build_web_app
from sendbot.app import App, open_app
from sendbot.config import Settings

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--no-first-run"]  # fmt: skip
TIMEOUT_MS = 10_000
SECRET_KEY = "test-secret-key-not-for-production"
T = TypeVar("T")


def missing_tools() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if not AXE.exists():
        return f"no axe-core at {AXE} (npm install axe-core in tests/web)"
    return None


def free_port() -> int:
    """A free TCP port on the loopback address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def council_page(chat_origin: str) -> str:
    """A council's page with the widget pasted in."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local Offer</title>'
        "</head><body><main><h1>Local Offer</h1><p>Support for children with SEND.</p></main>"
        f'<script src="{chat_origin}/widget.js" defer></script></body></html>'
    )


class Servers(threading.Thread):
    """The chat (with its jobs) and a council page, each on its own port, in one loop."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True)
        self.settings = settings
        self.chat_port = free_port()
        self.page_port = free_port()
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.app: App | None = None
        self._halt: asyncio.Event | None = None
        self.error: BaseException | None = None

    @property
    def chat_origin(self) -> str:
        return f"http://127.0.0.1:{self.chat_port}"

    @property
    def page_origin(self) -> str:
        return f"http://127.0.0.1:{self.page_port}"

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as error:
            self.error = error
            self.ready.set()

    async def _main(self) -> None:
        self._halt = asyncio.Event()
        async with open_app(self.settings) as app:
            self.app = app
            chat = web.AppRunner(build_web_app(app), shutdown_timeout=1)
            page = web.Application()
            html = council_page(self.chat_origin)

            async def home(_: web.Request) -> web.Response:
                return web.Response(text=html, content_type="text/html")

            page.router.add_get("/", home)
            council = web.AppRunner(page)
            await chat.setup()
            await council.setup()
            await web.TCPSite(chat, "127.0.0.1", self.chat_port).start()
            await web.TCPSite(council, "127.0.0.1", self.page_port).start()
            self.ready.set()
            await self._halt.wait()
            await chat.cleanup()
            await council.cleanup()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine in the servers' loop (the app's database lives there)."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=30)

    def stop(self) -> None:
        if self._halt is not None:
            self.loop.call_soon_threadsafe(self._halt.set)
        self.join(timeout=10)


def knowledge_copy(target: Path) -> Path:
    """The test knowledge base with the real messages.yaml (as conftest's fixture makes)."""
    from sendbot.config import bundled_knowledge_dir

    here = Path(__file__).resolve().parent
    shutil.copytree(here / "data" / "kb", target)
    shutil.copy(bundled_knowledge_dir() / "messages.yaml", target / "messages.yaml")
    return target


def browser_settings(root: Path, **extra: Any) -> Settings:
    """Settings for a browser test's server: a scratch SQLite file and knowledge copy."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{root / 'sendbot.db'}",
        knowledge_dir=knowledge_copy(root / "knowledge"),
        council="testshire",
        secret_key=SECRET_KEY,  # type: ignore[arg-type]
        key_file=root / "key",
        web_cookie_secure=False,
        **extra,
    )


@contextlib.contextmanager
def serving(settings: Settings, origins: Callable[[Servers], dict[str, Any]]) -> Iterator[Servers]:
    """`sendbot web` and a council page on free ports, with settings that name their origins."""
    running = Servers(settings)
    running.settings = settings.model_copy(update=origins(running))
    running.start()
    running.ready.wait(30)
    assert running.error is None, running.error
    try:
        yield running
    finally:
        running.stop()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """The system's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def console_page(browser: Any) -> Any:
    """A new page for the console at a desk's size.

    bypass_csp only so that axe-core can be injected; the pages themselves run no script.
    """
    context = browser.new_context(viewport={"width": 1024, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical violations axe-core finds (the page's context bypasses CSP)."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await axe.run(document)")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def accessible(page: Any) -> None:
    """No serious or critical accessibility violation on the page."""
    assert axe_violations(page) == [], page.url
