"""Configuration: defaults that need nothing, strict validation, secrets from the environment."""

from pathlib import Path

import pytest

from diplobot.config import ConfigError, load_config

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "diplobot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_builtin_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(env={})
    assert config.store.path == "diplobot.db"
    assert config.sources == ()
    assert not config.telegram.enabled and not config.slack.enabled


def test_example_config_loads_with_every_default(tmp_path):
    config = load_config(EXAMPLE, env={})
    assert config.timezone == "UTC"
    assert config.telegram.mode == "polling"
    assert config.slack.command == "/diplo"


def test_sources_are_read_with_interval_and_full_text(tmp_path):
    path = write(tmp_path, '[[sources]]\nurl = "https://example.org/rss"\nevery = "15m"\nfull_text = true\n')
    (source,) = load_config(path, env={}).sources
    assert (source.url, source.every, source.full_text) == ("https://example.org/rss", "15m", True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ("[store]\npaht = 'x.db'\n", "unknown key 'store.paht'"),
        ("[ingest]\nmax_bytes = 'big'\n", "'ingest.max_bytes' must be a whole number, got a string"),
        ("[telegram]\nadmins_only_in_groups = 'yes'\n", "'telegram.admins_only_in_groups' must be true or false"),
        ("timezone = 'Mars/Olympus'\n", "unknown time zone 'Mars/Olympus'"),
        ("[telegram]\nmode = 'carrier-pigeon'\n", "'telegram.mode' must be one of polling, webhook"),
        ("[[sources]]\nurl = 'https://x'\nevery = 'often'\n", "'sources[0].every'"),
        ("store = 3\n", "[store] must be a table"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_invalid_config_names_file_key_and_problem(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_unreadable_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml", env={})


def test_secrets_come_from_the_environment_and_stay_out_of_repr(tmp_path):
    config = load_config(
        write(tmp_path, ""), env={"DIPLOBOT_TELEGRAM_TOKEN": "123:SECRET", "DIPLOBOT_SLACK_BOT_TOKEN": "xoxb-secret"}
    )
    assert config.telegram.token == "123:SECRET" and config.telegram.enabled
    assert "SECRET" not in repr(config) and "xoxb-secret" not in repr(config)


def test_a_broken_aliases_file_stops_start_up_naming_file_and_key(tmp_path):
    from typer.testing import CliRunner

    from diplobot.bot import app

    (tmp_path / "aliases.toml").write_text("merge = 'not a list'\n", encoding="utf-8")
    config = tmp_path / "diplobot.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "a.db"}"\n[people]\naliases = "aliases.toml"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "stats"])
    assert result.exit_code == 2
    assert "'people.aliases'" in result.output and "aliases.toml" in result.output
