"""Bot processes for the end-to-end benchmark: `sendbot run --webhook-url`, or the echo bot.

Each process listens on its own loopback port, talks to the fake Bot API given by
SENDBOT_TELEGRAM_API_URL, and is always stopped (SIGTERM, then SIGKILL) on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from sendbot.bench.fake_api import TOKEN

HOOK_PATH = "telegram/hook"
WEBHOOK_URL = f"https://bot.example.invalid/{HOOK_PATH}"
READY_WITHIN_S = 60.0
STOP_WITHIN_S = 15.0


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class BotSpec:
    """What to start: the real bot or the echo bot, and its environment."""

    echo: bool
    env: dict[str, str]
    cwd: Path  # a scratch folder, so no .env file of the caller's is read
    profile_dir: Path | None = None  # run under cProfile, writing one file per process
    echo_client: str = "httpx"  # the echo bot's Bot API client: "httpx" or "aiohttp"

    def command(self, port: int) -> list[str]:
        """The command line of one process listening on a port."""
        python = [sys.executable]
        if self.profile_dir is not None:
            python += ["-m", "cProfile", "-o", str(self.profile_dir / f"bot-{port}.prof")]
        if self.echo:
            return [*python, "-m", "sendbot.bench.echo_bot", "--port", str(port), "--path",
                    HOOK_PATH, "--client", self.echo_client]  # fmt: skip
        return [*python, "-m", "sendbot", "run", "--webhook-url", WEBHOOK_URL,
                "--listen", "127.0.0.1", "--port", str(port)]  # fmt: skip


@dataclass
class BotProcess:
    """One running bot process."""

    port: int
    process: asyncio.subprocess.Process
    log_path: Path
    peak_rss_mb: float = 0.0

    def log_tail(self, lines: int = 20) -> str:
        """The end of what the process wrote to stderr and stdout."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def read_peak_rss_mb(self) -> float:
        """The process's peak resident memory so far (VmHWM), in MB; 0 when unknown."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return self.peak_rss_mb
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                self.peak_rss_mb = max(self.peak_rss_mb, int(line.split()[1]) / 1024)
        return self.peak_rss_mb


@dataclass
class BotGroup:
    """The bot processes of one run."""

    processes: list[BotProcess] = field(default_factory=list)

    @property
    def ports(self) -> list[int]:
        """Each process's port."""
        return [p.port for p in self.processes]

    @property
    def pids(self) -> list[int]:
        """Each process's id."""
        return [p.process.pid for p in self.processes]

    def peak_rss_mb(self) -> float:
        """The largest peak RSS of any process."""
        return max((p.read_peak_rss_mb() for p in self.processes), default=0.0)

    def check_alive(self) -> None:
        """Raise, with the log's tail, if a process has exited."""
        for bot in self.processes:
            if bot.process.returncode is not None:
                raise RuntimeError(
                    f"bot process on port {bot.port} exited with {bot.process.returncode}:\n"
                    + bot.log_tail()
                )


def bot_environment(
    base: dict[str, str], api_url: str, database_url: str, secret: str, **extra: str
) -> dict[str, str]:
    """The environment of a bot process: the caller's, minus other SENDBOT_ settings, plus ours."""
    env = {k: v for k, v in base.items() if not k.startswith("SENDBOT_")}
    env.update(
        SENDBOT_TELEGRAM_TOKEN=TOKEN,
        SENDBOT_TELEGRAM_API_URL=api_url,
        SENDBOT_WEBHOOK_SECRET=secret,
        SENDBOT_DATABASE_URL=database_url,
        SENDBOT_LOG_LEVEL="WARNING",
        SENDBOT_TELEGRAM_MAX_RATE="0",  # the fake server has no flood limit to respect
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


async def _wait_ready(bot: BotProcess, deadline: float) -> None:
    """Wait until the process accepts connections on its port."""
    loop = asyncio.get_running_loop()
    while True:
        if bot.process.returncode is not None:
            raise RuntimeError(
                f"bot process exited with {bot.process.returncode} before serving:\n"
                + bot.log_tail()
            )
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", bot.port)
        except OSError:
            if loop.time() > deadline:
                raise TimeoutError(f"bot on port {bot.port} not ready:\n{bot.log_tail()}") from None
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return


async def _stop(bot: BotProcess) -> None:
    """SIGTERM, then SIGKILL if it will not go."""
    if bot.process.returncode is not None:
        return
    bot.read_peak_rss_mb()
    with contextlib.suppress(ProcessLookupError):
        bot.process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(bot.process.wait(), STOP_WITHIN_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            bot.process.kill()
        await bot.process.wait()


@contextlib.asynccontextmanager
async def running_bots(
    spec: BotSpec, count: int, log_dir: Path | None = None
) -> AsyncIterator[BotGroup]:
    """Start `count` processes, wait until each serves, and always stop them afterwards."""
    group = BotGroup()
    with contextlib.ExitStack() as files:
        folder = log_dir or Path(files.enter_context(tempfile.TemporaryDirectory()))
        try:
            for _ in range(count):
                port = free_port()
                log_path = folder / f"bot-{port}.log"
                log_file = files.enter_context(log_path.open("wb"))
                process = await asyncio.create_subprocess_exec(
                    *spec.command(port),
                    env=spec.env,
                    cwd=spec.cwd,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=log_file,
                )
                group.processes.append(BotProcess(port, process, log_path))
            deadline = asyncio.get_running_loop().time() + READY_WITHIN_S
            for bot in group.processes:
                await _wait_ready(bot, deadline)
            yield group
        finally:
            await asyncio.gather(*(_stop(bot) for bot in group.processes))
