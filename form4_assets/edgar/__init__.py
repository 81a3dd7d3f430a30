"""Where filings come from: EDGAR's daily indexes, the live client, offline mirrors."""
