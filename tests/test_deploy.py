"""Deployment files stay sound: Dockerfile, .dockerignore, compose.yaml, systemd units, Litestream sample.

Without a container engine these parse and lint the files; with a running Docker engine and a local base image
the slow test builds the image and runs it (no registry is reached: the base image must already be there, or be
named by DIPLOBOT_TEST_PYTHON_IMAGE).
"""

from __future__ import annotations

import configparser
import fnmatch
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from diplobot.config import SECRET_ENV, load_config

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
SECRETS = sorted(SECRET_ENV.values())


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def instructions(name: str) -> list[str]:
    return [args for instruction, args in dockerfile() if instruction == name]


def test_dockerfile_uses_slim_python_and_a_non_root_user():
    assert "PYTHON_IMAGE=python:3.11-slim" in instructions("ARG")
    assert instructions("FROM") == ["${PYTHON_IMAGE}"]
    user = instructions("USER")[-1]
    assert user.split(":")[0] not in {"root", "0"}
    assert any("pip install" in run and "/tmp/diplobot-src" in run for run in instructions("RUN"))


def test_dockerfile_keeps_the_database_on_a_volume_and_checks_healthz():
    assert any("/data" in volume for volume in instructions("VOLUME"))
    env = " ".join(instructions("ENV"))
    assert "DIPLOBOT_DB=/data/diplobot.db" in env
    listen = re.search(r"DIPLOBOT_OPS_LISTEN=(\S+)", env).group(1)
    (healthcheck,) = instructions("HEALTHCHECK")
    assert f"127.0.0.1:{listen.rsplit(':', 1)[1]}/healthz" in healthcheck
    assert "--no-console" in instructions("CMD")[0]


def test_dockerfile_bakes_in_no_secret():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for name in SECRETS:
        assert name not in text
    for instruction, args in dockerfile():
        if instruction in {"ENV", "ARG"}:
            assert not re.search(r"(TOKEN|SECRET|PASSWORD|KEY)\w*=", args, re.I), args


def ignored(path: str, patterns: list[str]) -> bool:
    return any(
        fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, f"**/{p}") or path.partition("/")[0] == p for p in patterns
    )


def test_dockerignore_keeps_state_and_secrets_out_but_the_package_in():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in ("diplobot.db", "diplobot.db-wal", "diplobot.toml", ".env", ".git", ".venv", "tests"):
        assert ignored(path, patterns), path
    for path in ("pyproject.toml", "README.md", "bot.py", "store/db.py", "samples/wire.xml", "analysis/data"):
        assert not ignored(path, patterns), path


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_has_volume_secrets_from_the_environment_restart_and_healthcheck():
    spec = compose()
    service = spec["services"]["diplobot"]
    assert service["build"] == "."
    assert service["restart"] in {"unless-stopped", "always"}
    (volume,) = service["volumes"]
    name, target = volume.split(":")
    assert target == "/data" and name in spec["volumes"]
    assert sorted(service["environment"]) == SECRETS
    for name, value in service["environment"].items():
        assert value == f"${{{name}:-}}", "secrets come from the shell or .env, never from this file"
    assert any("/healthz" in part for part in service["healthcheck"]["test"])
    assert all(port.startswith("127.0.0.1:") for port in service["ports"])
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]


def test_litestream_sample_parses_and_holds_no_credentials():
    spec = yaml.safe_load((DEPLOY / "litestream.yml").read_text(encoding="utf-8"))
    (db,) = spec["dbs"]
    assert db["path"].endswith("/diplobot.db")
    (replica,) = db["replicas"]
    assert replica["bucket"].startswith("${")
    assert not {"access-key-id", "secret-access-key"} & replica.keys()


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


def test_systemd_unit_is_sandboxed_and_takes_secrets_from_an_environment_file():
    service = unit("diplobot.service")["Service"]
    expected = {
        "DynamicUser": "yes",
        "StateDirectory": "diplobot",
        "ProtectSystem": "strict",
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "CapabilityBoundingSet": "",
    }
    assert {key: service.get(key) for key in expected} == expected
    assert service["EnvironmentFile"].lstrip("-") == "/etc/diplobot/diplobot.env"
    assert "run --no-console" in service["ExecStart"]
    text = (DEPLOY / "diplobot.service").read_text(encoding="utf-8")
    assert "Environment=DIPLOBOT_DB=/var/lib/diplobot/diplobot.db" in text
    assert not any(f"{name}=" in line for name in SECRETS for line in text.splitlines() if not line.startswith("#"))


