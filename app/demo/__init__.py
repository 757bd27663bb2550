"""Demo data for `make run` and for benchmarks."""
