"""Slow tier: fresh installs, Binder, the benchmarks and the long reliability runs (marker ``slow``)."""
