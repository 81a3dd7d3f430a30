"""The live client against a loopback server that misbehaves as a hostile or broken server
would (issue 14, findings 12-16): redirects to another host, bodies too large to hold
(announced, endless, or a gzip bomb), bytes trickled one by one, headers cut after the
status line, and a Retry-After that is not a time.

What the client sent is checked in the servers' own request logs, what it kept in the
on-disk cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import tracemalloc

import pytest

from form4_assets.parsing import MAX_FILING_BYTES as MAX_BODY_BYTES  # the client caps bodies at the parser's limit
from form4_assets.edgar.errors import EdgarError
from form4_assets.edgar.paths import daily_index_path, filing_path
from form4_assets.edgar.source import LiveSource
from form4_assets.testing.loopback import Fault, LoopbackEdgar, MirrorFiling, generated_filings, write_mirror

DAY = dt.date(2023, 11, 8)
UA = "Form4 Tests form4-tests@example.com"
SEED_CIK, SEED_ACCESSION = "1043219", "0001628280-23-037880"
SEED_PATH = "/" + filing_path(SEED_CIK, SEED_ACCESSION)


@pytest.fixture
def mirror(tmp_path, seed_bytes):
    root = tmp_path / "mirror"
    write_mirror(root, DAY, [MirrorFiling(SEED_CIK, SEED_ACCESSION, seed_bytes), *generated_filings(DAY, 2)])
    return root


def live(server: LoopbackEdgar, cache, **options) -> LiveSource:
    options.setdefault("backoff_factor", 0.01)
    options.setdefault("timeout", 5.0)
    return LiveSource(UA, cache, base_url=server.base_url, **options)


def fetch_seed(source: LiveSource):
    entry = source.list_filings(DAY)[0]
    assert entry.accession == SEED_ACCESSION
    return list(source.fetch_all([entry]))[0]


def cached_files(cache) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file()) if cache.exists() else []


def seed_requests(server: LoopbackEdgar):
    return [r for r in server.log if r.path == SEED_PATH]


# -- finding 12: redirects ----------------------------------------------------------------


def test_redirect_to_another_origin_is_refused_and_nothing_is_cached(mirror, tmp_path, seed_bytes):
    elsewhere = tmp_path / "elsewhere"
    write_mirror(elsewhere, DAY, [MirrorFiling(SEED_CIK, SEED_ACCESSION, seed_bytes.replace(b"50000", b"99999"))])
    cache = tmp_path / "cache"
    with LoopbackEdgar(elsewhere) as other, LoopbackEdgar(mirror) as server:
        server.inject(Fault.redirect(other.base_url + SEED_PATH), path=SEED_PATH, times=None)
        server.inject(Fault.redirect(other.base_url + "/" + daily_index_path(DAY, "form")), path="*.idx", times=1)
        source = live(server, cache, today=lambda: DAY + dt.timedelta(days=1))
        with pytest.raises(EdgarError, match="off the EDGAR origin"):
            source.list_filings(DAY)
        result = fetch_seed(source)
        assert not result.ok and result.data is None
        assert f"redirect to {other.base_url}{SEED_PATH}, off the EDGAR origin {server.base_url}" in result.error
        assert other.log == []  # not one request (so not the User-Agent) went to the other host
        assert [r.status for r in seed_requests(server)] == [302]  # refused, not retried
    assert cached_files(cache) == [daily_index_path(DAY), daily_index_path(DAY) + ".sha256"]


def test_redirect_within_the_origin_is_followed_and_its_body_checked(mirror, tmp_path, seed_bytes):
    copy = mirror / "Archives" / "moved" / "seed.txt"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(seed_bytes)
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.redirect("/Archives/moved/seed.txt", status=301), path=SEED_PATH)
        server.inject(Fault.truncated_body(), path="/Archives/moved/seed.txt")  # the target is checked too
        result = fetch_seed(live(server, tmp_path / "cache"))
        assert result.ok and result.data == seed_bytes
        assert result.local_path == tmp_path / "cache" / filing_path(SEED_CIK, SEED_ACCESSION)
        assert [(r.path, r.status) for r in server.log[1:]] == [
            (SEED_PATH, 301), ("/Archives/moved/seed.txt", 200), ("/Archives/moved/seed.txt", 200)
        ]


# -- finding 13: size caps ----------------------------------------------------------------


def test_huge_content_length_is_refused_unread_and_not_retried(mirror, tmp_path):
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.huge_content_length(2_000_000_000), path=SEED_PATH, times=None)
        result = fetch_seed(live(server, tmp_path / "cache"))
        assert not result.ok
        assert f"Content-Length 2000000000 is over the {MAX_BODY_BYTES}-byte cap; not read" in result.error
        assert len(seed_requests(server)) == 1
    assert not (tmp_path / "cache" / filing_path(SEED_CIK, SEED_ACCESSION)).exists()


def test_complete_body_over_the_cap_is_refused_and_not_cached(mirror, tmp_path):
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.endless_body(MAX_BODY_BYTES + (1 << 20)), path=SEED_PATH, times=None)
        result = fetch_seed(live(server, tmp_path / "cache"))
        assert not result.ok and f"body over the {MAX_BODY_BYTES}-byte cap" in result.error
        assert len(seed_requests(server)) == 1
    assert not (tmp_path / "cache" / filing_path(SEED_CIK, SEED_ACCESSION)).exists()


def test_gzip_bomb_is_stopped_at_the_cap_without_decoding_it_in_memory(mirror, tmp_path):
    decoded = 512 << 20  # 512 MiB of zeros in about 0.5 MB of gzip
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.gzip_bomb(decoded), path=SEED_PATH, times=None)
        source = live(server, tmp_path / "cache")
        entry = source.list_filings(DAY)[0]
        tracemalloc.start()
        try:
            result = list(source.fetch_all([entry]))[0]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert not result.ok and f"body over the {MAX_BODY_BYTES}-byte cap" in result.error
        assert "decoded" in result.error
        assert peak < 2 * MAX_BODY_BYTES, f"peak {peak / 2**20:.0f} MiB while fetching"
        assert len(seed_requests(server)) == 1
    assert not (tmp_path / "cache" / filing_path(SEED_CIK, SEED_ACCESSION)).exists()


# -- finding 14: the deadline -------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers-and-body"])
def test_trickled_answer_is_cut_at_the_deadline(tmp_path, headers):
    small = generated_filings(DAY, 1, size=40)[0]  # ~200 bytes: 10 s at 20 bytes a second
    root = tmp_path / "mirror"
    write_mirror(root, DAY, [small])
    path = "/" + filing_path(small.cik, small.accession)
    with LoopbackEdgar(root) as server:
        server.inject(Fault.trickle(0.05, headers=headers), path=path, times=None)  # each byte well within the read timeout
        source = live(server, tmp_path / "cache", timeout=0.5, retries=1)  # deadline: 4 x 0.5 s per attempt
        entry = source.list_filings(DAY)[0]
        started = time.monotonic()
        result = list(source.fetch_all([entry]))[0]
        elapsed = time.monotonic() - started
        assert not result.ok and "within the 2 s deadline" in result.error and "after 1 retry" in result.error
        assert 4.0 <= elapsed < 6.0, elapsed
        assert len([r for r in server.log if r.path == path]) == 2
    assert not (tmp_path / "cache" / filing_path(small.cik, small.accession)).exists()


# -- finding 15: cut headers, empty bodies ------------------------------------------------


def test_headers_cut_after_the_status_line_are_retried_and_never_cached(mirror, tmp_path, seed_bytes):
    cache = tmp_path / "cache"
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.cut_headers(), path=SEED_PATH, times=1)
        result = fetch_seed(live(server, cache))
        assert result.ok and result.data == seed_bytes
        assert [r.fault for r in seed_requests(server)] == ["cut_headers", None]

    other_cache = tmp_path / "cache2"
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.cut_headers(), path=SEED_PATH, times=None)
        result = fetch_seed(live(server, other_cache, retries=2))
        assert not result.ok and "after 2 retries" in result.error and "without Content-Length" in result.error
        assert len(seed_requests(server)) == 3
    assert not (other_cache / filing_path(SEED_CIK, SEED_ACCESSION)).exists()
    with LoopbackEdgar(mirror) as server:  # the next run asks again, and keeps the real bytes
        assert fetch_seed(live(server, other_cache)).data == seed_bytes
        assert len(seed_requests(server)) == 1


def test_an_empty_cached_file_is_fetched_again(mirror, tmp_path, seed_bytes):
    cache = tmp_path / "cache"
    stored = cache / filing_path(SEED_CIK, SEED_ACCESSION)
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"")  # what an earlier run kept from a cut answer, checksum and all
    stored.with_name(stored.name + ".sha256").write_text(f"{hashlib.sha256(b'').hexdigest()}  {stored.name}\n")
    with LoopbackEdgar(mirror) as server:
        assert fetch_seed(live(server, cache)).data == seed_bytes
        assert len(seed_requests(server)) == 1
    assert stored.read_bytes() == seed_bytes


# -- finding 16: Retry-After that is not a time -------------------------------------------


def test_unparseable_retry_after_is_retried_with_the_backoff(mirror, tmp_path, seed_bytes):
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.too_many_requests("soon"), path=SEED_PATH, times=1)
        result = fetch_seed(live(server, tmp_path / "cache"))
        assert result.ok and result.data == seed_bytes
        assert [r.status for r in seed_requests(server)] == [429, 200]


def test_persistent_429_with_unparseable_retry_after_says_how_many_retries(mirror, tmp_path):
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.too_many_requests("soon"), path=SEED_PATH, times=None)
        result = fetch_seed(live(server, tmp_path / "cache", retries=2))
        assert not result.ok and result.error == f"HTTP 429 from {server.base_url}{SEED_PATH} after 2 retries"
        assert len(seed_requests(server)) == 3


def test_transport_failure_message_counts_the_retries_made(mirror, tmp_path):
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.drop_connection(), path=SEED_PATH, times=None)
        result = fetch_seed(live(server, tmp_path / "cache", retries=2))
        assert not result.ok and result.error.startswith(f"GET {server.base_url}{SEED_PATH} failed after 2 retries: ")
        assert len(seed_requests(server)) == 3
