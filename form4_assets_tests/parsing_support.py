"""Helpers shared by the parser's bad-input tests: edit a filing, expect a quarantine."""

from __future__ import annotations

from form4_assets.parsing import Quarantined, errors, parse_filing


def edit_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) >= 1, old
    return data.replace(old, new, 1)


def quarantined_as(data: bytes, reason: str, **kwargs) -> Quarantined:
    result = parse_filing(data, source="edited", **kwargs)
    assert isinstance(result, Quarantined), result
    assert result.reason == reason, (result.reason, result.message)
    assert reason in errors.ALL_REASONS
    assert result.source == "edited" and result.message
    return result
