"""The synthetic EDGAR mirror: a deterministic population of issuers and insiders, their
filings written as EDGAR would publish them, and a manifest of what was planted.

It stands in for EDGAR in the demo, the tests and the benchmarks; nothing in the
pipeline imports it.
"""

#: make_mirror's and `form4-assets make-mirror`'s defaults (here so the command line states
#: them without importing the generator). The filings of a median business day: the SEC's
#: 2024 Q3 median (synthetic.volume scales it by season).
DEFAULT_PER_DAY = 508
DEFAULT_SEED = 345
