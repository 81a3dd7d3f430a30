"""Mutation fuzzing of `parse_filing`, deterministic (seeded) and bounded: 20,000 inputs
made from the seed and the corpus filings by byte edits, hostile tokens, splices and
re-encodings. Each one either parses or is quarantined with a listed reason code,
never with the parser-bug code and never by raising; no offset points outside the
input, every row has only its table's columns and no NUL in its text, and no input makes the parser open the
file a DOCTYPE or entity names (a watched FIFO stands in for /dev/stdin).

A failure prints the case's number and its mutations; the generator is seeded and drawn
in order, so the same test reproduces the same case."""

from __future__ import annotations

import base64
import codecs
import faulthandler
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from form4_assets import tables
from form4_assets.parsing import ParsedFiling, Quarantined, errors, parse_filing
from form4_assets_tests.fifo_support import watched_fifo

CASES_PER_TEST = 10_000
#: A hang (a blocking open of a device, a runaway loop) ends the run with a traceback
#: rather than stalling CI; the 10,000 cases take a few seconds.
WATCHDOG_SECONDS = 300
DONOR_MAX_BYTES = 32 * 1024


@dataclass(frozen=True)
class Material:
    """What mutations draw on: hostile tokens, donor filings to splice from, and the
    URL of the watched FIFO (every external reference a mutation writes points there)."""

    tokens: list[bytes]
    donors: list[bytes]
    url: str


def _tokens(fifo_url: str) -> list[bytes]:
    url = fifo_url.encode()
    return [
        b"<", b">", b"</", b"/>", b"&", b"&amp;", b"&#0;", b"&#x1F;", b"&xxe;", b"]]>", b"<![CDATA[", b"\x00", b"\xff",
        b"\xc3", b"\x81\x8d", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\r", b"\r\n", b"\n", b" ", b"\t",
        b'<!DOCTYPE ownershipDocument SYSTEM "' + url + b'">',
        b'<!DOCTYPE r [<!ENTITY % e SYSTEM "' + url + b'"> %e;]>',
        b'<!ENTITY x SYSTEM "' + url + b'">',
        b"+ADw-+ACE-DOCTYPE ownershipDocument SYSTEM +ACI-" + url + b"+ACI-+AD4-",
        b' encoding="UTF-7"', b' encoding="UTF-16"', b' encoding="ISO-8859-1"', b' encoding="x-bogus"',
        b'<?xml version="1.0" encoding="UTF-16"?>', b'<?xml version="1.0"?>',
        b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="' + url + b'"/>',
        b'<?xml-stylesheet href="' + url + b'"?>',
        b'<footnoteId id="F1"/>', b'<footnoteId id="F1"/>' * 500, b'<footnoteId/>', b'<footnote id="F1">', b"<footnote>",
        b"<value>", b"</value>", b"<remarks>", b"</remarks>", b"<remarks>" * 200, b"<a>" * 300,
        b"-1", b"1E400", b"NaN", b"Infinity", b"1_000", b"\xd9\xa1\xd9\xa2", b"9" * 25, b"9" * 5000, b"0.00001",
        b"2023-02-30", b"2023-11-06Z", b"20231399", b"true", b"yes", b"X0999", b"X0202",
        b"<SEC-HEADER>", b"</SEC-HEADER>", b"<SEC-DOCUMENT>", b"<DOCUMENT>", b"</DOCUMENT>", b"<TEXT>", b"</TEXT>",
        b"<XML>", b"</XML>", b"<ownershipDocument>", b"</ownershipDocument>", b"<SUBMISSION>", b"<IMS-HEADER>",
        b"PUBLIC DOCUMENT COUNT:\t", b"PUBLIC DOCUMENT COUNT:\t" + b"9" * 4301 + b"\n",
        b"ACCESSION NUMBER:\t0000000000-00-000000\n", b"<ACCEPTANCE-DATETIME>2023", b"FILED AS OF DATE:\t2023\n",
        b"<nonDerivativeTransaction>", b"<derivativeHolding>", b"<reportingOwner>", b"<rptOwnerCik>",
        b"<transactionShares>", b"<transactionCoding>", b"<isDirector>maybe</isDirector>",
        b"<schemaVersion>X0508</schemaVersion>", b"<issuerCik></issuerCik>",
    ]


def _flip(rng: random.Random, data: bytes, m: Material) -> tuple[bytes, str]:
    damaged = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        damaged[rng.randrange(len(damaged))] = rng.randrange(256)
    return bytes(damaged), "flip"


def _delete(rng: random.Random, data: bytes, m: Material) -> tuple[bytes, str]:
    at = rng.randrange(len(data))
    size = rng.choice((1, rng.randint(1, 64), rng.randint(1, 4096)))
    return data[:at] + data[at + size :], f"delete {size}@{at}"


