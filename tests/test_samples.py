"""The bundled sample feeds keep releasing items (replays after the last one), also across restarts."""

from datetime import UTC, datetime, timedelta

import pytest

from diplobot.clock import iso
from diplobot.ingest.samples import sample_drafts
from diplobot.runtime import sync_config_sources
from diplobot.scheduler import Jobs
from diplobot.store import alerts
from diplobot.store.worker import Store

STARTED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_a_sample_feed_never_runs_dry_and_replays_are_new_items():
    first = sample_drafts("sample:wire.xml", STARTED, STARTED, 30)
    assert len(first) == 3
    later = sample_drafts("sample:wire.xml", STARTED, STARTED + timedelta(minutes=5), 30)
    newest = later[-1]
    assert len(later) == 12 and newest.guid.endswith("?replay=1") and newest.url.endswith("?replay=1")
    assert newest.published_at == STARTED + timedelta(minutes=5)  # released now, at the 10th interval
    assert newest.body.endswith("(Replay 1 of this bundled sample item, first published 2 March 2025.)")
    days = sample_drafts("sample:wire.xml", STARTED, STARTED + timedelta(days=3, seconds=7), 30)
    assert len(days) == 12 and len({d.guid for d in days}) == 12
    assert days[-1].published_at == STARTED + timedelta(days=3) and "?replay=720" in days[-1].guid
    # deterministic: the same moment yields the same items
    assert days == sample_drafts("sample:wire.xml", STARTED, STARTED + timedelta(days=3, seconds=7), 30)


async def _poll_for(jobs, clock, minutes):
    for _ in range(minutes * 2):
        clock.advance(seconds=32)  # each sample source is due again every ~30 s
        await jobs.poll()
        await jobs.match()


async def _alerts_for(store, chat_id):
    return await store.run(alerts.chat_alerts, chat_id)


@pytest.mark.slow
async def test_a_late_subscriber_and_a_restarted_bot_still_get_sample_alerts(chat, store, config, clock):
    clock.current = STARTED
    await store.run(sync_config_sources, config, iso(clock.now()))
    jobs = Jobs(store, fetcher=None, config=config, clock=clock)
    await jobs.poll()
    await _poll_for(jobs, clock, 7)  # every original item is out by now
    assert "Subscribed" in await chat("/subscribe Ukraine")
    await _poll_for(jobs, clock, 3)
    assert len(await _alerts_for(store, "test:1")) >= 2

    clock.advance(hours=5)  # the bot was down; the same database, a new process
    async with Store(config.store.path) as restarted:
        await restarted.run(sync_config_sources, config, iso(clock.now()))
        jobs = Jobs(restarted, fetcher=None, config=config, clock=clock)
        results = await jobs.poll()
        assert sum(r.counts.new for r in results if r.counts) >= 2  # the feeds carry on where they were
        assert "Subscribed" in await chat("/subscribe Kyiv", chat_id="test:2")
        await _poll_for(jobs, clock, 4)
        assert len(await _alerts_for(restarted, "test:2")) >= 2
