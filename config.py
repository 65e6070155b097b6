"""Configuration: one frozen `Config`, loaded once from TOML plus environment secrets.

Every option has a default, so diplobot runs with no file at all. A bad file stops start-up with one
message naming the file, the key and the problem (`ConfigError`); secrets never appear in messages.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_CONFIG_FILE = Path("diplobot.toml")

SECRET_ENV = {
    ("telegram", "token"): "DIPLOBOT_TELEGRAM_TOKEN",
    ("slack", "bot_token"): "DIPLOBOT_SLACK_BOT_TOKEN",
    ("slack", "signing_secret"): "DIPLOBOT_SLACK_SIGNING_SECRET",
    ("slack", "app_token"): "DIPLOBOT_SLACK_APP_TOKEN",
}
# Settings a container or service manager sets without a config file (Dockerfile, deploy/diplobot.service).
SETTING_ENV = {
    ("store", "path"): "DIPLOBOT_DB",
    ("ops", "listen"): "DIPLOBOT_OPS_LISTEN",
}


class ConfigError(Exception):
    """An invalid configuration; the message names the file, the key and the problem."""


_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """Seconds in `30s`, `10m`, `2h` or `1d`; ValueError otherwise."""
    m = _DURATION.match(text)
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"expected a duration such as 30s, 10m, 2h or 1d, got {text!r}")
    return int(m.group(1)) * _UNITS[m.group(2)]


def check_timezone(name: str) -> str:
    """The IANA name itself when it exists; ValueError otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Kyiv)") from None
    return name


@dataclass(frozen=True)
class SourceConfig:
    url: str
    every: str = "10m"
    full_text: bool = False
    title: str = ""


@dataclass(frozen=True)
class StoreConfig:
    path: str = "diplobot.db"
    keep_days: int = 400  # article text older than this is removed (store/retention.py); 0 keeps it forever


@dataclass(frozen=True)
class IngestConfig:
    max_bytes: int = 10 * 1024 * 1024
    timeout: float = 20.0
    max_failures: int = 10
    allow_private_hosts: bool = False


@dataclass(frozen=True)
class WorkersConfig:
    processes: int = 2
    cpu_seconds: float = 10.0
    memory_mb: int = 1024
    timeout: float = 30.0


@dataclass(frozen=True)
class DeliveryConfig:
    max_attempts: int = 8
    poll_interval: float = 2.0


@dataclass(frozen=True)
class PeopleConfig:
    aliases: str = ""


@dataclass(frozen=True)
class TopicsConfig:
    lexicon: str = ""  # a deployment's own cross-language lexicon (analysis/lexicon.py), relative to the config


@dataclass(frozen=True)
class DigestConfig:
    catch_up_hours: float = 12.0
    max_items_per_topic: int = 5


@dataclass(frozen=True)
class TelegramConfig:
    token: str = field(default="", repr=False)
    base_url: str = "https://api.telegram.org/bot"
    mode: str = "polling"
    webhook_url: str = ""
    listen: str = "127.0.0.1:8443"
    secret_token: str = field(default="", repr=False)
    admins_only_in_groups: bool = True
    per_chat_per_s: float = 1.0
    per_group_per_min: float = 20.0
    total_per_s: float = 30.0
    # Who may use the bot (handlers/access.py): numeric ids or "@usernames"; both empty = anyone.
    allowed_users: tuple[str, ...] = ()
    allowed_chats: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.token)


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str = field(default="", repr=False)
    signing_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)
    mode: str = "socket"
    listen: str = "127.0.0.1:3000"
    command: str = "/diplo"
    api_url: str = "https://slack.com/api/"
    admins_only: bool = False
    admin_user_ids: tuple[str, ...] = ()
    per_channel_per_s: float = 1.0
    # Who may use the bot (handlers/access.py): member ids (U0123...) and channel ids (C0123...); both empty = anyone.
    allowed_users: tuple[str, ...] = ()
    allowed_channels: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token and (self.app_token if self.mode == "socket" else self.signing_secret))


@dataclass(frozen=True)
class OpsConfig:
    listen: str = ""
    log_format: str = "text"
    log_level: str = "INFO"
    commands_per_minute: int = 20


@dataclass(frozen=True)
class ChartsConfig:
    dir: str = "charts"  # where the console chat writes trend charts (PNG), relative to the config file's folder


@dataclass(frozen=True)
class ConsoleConfig:
    enabled: bool = False
    chat: str = "console:local"


