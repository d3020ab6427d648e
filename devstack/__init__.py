"""Development and test harness: start the real processes of the platform on loopback.

Used by `make run`, the test fixtures, the contract harness and the benchmarks, so that
all of them start the services the same way.
"""
