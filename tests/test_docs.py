"""The docs stay true: README quick start equals CI, every command and option is documented."""

import re
from dataclasses import fields, is_dataclass
from pathlib import Path

from typer.testing import CliRunner

from diplobot.bot import app
from diplobot.config import Config, SourceConfig
from diplobot.handlers.dispatcher import default_commands

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def quick_start_lines() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_has_two_lines_and_ci_runs_the_second_verbatim():
    run_line, test_line = quick_start_lines()
    assert run_line.endswith("diplobot run")
    assert test_line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_every_chat_command_is_in_the_readme():
    for name in default_commands():
        assert f"/{name}" in README, name


def test_every_config_option_is_in_the_example_file():
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")

    def walk(cls, prefix):
        for f in fields(cls):
            if f.name in ("path", "base_dir"):
                continue
            if f.name == "sources":
                assert "[[sources]]" in example
                yield from (s.name for s in fields(SourceConfig))
                continue
            if is_dataclass(f.default):
                assert f"[{f.name}]" in example, f.name
                yield from walk(type(f.default), f.name)
            else:
                yield f.name

    for name in walk(Config, ""):
        assert re.search(rf"^#? ?{name} =", example, re.M), name


def test_help_lists_every_cli_command_with_a_description():
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for name in ("run", "console", "ingest", "poll", "sources", "search", "stats", "who", "reindex"):
        assert re.search(rf"│ {name}\s+\S", result.output), name