def test_backup_unit_runs_as_the_bots_user():
    service = unit("diplobot-backup.service")["Service"]
    assert (service["DynamicUser"], service["User"]) == ("yes", "diplobot")
    assert "diplobot" in service["StateDirectory"].split()
    assert "diplobot backup" in service["ExecStart"]
    assert unit("diplobot-backup.timer")["Timer"]["Persistent"] == "true"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units_and_rates_them_safe(tmp_path):
    for name in ("diplobot.service", "diplobot-backup.service", "diplobot-backup.timer"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        # verify insists that ExecStart's program exists: point it at one that does
        (tmp_path / name).write_text(text.replace("/opt/diplobot/bin/diplobot", "/bin/true"), encoding="utf-8")
    checked = subprocess.run(
        ["systemd-analyze", "verify", "diplobot.service", "diplobot-backup.service", "diplobot-backup.timer"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    for name in ("diplobot.service", "diplobot-backup.service"):
        rated = subprocess.run(
            ["systemd-analyze", "security", "--offline=true", "--threshold=20", name],
            check=False,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if "--offline" in rated.stderr:
            pytest.skip("this systemd-analyze cannot rate unit files offline")
        assert rated.returncode == 0, rated.stdout[-400:]


def test_environment_points_store_and_ops_listener_at_container_paths(tmp_path):
    config = load_config(env={"DIPLOBOT_DB": "/data/diplobot.db", "DIPLOBOT_OPS_LISTEN": "0.0.0.0:9108"})
    assert (config.store.path, config.ops.listen) == ("/data/diplobot.db", "0.0.0.0:9108")
    assert config.resolve(config.store.path) == Path("/data/diplobot.db")


def test_readme_documents_deployment_and_backups():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    deployment = readme.split("## Deployment", 1)[1].split("\n## ", 1)[0]
    for word in ("Dockerfile", "compose.yaml", "deploy/diplobot.service", *SECRETS):
        assert word in deployment, word
    backups = readme.split("## Backups", 1)[1].split("\n## ", 1)[0]
    for word in ("diplobot backup", "* * *", "restore", "deploy/litestream.yml", "keep_days"):
        assert word in backups, word


# --- a real build and run, where a container engine works -------------------------------------------------------

BASE_IMAGE = os.environ.get("DIPLOBOT_TEST_PYTHON_IMAGE", "python:3.11-slim")


def docker(*args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["docker", *args], check=False, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode:
        raise AssertionError(f"docker {' '.join(args)}: {result.stderr[-2000:]}")
    return result


def engine_problem() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client"
    if docker("info", check=False, timeout=20).returncode:
        return "no container engine is running"
    if docker("image", "inspect", BASE_IMAGE, check=False).returncode:
        return f"base image {BASE_IMAGE} is not available locally (set DIPLOBOT_TEST_PYTHON_IMAGE)"
    return None


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_image_builds_runs_as_non_root_turns_healthy_backs_up_and_stops_cleanly():
    problem = engine_problem()
    if problem:
        pytest.skip(problem)
    tag, name = f"diplobot-test:{uuid.uuid4().hex[:8]}", f"diplobot-test-{uuid.uuid4().hex[:8]}"
    docker("build", "--build-arg", f"PYTHON_IMAGE={BASE_IMAGE}", "-t", tag, str(ROOT), timeout=1100)
    try:
        docker(
            "run",
            "-d",
            "--name",
            name,
            "--read-only",
            "--tmpfs",
            "/tmp",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges:true",
            "--health-interval=1s",
            "--health-start-period=1s",
            tag,
        )
        deadline = time.monotonic() + 90
        status = ""
        while status != "healthy" and time.monotonic() < deadline:
            time.sleep(1)
            status = docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
        assert status == "healthy", docker("logs", name, check=False).stderr[-3000:]
        assert docker("exec", name, "id", "-u").stdout.strip() == "10001"
        backup = docker("exec", name, "diplobot", "backup", "/data/backup.db")
        assert "integrity ok" in backup.stdout
        docker("stop", "-t", "30", name, timeout=60)
        assert docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "0"
    finally:
        docker("rm", "-f", "-v", name, check=False)
        docker("rmi", "-f", tag, check=False)
