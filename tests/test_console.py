"""`telecrm console`: the real handlers in a terminal, fed by a pipe."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from bot.console import Console, html_to_text


def _run(
    tmp_path: Path, script: str, *extra_env: tuple[str, str]
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELECRM_")}
    env.update(dict(extra_env))
    return subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )


def test_piped_start_and_help(tmp_path: Path) -> None:
    """`printf '/start\\n/help\\n' | telecrm console` greets, helps and exits 0."""
    result = _run(tmp_path, "/start\n/help\n")
    assert result.returncode == 0, result.stderr
    assert "Hello, Console Admin! I'm your team's CRM. You're signed in as admin." in result.stdout
    assert "/invite — Invite a sales rep or a manager" in result.stdout
    assert "<b>" not in result.stdout
    assert (tmp_path / "data" / "telecrm.db").exists()


def test_buttons_are_numbered_and_pressed(tmp_path: Path) -> None:
    """`[N] Label` lines, and `!N` presses a button; state persists to the next run."""
    result = _run(tmp_path, "/settings\n!2\nBerlin\n!9\n!x\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "  [1] Language\n  [2] Time zone" in out
    assert "(edited) Your time zone is UTC" in out
    assert "Time zone: Europe/Berlin" in out
    assert "(press a button from 1 to 5)" in out
    again = _run(tmp_path, "/settings\n")
    assert "Time zone: Europe/Berlin" in again.stdout


def test_chinese_console(tmp_path: Path) -> None:
    """The default language applies to the console user."""
    result = _run(tmp_path, "/start\n", ("TELECRM_DEFAULT_LANGUAGE", "zh"))
    assert "你好" in result.stdout


def test_file_and_contact_lines(tmp_path: Path) -> None:
    """`@file` and `@contact` become a document and a shared contact."""
    csv = tmp_path / "people.csv"
    csv.write_text("name\nZhang Wei\n", encoding="utf-8")
    console = Console(Settings(_env_file=None), io.StringIO())
    document = console.update_for(f"@file {csv}")
    assert document is not None
    file_id = document["message"]["document"]["file_id"]
    assert console.api.files[file_id] == csv
    contact = console.update_for("@contact Zhang Wei +86 138 0013 8000")
    assert contact is not None
    assert contact["message"]["contact"] == {
        "phone_number": "+86 138 0013 8000", "first_name": "Zhang", "last_name": "Wei"
    }
    assert console.update_for("@file /no/such/file.csv") is None
    assert console.update_for("@contact nobody") is None


def test_file_line_end_to_end(tmp_path: Path) -> None:
    """A document and a contact sent from the console reach the bot's handlers."""
    csv = tmp_path / "people.csv"
    csv.write_text("name\n", encoding="utf-8")
    result = _run(tmp_path, f"@file {csv}\n@contact Li Lei 13800138000\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("didn't understand") == 1
    assert "Create a customer from this contact?" in result.stdout
    assert "Phone: +86 138 0013 8000" in result.stdout


def test_html_to_text() -> None:
    """Tags are dropped and entities decoded, as a Telegram client shows them."""
    assert html_to_text("<b>A &amp; B</b> &lt;3") == "A & B <3"