def _duplicate(rng: random.Random, data: bytes, m: Material) -> tuple[bytes, str]:
    at = rng.randrange(len(data))
    size, times = rng.randint(1, 256), rng.choice((2, rng.randint(2, 50)))
    return data[:at] + data[at : at + size] * times + data[at + size :], f"duplicate {size}x{times}@{at}"


def _insert(rng: random.Random, data: bytes, m: Material) -> tuple[bytes, str]:
    token = rng.choice(m.tokens)
    at = rng.randrange(len(data) + 1)
    if rng.random() < 0.5:  # at a markup boundary, where a token means the most
        at = data.find(b"<", at) % (len(data) + 1)  # -1 (none left): the end
    return data[:at] + token + data[at:], f"insert {token[:30]!r}@{at}"


def _replace_text(rng: random.Random, data: bytes, m: Material) -> tuple[bytes, str]:
    """Swap the text between a `>` and the next `<` (a value, a header line) for a token."""
    start = data.find(b">", rng.randrange(len(data)))
    end = data.find(b"<", start + 1) if start >= 0 else -1
    if end < 0:
        return _insert(rng, data, m)
    token = rng.choice(m.tokens)
    return data[: start + 1] + token + data[end:], f"replace text@{start} by {token[:30]!r}"


def _truncate(rng: random.Random, data: bytes, m: Material) -> tuple[bytes, str]:
    at = rng.randrange(len(data) + 1)
    return data[:at], f"truncate@{at}"


def _splice(rng: random.Random, data: bytes, m: Material) -> tuple[bytes, str]:
    donor = rng.choice(m.donors)
    start = rng.randrange(len(donor))
    piece = donor[start : start + rng.randint(1, 2048)]
    at = rng.randrange(len(data) + 1)
    return data[:at] + piece + data[at:], f"splice {len(piece)}@{at}"


def _swap_lines(rng: random.Random, data: bytes, m: Material) -> tuple[bytes, str]:
    lines = data.split(b"\n")
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines), f"swap lines {i},{j}"


def _reencode(rng: random.Random, data: bytes, m: Material) -> tuple[bytes, str]:
    """The whole file behind a byte-order mark, in UTF-16 with or without one, or with CRLF."""
    text = data.decode("utf-8", "replace")
    choice = rng.choice(("utf-8-bom", "utf-16", "utf-16-le", "utf-16-be", "crlf", "utf-32"))
    encoded = {
        "utf-8-bom": lambda: codecs.BOM_UTF8 + data,
        "utf-16": lambda: text.encode("utf-16"),
        "utf-16-le": lambda: text.encode("utf-16-le"),
        "utf-16-be": lambda: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        "crlf": lambda: data.replace(b"\n", b"\r\n"),
        "utf-32": lambda: text.encode("utf-32"),
    }[choice]()
    return encoded, f"reencode {choice}"


def _encoded(text: str, codec: str) -> bytes:
    """`text` in `codec`; UTF-7 with every symbol base64-encoded (`<!` as `+ADw-+ACE-`:
    Python's encoder writes them as plain ASCII, which the byte check would see)."""
    if codec != "utf-7 every symbol encoded":
        return text.encode(codec)
    shifted = (c if c.isalnum() or c in " ./-_" else f"+{base64.b64encode(c.encode('utf-16-be')).decode().rstrip('=')}-" for c in text)
    return "".join(shifted).encode("ascii")


#: Declared encodings (XML name, Python codec for the DOCTYPE written in it).
DECLARED = [
    ("UTF-7", "utf-7 every symbol encoded"), ("UTF-16", "utf-16-le"), ("UTF-16BE", "utf-16-be"), ("cp037", "cp037"),
    ("Shift_JIS", "shift_jis"), ("ISO-8859-1", "latin-1"), ("windows-1252", "cp1252"), ("UTF-8", "utf-8"),
    ("x-bogus", "utf-8"),
]

def _declare(rng: random.Random, data: bytes, m: Material) -> tuple[bytes, str]:
    """Give the XML declaration an encoding, and often a DOCTYPE naming the FIFO written
    in that encoding (what a byte search for `<!DOCTYPE` cannot see)."""
    at = data.find(b"<?xml")
    end = data.find(b"?>", at) if at >= 0 else -1
    if end < 0:
        return _insert(rng, data, m)
    name, codec = rng.choice(DECLARED)
    doctype = _encoded(f'<!DOCTYPE ownershipDocument SYSTEM "{m.url}">', codec) if rng.random() < 0.7 else b""
    declaration = f'<?xml version="1.0" encoding="{name}"?>'.encode()
    return data[:at] + declaration + doctype + data[end + 2 :], f"declare {name}{' + DOCTYPE' if doctype else ''}"


