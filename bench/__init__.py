"""Benchmarks for DESIGN.md's targets. Each writes bench/results/<name>.json."""
