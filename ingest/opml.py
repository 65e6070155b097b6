"""OPML import and export of feed subscriptions, the format every feed reader speaks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from diplobot.ingest.models import IngestError
from diplobot.ingest.text import one_line
from diplobot.ingest.urls import web_link


def read_opml(data: bytes) -> list[dict[str, str]]:
    """Every http(s) feed in an OPML document (nested outlines included), once each, in order.

    Parsed with defusedxml, so entity bombs and external entities are refused rather than expanded.
    """
    try:
        root = defusedxml.ElementTree.fromstring(data)
    except DefusedXmlException:
        raise IngestError("refused: the OPML file declares XML entities or a DTD") from None
    except ET.ParseError as exc:
        raise IngestError(f"not valid OPML: {exc}") from None
    if root.tag.lower() != "opml":
        raise IngestError(f"not an OPML file: the root element is <{root.tag}>, not <opml>")
    feeds: dict[str, dict[str, str]] = {}
    for outline in root.iter("outline"):
        url = web_link(_attribute(outline, "xmlUrl"))
        if url and url not in feeds:
            title = one_line(_attribute(outline, "title") or _attribute(outline, "text"))
            feeds[url] = {"url": url, "title": title}
    return list(feeds.values())


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
