"""Stand-ins for the outside world used by the tests and the benchmarks (a real HTTP
server on 127.0.0.1 playing EDGAR); the pipeline never imports them."""
