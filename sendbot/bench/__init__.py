"""Benchmarks: measured on demand (`sendbot bench ...`), never timed in tests."""
