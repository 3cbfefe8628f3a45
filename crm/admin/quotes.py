"""Filled in by the sales work (issue 12)."""
