"""OPML import and export of feed subscriptions, the format every feed reader speaks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from diplobot.ingest.models import IngestError
from diplobot.ingest.text import one_line
from diplobot.ingest.urls import redact_url, web_link


def read_opml(data: bytes) -> list[dict[str, str]]:
    """Every http(s) feed in an OPML document (nested outlines included), once each, in order."""
    return read_opml_entries(data).feeds


@dataclass
class OpmlEntries:
    """The feeds of an OPML document, and each entry left out as (its name, why)."""

    feeds: list[dict[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def read_opml_entries(data: bytes) -> OpmlEntries:
    """The http(s) feeds of an OPML document (nested outlines included), once each, in order, and the entries
    that are no such feed with the reason: so an import can say which it left out.

    Parsed with defusedxml, so entity bombs and external entities are refused rather than expanded. An outline
    that only groups others (a folder) is no entry.
    """
    try:
        root = defusedxml.ElementTree.fromstring(data)
    except DefusedXmlException:
        raise IngestError("refused: the OPML file declares XML entities or a DTD") from None
    except ET.ParseError as exc:
        raise IngestError(f"not valid OPML: {exc}") from None
    if root.tag.lower() != "opml":
        raise IngestError(f"not an OPML file: the root element is <{root.tag}>, not <opml>")
    found = OpmlEntries()
    seen: set[str] = set()
    for outline in root.iter("outline"):
        raw = one_line(_attribute(outline, "xmlUrl"))
        title = one_line(_attribute(outline, "title") or _attribute(outline, "text"))
        name = f"{title} ({redact_url(raw)})" if title and raw else (title or redact_url(raw) or "(an unnamed entry)")
        url = web_link(raw)
        if not raw:
            if len(outline) == 0:  # a folder groups other outlines; a leaf without xmlUrl is a plain link or note
                page = web_link(_attribute(outline, "htmlUrl"))
                also = f"; only a web page, {redact_url(page)}" if page else ""
                found.skipped.append((name, f"no feed URL (xmlUrl){also}"))
        elif not url:
            found.skipped.append((name, "not an http(s) URL"))
        elif url in seen:
            found.skipped.append((name, "listed before"))
        else:
            seen.add(url)
            found.feeds.append({"url": url, "title": title})
    return found


def write_opml(sources: Iterable[Mapping[str, Any]]) -> str:
    """An OPML 2.0 document listing `sources` (mappings with `url` and optional `title`)."""
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = "diplobot sources"
    body = ET.SubElement(root, "body")
    for source in sources:
        title = source.get("title") or source["url"]
        ET.SubElement(body, "outline", type="rss", text=title, title=title, xmlUrl=source["url"])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _attribute(element: ET.Element, name: str) -> str:
    """An attribute by name, ignoring case (exports in the wild write xmlurl, XMLURL, ...)."""
    wanted = name.lower()
    return next((v for k, v in element.attrib.items() if k.lower() == wanted), "")
