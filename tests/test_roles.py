"""/who and digests show a person's official title, one office once, and no overlapping Now/Before periods."""

from datetime import UTC, datetime

from diplobot.analysis.people import office_key, role_kind
from diplobot.ingest.models import ArticleDraft
from diplobot.pipeline import ingest_drafts


def article(day, title, body):
    return ArticleDraft(
        title=title,
        body=body,
        url=f"https://news.example/{day}/{abs(hash(title))}",
        published_at=datetime(2025, 9, day, 9, 0, tzinfo=UTC),
    )


PUTIN = [
    article(
        1,
        "Summit planned",
        "Russian President Vladimir Putin said on Monday that a summit could be held. "
        "Putin spoke to reporters in Moscow about the ceasefire.",
    ),
    article(
        3,
        "Sanctions debate",
        "Russian dictator Vladimir Putin rejected the ceasefire offer on Wednesday. "
        "Officials in Kyiv said Putin was stalling.",
    ),
]
YERMAK = [
    article(
        1,
        "Talks in Riyadh",
        "The head of the Presidential Office Andriy Yermak led the Ukrainian delegation "
        "in Riyadh. Yermak said the talks were constructive.",
    ),
    article(
        2,
        "Talks in Paris",
        "Zelensky's chief of staff Andriy Yermak met European advisers in Paris on "
        "Tuesday. Yermak said the work would continue.",
    ),
]


def test_the_role_vocabulary_tells_titles_from_descriptions_and_joins_one_office():
    assert role_kind("President") == "title" and role_kind("opposition leader") == "title"
    assert role_kind("dictator") == role_kind("Kremlin strongman") == role_kind("top diplomat") == "description"
    assert office_key("chief of staff") == office_key("head of presidential office") == "head of presidential office"
    assert office_key("white house chief of staff") == "white house chief of staff"


async def test_who_prefers_the_official_title_over_a_later_epithet(chat, store, clock):
    await ingest_drafts(store, PUTIN, now=clock.now())
    text = await chat("/who Putin")
    assert "Now: President (Russia)" in text
    assert "Now: dictator" not in text and "Before: dictator" not in text
    assert "Described as: dictator (Russia)." in text


async def test_who_shows_one_office_described_two_ways_as_one_role(chat, store, clock):
    await ingest_drafts(store, YERMAK, now=clock.now())
    text = await chat("/who Yermak")
    assert "Now: head of the Presidential Office (Ukraine), 2025-09-01 to 2025-09-02" in text
    assert "Before:" not in text and "chief of staff" not in text


async def test_an_earlier_office_is_before_and_one_held_meanwhile_is_also(chat, store, clock):
    await ingest_drafts(
        store,
        [
            article(1, "Cabinet", "Defence Minister Rustem Umerov visited the front. Umerov said supplies arrived."),
            article(2, "Council", "NSDC Secretary Rustem Umerov chaired the meeting. Umerov said the plan was agreed."),
            article(4, "Talks", "Chief negotiator Rustem Umerov arrived in Geneva. Umerov said talks would last days."),
            article(5, "Talks", "NSDC Secretary Rustem Umerov said in Geneva the talks went well. Umerov left."),
        ],
        now=clock.now(),
    )
    text = await chat("/who Umerov")
    lines = [line for line in text.splitlines() if line.startswith(("Now:", "Also:", "Before:"))]
    assert lines[0].startswith("Now: Secretary of the National Security and Defense Council") or lines[0].startswith(
        "Now: NSDC Secretary"
    ), lines
    assert any(line.startswith("Also: chief negotiator") for line in lines), lines  # 4 Sep, within 2-5 Sep
    assert any(line.startswith("Before: Defence Minister") for line in lines), lines  # 1 Sep, before 2 Sep


async def test_the_digest_never_calls_a_person_by_an_epithet(chat, store, clock):
    await chat("/subscribe ceasefire")
    await chat("/settings digest 08:00")
    await ingest_drafts(store, PUTIN, now=clock.advance(minutes=1))
    clock.advance(minutes=1)
    text = await chat("/digest")
    assert "Vladimir Putin, President (Russia)" in text
    assert "dictator" not in text
