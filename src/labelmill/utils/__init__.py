"""Helpers shared by every package (private modules; nothing here is public API)."""
