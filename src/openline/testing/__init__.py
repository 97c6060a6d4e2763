"""Support for the tests and the benchmarks: real servers they start and stop themselves."""
