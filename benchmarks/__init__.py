"""Reproducible performance runs of Tandem's event bus and feed (see README.md)."""
