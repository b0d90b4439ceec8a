"""Start, watch and stop the real bot process (`python -m bot`) against a FakeBotAPI."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from tests.fakebotapi import FakeBotAPI

T = TypeVar("T")
Mode = Literal["polling", "webhook"]

ADMIN_ID: Final = 1001
# Every wait on the bot is bounded by this; a start-up alone takes 1-2 s.
TIMEOUT: Final = 15.0
STOP_TIMEOUT: Final = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def random_token() -> str:
    """A bot token unique to one test, so that a leak of it is unambiguous in a log."""
    return f"{secrets.randbelow(10**9) + 10**9}:{secrets.token_urlsafe(24)}"


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any TELECRM_* variable, plus ``settings``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TELECRM_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


def text_of(message: Mapping[str, Any]) -> str:
    """The plain text of a bot message, as a user would read it."""
    return str(message.get("plain_text", ""))


def containing(fragment: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate for wait_for_message: the message's plain text contains ``fragment``."""
    return lambda message: fragment in text_of(message)


def button_data(message: Mapping[str, Any]) -> list[str]:
    """The callback data of every inline button of a bot message, row by row."""
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    return [str(b["callback_data"]) for row in rows for b in row if "callback_data" in b]


@dataclass
class CliResult:
    """The outcome of a one-shot `python -m bot ...` run."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        """Non-empty lines of stderr."""
        return [line for line in self.stderr.splitlines() if line.strip()]


async def run_cli(
    args: list[str], *, env: Mapping[str, str], cwd: Path, seconds: float = TIMEOUT
) -> CliResult:
    """Run `python -m bot <args>` to completion (bounded) and capture its output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(seconds):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        await proc.communicate()
        raise AssertionError(
            f"`python -m bot {' '.join(args)}` did not exit in {seconds}s"
        ) from None
    assert proc.returncode is not None
    return CliResult(proc.returncode, out.decode(), err.decode())