@dataclass(frozen=True)
class Config:
    timezone: str = "UTC"
    store: StoreConfig = StoreConfig()
    ingest: IngestConfig = IngestConfig()
    workers: WorkersConfig = WorkersConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    people: PeopleConfig = PeopleConfig()
    topics: TopicsConfig = TopicsConfig()
    digest: DigestConfig = DigestConfig()
    telegram: TelegramConfig = TelegramConfig()
    slack: SlackConfig = SlackConfig()
    ops: OpsConfig = OpsConfig()
    console: ConsoleConfig = ConsoleConfig()
    charts: ChartsConfig = ChartsConfig()
    sources: tuple[SourceConfig, ...] = ()
    path: str = ""  # the file it came from, "" for built-in defaults
    base_dir: str = "."

    def resolve(self, p: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        path = Path(p).expanduser()
        return path if path.is_absolute() else Path(self.base_dir) / path


_CHOICES = {
    ("telegram", "mode"): ("polling", "webhook"),
    ("slack", "mode"): ("socket", "http"),
    ("ops", "log_format"): ("text", "json"),
    ("ops", "log_level"): ("DEBUG", "INFO", "WARNING", "ERROR"),
}


# Allow lists (handlers/access.py): what each entry may look like, and how to say so when it does not.
_ACCESS_IDS = {
    ("telegram", "allowed_users"): (
        re.compile(r"^(\d{1,20}|@[A-Za-z0-9_]{4,32})$"),
        "a numeric user id or an @username",
        '[123456789, "@ann_k"]',
    ),
    ("telegram", "allowed_chats"): (re.compile(r"^-?\d{1,20}$"), "a numeric chat id", "[-1001234567890]"),
    ("slack", "allowed_users"): (re.compile(r"^[UW][A-Z0-9]{1,20}$"), "a Slack member id", '["U0123ABCD"]'),
    ("slack", "allowed_channels"): (re.compile(r"^[CGD][A-Z0-9]{1,20}$"), "a Slack channel id", '["C0123ABCD"]'),
}


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Load `path`, or ./diplobot.toml when present, else the built-in defaults."""
    env = dict(os.environ if env is None else env)
    if path is None:
        path = DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None
    raw: dict[str, Any] = {}
    where = "built-in defaults"
    if path is not None:
        where = str(path)
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{where}: cannot read config file: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: cannot read config file: {exc.__class__.__name__}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    for (table, key), var in (*SECRET_ENV.items(), *SETTING_ENV.items()):
        if env.get(var):
            raw.setdefault(table, {})
            if isinstance(raw[table], dict):
                raw[table][key] = env[var]
    config = _build(Config, raw, where, prefix="")
    base_dir = str(Path(path).resolve().parent) if path is not None else "."
    return _replace(config, path="" if path is None else str(path), base_dir=base_dir)


def _replace(config: Config, **changes: Any) -> Config:
    values = {f.name: getattr(config, f.name) for f in fields(config)}
    values.update(changes)
    return Config(**values)


def _build(cls: type, raw: Any, where: str, prefix: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [{prefix.rstrip('.')}] must be a table")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)} - ({"path", "base_dir"} if cls is Config else set())
    for key in raw:
        if key not in known:
            raise ConfigError(f"{where}: unknown key '{prefix}{key}'")
    values = {}
    for name in known & raw.keys():
        values[name] = _value(hints[name], raw[name], where, f"{prefix}{name}", cls)
    return cls(**values)


_PYTHON_TYPES: dict[Any, type | tuple[type, ...]] = {str: str, bool: bool, int: int, float: (int, float)}


def _is_a(value: Any, hint: Any) -> bool:
    """TOML's value has the Python type the config field wants (a bool is never a number)."""
    return not (isinstance(value, bool) and hint is not bool) and isinstance(value, _PYTHON_TYPES[hint])


def _value(hint: Any, value: Any, where: str, key: str, owner: type) -> Any:
    table = key.rsplit(".", 1)
    if tuple(table) in _ACCESS_IDS:
        return _access_ids(value, where, key, _ACCESS_IDS[(table[0], table[1])])
    if get_origin(hint) is tuple:
        (item_type, _ellipsis) = get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: '{key}' must be a list")
        return tuple(_value(item_type, v, where, f"{key}[{i}]", owner) for i, v in enumerate(value))
    if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
        built = _build(hint, value, where, prefix=f"{key}.")
        if hint is SourceConfig:
            _check_source(built, where, key)
        return built
    if not _is_a(value, hint):
        raise ConfigError(f"{where}: '{key}' must be {_type_name(hint)}, got {_type_name(type(value))}")
    if hint is float:
        value = float(value)
    return _check_choice(table, value, where, key)


def _check_choice(table: list[str], value: Any, where: str, key: str) -> Any:
    choices = _CHOICES.get((table[0], table[1])) if len(table) == 2 else None
    if choices and value not in choices:
        raise ConfigError(f"{where}: '{key}' must be one of {', '.join(choices)}, got {value!r}")
    if key == "timezone":
        try:
            check_timezone(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: 'timezone': {exc}") from None
    if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
        raise ConfigError(f"{where}: '{key}' must not be negative")
    return value


def _access_ids(value: Any, where: str, key: str, spec: tuple[re.Pattern[str], str, str]) -> tuple[str, ...]:
    """An allow list as strings; TOML numbers are accepted for numeric ids (`[123, "@ann"]`)."""
    pattern, wanted, example = spec
    if not isinstance(value, list):
        raise ConfigError(f"{where}: '{key}' must be a list, e.g. {example}")
    out = []
    for i, item in enumerate(value):
        text = str(item).strip() if isinstance(item, int | str) and not isinstance(item, bool) else None
        if text is None or not pattern.match(text):
            raise ConfigError(f"{where}: '{key}[{i}]' must be {wanted} (e.g. {example}), got {item!r}")
        out.append(text)
    return tuple(out)


def _check_source(source: SourceConfig, where: str, key: str) -> None:
    if not source.url.strip():
        raise ConfigError(f"{where}: '{key}.url' must not be empty")
    try:
        parse_duration(source.every)
    except ValueError as exc:
        raise ConfigError(f"{where}: '{key}.every': {exc}") from None


def _type_name(t: type) -> str:
    return {str: "a string", bool: "true or false", int: "a whole number", float: "a number"}.get(t, t.__name__)
