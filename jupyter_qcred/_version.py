"""The package version, read by hatchling and reported by the CLI."""

__version__ = "0.1.0"