class BotProcess:
    """One running `python -m bot run`, with its stdout and stderr captured to files."""

    def __init__(self, proc: asyncio.subprocess.Process, stdout: Path, stderr: Path) -> None:
        self.proc = proc
        self.stdout_path = stdout
        self.stderr_path = stderr

    @property
    def returncode(self) -> int | None:
        """The exit status, or None while it runs."""
        return self.proc.returncode

    def stderr(self) -> str:
        """Everything the process wrote to stderr so far."""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        """Everything the process wrote to stdout so far."""
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    async def guard(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable``, failing at once (with the bot's stderr) if the bot exits first."""
        task = asyncio.ensure_future(awaitable)
        exited = asyncio.ensure_future(self.proc.wait())
        try:
            await asyncio.wait({task, exited}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pending in (task, exited):
                if not pending.done():
                    pending.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await pending
        if task.done() and not task.cancelled():
            return task.result()
        raise AssertionError(
            f"the bot exited with status {self.proc.returncode}; its stderr:\n{self.stderr()}"
        )

    async def stop(self, seconds: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then wait (bounded); SIGKILL if it does not exit. Returns the exit status."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(seconds):
                    await self.proc.wait()
            except TimeoutError:
                await self.kill()
                raise AssertionError(
                    f"the bot ignored SIGTERM for {seconds}s; its stderr:\n{self.stderr()}"
                ) from None
        assert self.proc.returncode is not None
        return self.proc.returncode

    async def kill(self) -> None:
        """SIGKILL and reap."""
        if self.proc.returncode is None:
            self.proc.kill()
            async with asyncio.timeout(STOP_TIMEOUT):
                await self.proc.wait()


class BotLauncher:
    """Starts bot processes for one test: one fake server, one database, one workdir."""

    def __init__(self, api: FakeBotAPI, workdir: Path) -> None:
        self.api = api
        self.workdir = workdir
        self.database = workdir / "telecrm.db"
        self.webhook_port = free_port()
        self.webhook_url = f"http://127.0.0.1:{self.webhook_port}/hook"
        self.webhook_secret = secrets.token_urlsafe(32)
        self.processes: list[BotProcess] = []

    def env(self, mode: Mode = "polling", log_level: str = "INFO", **extra: str) -> dict[str, str]:
        """A clean environment configuring the bot against this test's fake server."""
        settings = {
            "TELECRM_BOT_TOKEN": self.api.token,
            "TELECRM_API_BASE_URL": self.api.base_url,
            "TELECRM_API_BASE_FILE_URL": self.api.base_file_url,
            "TELECRM_DATABASE_URL": f"sqlite:///{self.database}",
            "TELECRM_ADMIN_IDS": str(ADMIN_ID),
            "TELECRM_MODE": mode,
            "TELECRM_LOG_LEVEL": log_level,
        }
        if mode == "webhook":
            settings |= {
                "TELECRM_WEBHOOK_URL": self.webhook_url,
                "TELECRM_WEBHOOK_LISTEN": "127.0.0.1",
                "TELECRM_WEBHOOK_PORT": str(self.webhook_port),
                "TELECRM_WEBHOOK_SECRET": self.webhook_secret,
            }
        return clean_environment(**settings, **extra)

    async def start(self, mode: Mode = "polling", log_level: str = "INFO") -> BotProcess:
        """Start `python -m bot run` in the workdir (so no repository .env is read)."""
        number = len(self.processes) + 1
        stdout = self.workdir / f"bot-{number}.stdout"
        stderr = self.workdir / f"bot-{number}.stderr"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self.workdir,
                env=self.env(mode, log_level),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        bot = BotProcess(proc, stdout, stderr)
        self.processes.append(bot)
        return bot

    async def close(self) -> None:
        """Kill whatever is still running (a test that passed has stopped its bots already)."""
        for bot in self.processes:
            await bot.kill()


def conversation_states(database: Path, name: str) -> list[tuple[str, str]]:
    """(key, state) rows of a named conversation, read through a read-only connection."""
    uri = f"{database.as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=1.0)) as conn:
        try:
            rows = conn.execute(
                "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # not migrated yet, or locked for a moment
    return [(str(key), str(state)) for key, state in rows]


async def wait_for_rows(
    read: Callable[[], list[T]], *, deadline: float = 1.0, what: str = "rows"
) -> list[T]:
    """Poll ``read`` (a cheap local query) every 20 ms until it returns rows; bounded."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while True:
        rows = read()
        if rows:
            return rows
        if loop.time() >= end:
            raise AssertionError(f"no {what} within {deadline}s")
        await asyncio.sleep(0.02)  # waiting for a condition in another process, bounded


@dataclass
class Chat:
    """One user's private chat with the running bot; every wait is event-driven and bounded."""

    api: FakeBotAPI
    bot: BotProcess
    user_id: int
    language_code: str = "en"
    first_name: str = "Test"

    def mark(self) -> int:
        """How many messages the bot has sent to this chat so far."""
        return len(self.api.sent_messages(self.user_id))

    async def next_message(self, start: int, expect: str = "") -> dict[str, Any]:
        """The first bot message at index >= ``start`` whose text contains ``expect``."""
        return await self.bot.guard(
            self.api.wait_for_message(
                self.user_id, containing(expect), start=start, timeout=TIMEOUT
            )
        )

    async def send(self, text: str, expect: str = "") -> dict[str, Any]:
        """Type ``text``; the bot's first answer containing ``expect``."""
        start = self.mark()
        self.api.message_update(
            user_id=self.user_id,
            text=text,
            language_code=self.language_code,
            first_name=self.first_name,
        )
        return await self.next_message(start, expect)

    async def press(self, message: dict[str, Any], data: str, expect: str) -> dict[str, Any]:
        """Press the button ``data`` of ``message``; wait until it is edited to show ``expect``."""
        assert data in button_data(message), (data, button_data(message), text_of(message))
        edits = int(message["edits"])
        self.api.callback_update(
            user_id=self.user_id,
            message=message,
            data=data,
            language_code=self.language_code,
            first_name=self.first_name,
        )
        await self.bot.guard(
            self.api.wait_until(
                lambda: message["edits"] > edits and expect in text_of(message),
                timeout=TIMEOUT,
                what=f"the press of {data!r} to show {expect!r} (now {text_of(message)!r})",
            )
        )
        return message
