"""The synthetic EDGAR mirror: a deterministic population of issuers and insiders, their
filings written as EDGAR would publish them, and a manifest of what was planted.

It stands in for EDGAR in the demo, the tests and the benchmarks; nothing in the
pipeline imports it.
"""
