"""Serving an aiohttp app on a configured `host:port`: Slack's HTTP mode, Telegram's webhook, the ops endpoint."""

from __future__ import annotations

from aiohttp import web


def split_listen(listen: str) -> tuple[str, int]:
    """`host:port` (`[::1]:8080` for IPv6; no host means 127.0.0.1) as a (host, port) pair."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


async def serve(app: web.Application, listen: str) -> tuple[web.AppRunner, int]:
    """Start `app` on `listen`; returns its runner (for `cleanup()`) and the bound port (`:0` picks one)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, port = split_listen(listen)
    await web.TCPSite(runner, host, port).start()
    return runner, runner.addresses[0][1]