Mutation = Callable[[random.Random, bytes, Material], tuple[bytes, str]]
MUTATIONS: list[tuple[Mutation, int]] = [
    (_flip, 3), (_delete, 2), (_duplicate, 2), (_insert, 6), (_replace_text, 4), (_truncate, 1), (_splice, 2),
    (_swap_lines, 1), (_reencode, 1), (_declare, 1),
]


def mutated(rng: random.Random, base: bytes, m: Material) -> tuple[bytes, list[str]]:
    """One input: 1 to 4 mutations of `base`, drawn from `rng`."""
    data, done = base, []
    kinds, weights = zip(*MUTATIONS)
    for mutation in rng.choices(kinds, weights, k=rng.randint(1, 4)):
        if not data:
            break
        data, what = mutation(rng, data, m)
        done.append(what)
    return data, done


def _problems(data: bytes, result: object) -> list[str]:
    """What is wrong with one result (nothing, for a sound parse or quarantine)."""
    if isinstance(result, Quarantined):
        found = []
        if result.reason not in errors.ALL_REASONS or result.reason == errors.PARSER_ERROR:
            found.append(f"reason {result.reason}: {result.message}")
        if not result.message:
            found.append("no message")
        if result.offset is not None and not 0 <= result.offset <= len(data):
            found.append(f"offset {result.offset} outside the {len(data)}-byte input")
        rows = result.header_rows()
    elif isinstance(result, ParsedFiling):
        found, rows = [], result.rows()
    else:
        return [f"returned {type(result).__name__}"]
    for name, table_rows in rows.items():
        columns = set(tables.TABLES_BY_NAME[name].column_names)
        for row in table_rows:
            if not set(row) <= columns:
                found.append(f"{name} row has columns {sorted(set(row) - columns)}")
            if any(isinstance(v, str) and "\x00" in v for v in row.values()):
                found.append(f"{name} row has a NUL in its text (no text column can store it)")
    return found


def _fuzz(bases: list[bytes], donors: list[bytes], seed: int, tmp_path: Path) -> tuple[list[str], dict[str, int]]:
    """Run CASES_PER_TEST mutations; return the first failures and the count of each outcome."""
    rng = random.Random(seed)
    failures: list[str] = []
    outcomes: dict[str, int] = {}
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)
    try:
        with watched_fifo(tmp_path) as (fifo, opens):
            material = Material(_tokens(fifo.as_uri()), donors, fifo.as_uri())
            for case in range(CASES_PER_TEST):
                data, done = mutated(rng, rng.choice(bases), material)
                before = opens.count
                try:
                    result = parse_filing(data, source=f"case {case}")
                except Exception as exc:  # noqa: BLE001 - what the test is looking for
                    problems = [f"raised {type(exc).__name__}: {exc}"]
                else:
                    problems = _problems(data, result)
                    outcome = result.reason if isinstance(result, Quarantined) else "parsed"
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if opens.count != before:
                    problems.append("opened the FIFO a DOCTYPE named")
                if problems and len(failures) < 10:
                    failures.append(f"case {case} ({'; '.join(done)}): {'; '.join(problems)}")
    finally:
        faulthandler.cancel_dump_traceback_later()
    return failures, outcomes


def _assert_every_input_handled(failures: list[str], outcomes: dict[str, int]) -> None:
    assert not failures, "\n".join(failures)
    assert sum(outcomes.values()) == CASES_PER_TEST, outcomes
    # the mutations reach deep: most outcomes occur, and some inputs still parse
    assert outcomes.get("parsed", 0) > CASES_PER_TEST // 20, outcomes
    assert len(outcomes) >= 8, outcomes


def test_fuzz_mutations_of_the_seed(seed_bytes: bytes, tmp_path: Path) -> None:
    xml = seed_bytes[seed_bytes.find(b"<?xml") : seed_bytes.find(b"</ownershipDocument>") + len(b"</ownershipDocument>")]
    failures, outcomes = _fuzz([seed_bytes, xml], [seed_bytes], seed=14, tmp_path=tmp_path)
    assert not failures, "\n".join(failures)
    _assert_every_input_handled(failures, outcomes)


def test_fuzz_mutations_of_the_corpus(corpus_dir: Path, tmp_path: Path) -> None:
    files = sorted(p for p in (corpus_dir / "filings").iterdir() if p.stat().st_size <= DONOR_MAX_BYTES)
    files += sorted((corpus_dir / "bulk").glob("*.xml"))[:40]
    bases = [p.read_bytes() for p in files]
    if len(bases) < 10:
        pytest.fail(f"only {len(bases)} corpus filings found under {corpus_dir}")
    failures, outcomes = _fuzz(bases, bases, seed=345, tmp_path=tmp_path)
    assert not failures, "\n".join(failures)
    _assert_every_input_handled(failures, outcomes)
