"""The command line: configuration errors, a refused token, --version and migrate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import BotLauncher, clean_environment, free_port, run_cli
from tests.fakebotapi import FakeBotAPI


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        pytest.param({}, "TELECRM_BOT_TOKEN", id="no-token"),
        pytest.param(
            {"TELECRM_BOT_TOKEN": "123:abc", "TELECRM_DEFAULT_TIMEZONE": "Mars/Olympus_Mons"},
            "TELECRM_DEFAULT_TIMEZONE",
            id="bad-timezone",
        ),
        pytest.param(
            {
                "TELECRM_BOT_TOKEN": "123:abc",
                "TELECRM_MODE": "webhook",
                "TELECRM_WEBHOOK_SECRET": "s3cret",
            },
            "TELECRM_WEBHOOK_URL",
            id="webhook-without-url",
        ),
    ],
)
async def test_configuration_error_is_one_line(
    tmp_path: Path, settings: dict[str, str], named: str
) -> None:
    """A missing or bad setting: exit status 2 and one stderr line naming the variable."""
    env = clean_environment(
        TELECRM_DATABASE_URL=f"sqlite:///{tmp_path / 'telecrm.db'}", **settings
    )
    result = await run_cli(["run"], env=env, cwd=tmp_path)

    assert result.returncode == 2, result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    assert named in result.stderr_lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "telecrm.db").exists()


async def test_token_refused_by_telegram(api: FakeBotAPI, launcher: BotLauncher) -> None:
    """A token the Bot API answers 401 to: non-zero exit and one clear line naming it."""
    env = launcher.env() | {"TELECRM_BOT_TOKEN": "999:WRONG"}
    result = await run_cli(["run"], env=env, cwd=launcher.workdir)

    assert result.returncode != 0
    assert [c.response_status for c in api.calls] == [401]
    problems = [line for line in result.stderr_lines if "TELECRM_BOT_TOKEN" in line]
    assert len(problems) == 1, result.stderr
    assert problems[0].startswith("telecrm: ")
    assert "WRONG" not in result.stderr


async def test_unreachable_bot_api(launcher: BotLauncher) -> None:
    """Nothing listens at the Bot API URL: non-zero exit and one line saying where it tried."""
    where = f"127.0.0.1:{free_port()}"
    env = launcher.env() | {"TELECRM_API_BASE_URL": f"http://{where}/bot"}
    result = await run_cli(["run"], env=env, cwd=launcher.workdir)

    assert result.returncode != 0
    problems = [line for line in result.stderr_lines if "cannot reach the Bot API" in line]
    assert len(problems) == 1, result.stderr
    assert where in problems[0]


@pytest.mark.parametrize("failure", ["refused-token", "unreachable-api"])
async def test_startup_failure_prints_no_traceback(launcher: BotLauncher, failure: str) -> None:
    """A refused token or an unreachable Bot API ends the process without a traceback."""
    env = launcher.env()
    if failure == "refused-token":
        env["TELECRM_BOT_TOKEN"] = "999:WRONG"
    else:
        env["TELECRM_API_BASE_URL"] = f"http://127.0.0.1:{free_port()}/bot"
    result = await run_cli(["run"], env=env, cwd=launcher.workdir)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr


async def test_version(tmp_path: Path) -> None:
    """`python -m bot --version` prints the name and version."""
    result = await run_cli(["--version"], env=clean_environment(), cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == "telecrm 0.1.0"


async def test_migrate_twice(tmp_path: Path) -> None:
    """`migrate` creates the schema, and a second run says it is up to date."""
    database = tmp_path / "data" / "telecrm.db"
    env = clean_environment(TELECRM_DATABASE_URL=f"sqlite:///{database}")

    first = await run_cli(["migrate"], env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "migrated" in first.stdout
    assert database.exists()

    second = await run_cli(["migrate"], env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    assert "Traceback" not in first.stderr + second.stderr
