"""Security: secrets never leak into logs or output, SSRF-prone URLs are refused, hostile chat input is inert."""

import asyncio
import signal
import sys
import time

import fake_slack as fs
import fake_telegram as ft
import httpx
import pytest
from netutil import free_port, port_open
from typer.testing import CliRunner

from diplobot.bot import app

SIGNING_SECRET = "slack-signing-SECRET-42"
ALICE = 5001


def full_config(tmp_path, tg, slack, slack_port) -> str:
    path = tmp_path / "diplobot.toml"
    path.write_text(
        f"""
[store]
path = "{tmp_path / "bot.db"}"
[ingest]
allow_private_hosts = true
timeout = 1.0
[ops]
log_level = "DEBUG"
[telegram]
token = "{tg.token}"
base_url = "{tg.base_url}"
[slack]
bot_token = "{slack.token}"
signing_secret = "{SIGNING_SECRET}"
mode = "http"
listen = "127.0.0.1:{slack_port}"
api_url = "{slack.api_url}"
[[sources]]
url = "http://127.0.0.1:9/unreachable.xml?token={tg.token}"
every = "1s"
""",
        encoding="utf-8",
    )
    return str(path)


def secrets_of(tg, slack) -> list[str]:
    """Each secret, and the parts of it that identify it (a Telegram token's part after the colon)."""
    return [tg.token, tg.token.split(":", 1)[1], slack.token, SIGNING_SECRET]


async def wait_until(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_a_full_run_at_debug_level_logs_no_token_or_secret(tmp_path):
    slack_port = free_port()
    async with ft.FakeTelegram() as tg, fs.FakeSlack() as slack:
        config = full_config(tmp_path, tg, slack, slack_port)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "diplobot.bot",
            "--config",
            config,
            "run",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            tg.push(ft.message_update("/subscribe ceasefire", chat_id=ALICE, user_id=ALICE, kind="private"))
            await wait_until(lambda: tg.sent(ALICE))
            response_url = slack.new_response_url()[1]
            body = fs.slash_command("/diplo", "topics", channel="C1", user="U1", response_url=response_url)
            await wait_until(lambda: port_open(slack_port))
            async with httpx.AsyncClient() as client:
                ok = await client.post(
                    f"http://127.0.0.1:{slack_port}/slack/events",
                    content=body,
                    headers=fs.signed_headers(SIGNING_SECRET, body),
                )
                forged = await client.post(
                    f"http://127.0.0.1:{slack_port}/slack/events",
                    content=body,
                    headers=fs.signed_headers("wrong-secret", body),
                )
            assert ok.status_code == 200 and forged.status_code == 401
            await asyncio.sleep(2.5)  # let the failing source be polled and logged
        finally:
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=15)
        logs = stdout.decode() + stderr.decode()
        assert "unreachable.xml" in logs and "DEBUG" in logs  # the run did log, verbosely
        for secret in secrets_of(tg, slack):
            assert secret not in logs

        runner = CliRunner()
        # doctor fails on the unreachable source; the CLI runs its own event loop, so it gets a thread
        for command, exit_code in ((["stats"], 0), (["doctor"], 1), (["sources", "list"], 0)):
            result = await asyncio.to_thread(runner.invoke, app, ["--config", config, *command])
            assert result.exit_code == exit_code and "DEBUG" in result.output, (command, result.output)
            for secret in secrets_of(tg, slack):
                assert secret not in result.output, command


def test_a_config_error_about_a_token_does_not_echo_it(tmp_path):
    path = tmp_path / "diplobot.toml"
    path.write_text('[telegram]\ntoken = "123456:SECRET-value"\nmode = "carrier-pigeon"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(path), "stats"])
    assert result.exit_code == 2
    assert "telegram.mode" in result.output and "SECRET" not in result.output


def test_ingesting_a_loopback_url_is_refused_unless_the_config_allows_it(tmp_path, httpserver):
    httpserver.expect_request("/page.html").respond_with_data(
        "<html><head><title>Talks</title></head><body><article><p>"
        + "Envoys met in Geneva. " * 30
        + "</p></article></body></html>",
        content_type="text/html",
    )
    url = httpserver.url_for("/page.html")
    strict = tmp_path / "strict.toml"
    strict.write_text(f'[store]\npath = "{tmp_path / "a.db"}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(strict), "ingest", url])
    assert result.exit_code == 1
    assert "refusing to fetch localhost: it resolves to the non-public address 127.0.0.1" in result.output

    lenient = tmp_path / "lenient.toml"
    lenient.write_text(
        f'[store]\npath = "{tmp_path / "b.db"}"\n[ingest]\nallow_private_hosts = true\n', encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["--config", str(lenient), "ingest", url])
    assert result.exit_code == 0 and "1 new" in result.output


def test_adding_a_metadata_or_non_http_source_is_refused_at_once(tmp_path):
    config = tmp_path / "diplobot.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "a.db"}"\n', encoding="utf-8")
    runner = CliRunner()
    metadata = runner.invoke(app, ["--config", str(config), "sources", "add", "http://169.254.169.254/latest/"])
    assert metadata.exit_code == 2 and "non-public address 169.254.169.254" in metadata.output
    ftp = runner.invoke(app, ["--config", str(config), "sources", "add", "ftp://example.org/feed.xml"])
    assert ftp.exit_code == 2 and "only http:// and https:// URLs" in ftp.output
    listed = runner.invoke(app, ["--config", str(config), "sources", "list"]).output
    assert "169.254" not in listed and "ftp:" not in listed
