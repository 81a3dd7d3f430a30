"""The live client against a real HTTP server on 127.0.0.1 that misbehaves like EDGAR.

Every claim is checked where it matters, in the server's own request log: which requests
arrived, with which User-Agent, how far apart, and how many in any one-second window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import threading
import time

import pytest

from form4_assets.edgar.errors import EdgarError, FairAccessBlocked, MissingUserAgent
from form4_assets.edgar.index import IndexEntry
from form4_assets.testing.loopback import (
    Fault,
    LoopbackEdgar,
    MirrorFiling,
    generated_filings,
    max_requests_in_window,
    write_mirror,
)
from form4_assets.edgar.paths import daily_index_path, filing_path, legacy_filing_path
from form4_assets.edgar.source import LiveSource

DAY = dt.date(2023, 11, 8)
UA = "Form4 Tests form4-tests@example.com"
SEED_ACCESSION = "0001628280-23-037880"


@pytest.fixture
def mirror(tmp_path, seed_bytes):
    """A mirror with the seed filing, one filing stored only at the old path, and ten more."""
    root = tmp_path / "mirror"
    old, *rest = generated_filings(DAY, 11)
    filings = [
        MirrorFiling("1043219", SEED_ACCESSION, seed_bytes, company_name="ANNALY CAPITAL MANAGEMENT INC"),
        MirrorFiling(old.cik, old.accession, old.data, legacy_layout=True),
        *rest,
    ]
    write_mirror(root, DAY, filings)
    return root


def live(server: LoopbackEdgar, cache, **options) -> LiveSource:
    options.setdefault("backoff_factor", 0.05)
    options.setdefault("timeout", 5.0)
    return LiveSource(UA, cache, base_url=server.base_url, **options)


def requests_for(server: LoopbackEdgar, suffix: str):
    return [r for r in server.log if r.path.endswith(suffix)]


# -- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user_agent", [None, "", "   ", "python-requests/2.32", "jane@example.com", "Jane Doe", "Jane Doe\r\nX: y j@example.com"]
)
def test_live_source_refuses_to_run_without_a_declared_user_agent(tmp_path, user_agent):
    with pytest.raises(MissingUserAgent, match="FORM4_USER_AGENT|printable"):
        LiveSource(user_agent, tmp_path)


def test_live_source_accepts_sec_style_user_agents_and_caps_the_rate(tmp_path):
    for user_agent in ["Sample Company Name AdminContact@samplecompany.com", "Jane Doe jane.doe@uni.edu"]:
        assert LiveSource(user_agent, tmp_path).client.user_agent == user_agent
    with pytest.raises(ValueError, match="at most 10 requests per second"):
        LiveSource(UA, tmp_path, max_requests_per_second=12)


# -- the normal path and the cache --------------------------------------------------------


def test_fetches_with_user_agent_then_serves_reruns_from_cache(mirror, tmp_path, seed_bytes):
    cache = tmp_path / "cache"
    with LoopbackEdgar(mirror, latency=0.01) as server:
        entries = live(server, cache).list_filings(DAY)
        assert [e.accession for e in entries][:1] == [SEED_ACCESSION] and len(entries) == 12
        results = list(live(server, cache).fetch_all(entries))
        assert [r.entry for r in results] == list(entries)
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        for result in results:
            assert result.data == (mirror / result.local_path.relative_to(cache)).read_bytes()
            assert result.sha256 == hashlib.sha256(result.data).hexdigest() and result.size == len(result.data)
            checksum = result.local_path.with_name(result.local_path.name + ".sha256").read_text()
            assert checksum.split() == [result.sha256, result.local_path.name]
        assert results[0].data == seed_bytes
        first_run = server.log
        assert {r.user_agent for r in first_run} == {UA}
        # index + 12 filings, one of which is only at the old path (one 404 first).
        assert len(first_run) == 1 + 12 + 1

        # A re-run with a fresh client reads everything from the cache: no request at all.
        again = live(server, cache)
        rerun = list(again.fetch_all(again.list_filings(DAY)))
        assert len(server.log) == len(first_run) and again.client.attempts == 0
        assert [(r.local_path, r.sha256, r.data) for r in rerun] == [(r.local_path, r.sha256, r.data) for r in results]

        # A cached file that no longer matches its checksum is fetched again, alone.
        results[3].local_path.write_bytes(b"corrupted")
        repaired = list(live(server, cache).fetch_all(entries))
        assert len(server.log) == len(first_run) + 1
        assert server.log[-1].path == "/" + filing_path(entries[3].cik, entries[3].accession)
        assert repaired[3].data == results[3].data and results[3].local_path.read_bytes() == results[3].data


def test_filing_only_at_the_index_path_is_fetched_from_there(mirror, tmp_path):
    with LoopbackEdgar(mirror) as server:
        source = live(server, tmp_path / "cache")
        old = source.list_filings(DAY)[1]
        result = list(source.fetch_all([old]))[0]
        assert result.ok
        assert [(r.path, r.status) for r in server.log[1:]] == [
            ("/" + filing_path(old.cik, old.accession), 404),
            ("/" + legacy_filing_path(old.cik, old.accession), 200),
        ]
        assert result.local_path == tmp_path / "cache" / legacy_filing_path(old.cik, old.accession)


def test_filing_missing_everywhere_is_an_error_entry_not_an_exception(mirror, tmp_path):
    ghost = IndexEntry("1000", "NOBODY", "4", DAY, "edgar/data/1000/0000001000-23-000001.txt", "0000001000-23-000001")
    with LoopbackEdgar(mirror, missing_status=403) as server:
        source = live(server, tmp_path / "cache")
        seed, old, missing = list(source.fetch_all([*source.list_filings(DAY)[:2], ghost]))
        # S3's 403 AccessDenied means "no such file": the old path is tried, nothing is blocked.
        assert seed.ok and old.ok and not missing.ok
        assert missing.data is None and "not on EDGAR" in missing.error and "HTTP 403" in missing.error
        assert [r.status for r in server.log].count(403) == 3


# -- daily index answers ------------------------------------------------------------------


@pytest.mark.parametrize("missing_status", [404, 403])
def test_day_without_index_has_no_filings_and_is_not_cached(mirror, tmp_path, missing_status):
    holiday = dt.date(2023, 11, 23)
    with LoopbackEdgar(mirror, missing_status=missing_status) as server:
        source = live(server, tmp_path / "cache")
        assert source.list_filings(holiday) == []
        assert source.list_filings(holiday) == []
        assert [r.status for r in server.log] == [missing_status, missing_status]


def test_index_of_a_past_day_is_cached_but_not_todays(mirror, tmp_path):
    with LoopbackEdgar(mirror) as server:
        on_the_day = live(server, tmp_path / "a", today=lambda: DAY)
        assert len(on_the_day.list_filings(DAY)) == 12
        assert len(on_the_day.list_filings(DAY)) == 12
        assert len(server.log) == 2
        next_day = live(server, tmp_path / "b", today=lambda: DAY + dt.timedelta(days=1))
        assert len(next_day.list_filings(DAY)) == 12
        assert len(next_day.list_filings(DAY)) == 12
        assert len(server.log) == 3
        assert (tmp_path / "b" / daily_index_path(DAY)).read_bytes() == (mirror / daily_index_path(DAY)).read_bytes()


def test_index_server_errors_after_retries_raise_edgar_error(mirror, tmp_path):
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.server_error(503), path="*.idx", times=None)
        with pytest.raises(EdgarError, match="HTTP 503 after 2 retries"):
            live(server, tmp_path / "cache", retries=2).list_filings(DAY)
        assert [r.status for r in server.log] == [503, 503, 503]


# -- retries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault, first_status",
    [
        (Fault.server_error(500), 500),
        (Fault.server_error(503), 503),
        (Fault.drop_connection(), None),
        (Fault.truncated_body(), 200),
        (Fault.slow(2.5), 200),
    ],
    ids=["500", "503", "dropped-connection", "truncated-body", "slow-response"],
)
def test_transient_fault_is_retried_then_succeeds(mirror, tmp_path, seed_bytes, fault, first_status):
    with LoopbackEdgar(mirror) as server:
        server.inject(fault, path=f"*/{SEED_ACCESSION}.txt")
        source = live(server, tmp_path / "cache", timeout=1.0)
        result = list(source.fetch_all(source.list_filings(DAY)[:1]))[0]
        assert result.ok and result.data == seed_bytes
        attempts = requests_for(server, f"/{SEED_ACCESSION}.txt")
        assert [(r.status, r.fault) for r in attempts] == [(first_status, fault.kind), (200, None)]


def test_429_waits_for_retry_after_in_every_thread(tmp_path, seed_bytes):
    # Every filing at the current path: the refused request is whichever filing request
    # arrives first, and the shared mirror's old-path-only filing would answer its retry
    # with a rightful 404.
    root = tmp_path / "mirror"
    write_mirror(root, DAY, [MirrorFiling("1043219", SEED_ACCESSION, seed_bytes), *generated_filings(DAY, 11)])
    with LoopbackEdgar(root) as server:
        server.inject(Fault.too_many_requests(retry_after=1), requests=[2])  # the first filing request
        source = live(server, tmp_path / "cache", backoff_factor=0.0)
        results = list(source.fetch_all(source.list_filings(DAY)))
        assert all(r.ok for r in results)
        refused = server.log[1]
        assert refused.status == 429
        first, second = requests_for(server, refused.path)
        assert (first, second.status) == (refused, 200)
        # At least Retry-After; after the pause the retry queues with the other threads.
        assert 1.0 <= second.time - first.time < 3.0
        # The other threads held back too: nothing arrived while the server asked for quiet
        # (bar a request already admitted when the 429 was on its way back), the rest after.
        assert not [r for r in server.log if first.time + 0.35 <= r.time < first.time + 1.0]
        assert len([r for r in server.log if r.time >= first.time + 1.0]) >= 10
        assert len(server.log) == 1 + 12 + 1


def test_persistent_server_error_becomes_an_error_entry(mirror, tmp_path):
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.server_error(500), path=f"*/{SEED_ACCESSION}.txt", times=None)
        source = live(server, tmp_path / "cache", retries=2, backoff_factor=0.0)
        entries = source.list_filings(DAY)[:3]
        results = list(source.fetch_all(entries))
        assert [r.ok for r in results] == [False, True, True]
        assert results[0].error.startswith("HTTP 500 from ") and "after 2 retries" in results[0].error
        assert len(requests_for(server, f"/{SEED_ACCESSION}.txt")) == 3


# -- fair access --------------------------------------------------------------------------


@pytest.fixture
def blocking_server(tmp_path):
    """A server whose every filing answer is the fair-access block."""
    root = tmp_path / "blocking-mirror"
    write_mirror(root, DAY, generated_filings(DAY, 30))
    with LoopbackEdgar(root) as server:
        server.inject(Fault.fair_access_block(), path="/Archives/edgar/data/*", times=None)
        yield server


def test_fair_access_block_stops_the_run_at_once(blocking_server, tmp_path):
    source = live(blocking_server, tmp_path / "cache")
    entries = source.list_filings(DAY)
    started = time.monotonic()
    with pytest.raises(FairAccessBlocked) as raised:
        list(source.fetch_all(entries))
    assert time.monotonic() - started < 2.0
    message = str(raised.value)
    assert "Undeclared Automated Tool" in message or "Request Rate Threshold" in message
    assert "User-Agent" in message and "10 minutes" in message and "10 requests per second" in message
    filing_requests = [r for r in blocking_server.log if r.path.startswith("/Archives/edgar/data/")]
    assert 1 <= len(filing_requests) <= 3 and {r.status for r in filing_requests} == {403}

    # The block holds for the whole process: another client sends nothing at all.
    before = len(blocking_server.log)
    with pytest.raises(FairAccessBlocked):
        live(blocking_server, tmp_path / "other").list_filings(DAY + dt.timedelta(days=1))
    assert len(blocking_server.log) == before


def test_a_stopped_server_takes_its_block_with_it(mirror, tmp_path):
    """A later stand-in on the same port is a different server: the block is not inherited."""
    server = LoopbackEdgar(mirror).start()
    server.inject(Fault.fair_access_block(), path="*.idx")
    with pytest.raises(FairAccessBlocked):
        live(server, tmp_path / "a").list_filings(DAY)
    with pytest.raises(FairAccessBlocked):
        live(server, tmp_path / "b").list_filings(DAY)
    blocked_url = server.base_url
    server.stop()
    assert len(server.log) == 1
    # The same host and port, as a reused port would give, is no longer refused up front:
    # the request is sent and fails only because nobody listens there any more.
    source = LiveSource(UA, tmp_path / "c", base_url=blocked_url, retries=0)
    with pytest.raises(EdgarError) as raised:
        source.list_filings(DAY)
    assert type(raised.value) is EdgarError and source.client.attempts == 1


def test_fair_access_block_on_the_index_is_not_mistaken_for_a_holiday(mirror, tmp_path):
    with LoopbackEdgar(mirror) as server:
        server.inject(Fault.fair_access_block(), path="*.idx")
        with pytest.raises(FairAccessBlocked, match="HTTP 403"):
            live(server, tmp_path / "cache").list_filings(DAY)
        assert len(server.log) == 1


# -- the rate limit, measured at the server ----------------------------------------------


def test_rate_limit_holds_across_threads_and_instances_including_retries(tmp_path):
    root = tmp_path / "mirror"
    write_mirror(root, DAY, generated_filings(DAY, 40))
    with LoopbackEdgar(root, latency=(0.05, 0.1), seed=7) as server:
        for n in (3, 9, 14):  # retries must pass the limiter too
            server.inject(Fault.server_error(500), path=f"*-{n:06d}.txt")
        server.inject(Fault.drop_connection(), path="*-000021.txt")
        entries = live(server, tmp_path / "index-cache").list_filings(DAY)
        halves = [entries[:20], entries[20:]]
        sources = [live(server, tmp_path / f"cache{i}", backoff_factor=0.0, max_workers=6) for i in range(2)]
        results: list[list] = [[], []]

        def run(i):
            results[i] = list(sources[i].fetch_all(halves[i]))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(r.ok for half in results for r in half)
        log = server.log
        assert len(log) == 1 + 40 + 4
        assert sum(s.client.attempts for s in sources) == 44
        assert max_requests_in_window(r.time for r in log) <= 10
        # Both instances were active at the same time: their request spans overlap.
        accessions = [{e.accession for e in half} for half in halves]
        spans = [[r.time for r in log if r.path.rsplit("/", 1)[-1].removesuffix(".txt") in acc] for acc in accessions]
        assert len(spans[0]) >= 20 and len(spans[1]) >= 20
        assert max(spans[0]) > min(spans[1]) and max(spans[1]) > min(spans[0])


def test_lower_rate_for_runs_sharing_an_ip(tmp_path):
    root = tmp_path / "mirror"
    write_mirror(root, DAY, generated_filings(DAY, 11))
    with LoopbackEdgar(root) as server:
        source = live(server, tmp_path / "cache", max_requests_per_second=5)
        assert all(r.ok for r in source.fetch_all(source.list_filings(DAY)))
        times = [r.time for r in server.log]
        assert len(times) == 12 and max_requests_in_window(times) <= 5
        assert times[-1] - times[0] >= 11 / 5


def test_max_requests_in_window_counts_half_open_windows():
    assert max_requests_in_window([]) == 0
    assert max_requests_in_window([0.0, 0.5, 0.999, 1.0, 1.2]) == 4
    assert max_requests_in_window([0.0, 0.1 * 10, 0.1 * 20]) == 1


# -- untrusted index lines ----------------------------------------------------------------


def test_crafted_index_lines_never_become_requests(tmp_path, seed_bytes):
    root = tmp_path / "mirror"
    (tmp_path / "secret.txt").write_text("outside the mirror")
    crafted = [
        "1043219|EVIL|4|20231108|edgar/data/1043219/../../../../secret.txt",
        "1043219|EVIL|4|20231108|edgar/data/1043219/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "1043219|EVIL|4|20231108|/secret.txt",
        "..|EVIL|4|20231108|edgar/data/../0001628280-23-037881.txt",
        "1043219|EVIL|4|20231108|edgar/data/1043219/0001628280-23-03788/../secret.txt",
    ]
    write_mirror(root, DAY, [MirrorFiling("1043219", SEED_ACCESSION, seed_bytes)], crafted)
    with LoopbackEdgar(root) as server:
        source = live(server, tmp_path / "cache")
        entries = source.list_filings(DAY)
        assert [e.accession for e in entries] == [SEED_ACCESSION]
        assert [r.line_no for r in entries.rejected] == [9, 10, 11, 12, 13]
        assert all(f"master.{DAY:%Y%m%d}.idx, line" in str(r) for r in entries.rejected)
        # An entry built by hand around the validation is refused before any request.
        forged = IndexEntry("1043219", "EVIL", "4", DAY, "edgar/data/1043219/../../secret.txt", "../../secret")
        results = list(source.fetch_all([*entries, forged]))
        assert results[0].ok and not results[1].ok and "invalid index entry" in results[1].error
        assert [r.path for r in server.log] == [
            "/" + daily_index_path(DAY),
            "/" + filing_path("1043219", SEED_ACCESSION),
        ]
    assert not any(p.name == "secret.txt" for p in (tmp_path / "cache").rglob("*"))


def test_loopback_server_refuses_paths_outside_its_root(tmp_path):
    root = tmp_path / "mirror"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    (root / "link").symlink_to(tmp_path)
    with LoopbackEdgar(root) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/link/secret.txt", "/a/..%2f..%2fsecret.txt"]:
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            assert response.status == 400, path
            assert b"TOP SECRET" not in response.read()
            conn.close()
