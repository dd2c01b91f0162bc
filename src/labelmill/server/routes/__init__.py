"""Routers of the server: ``api`` (labeling), ``admin``, ``media`` and ``ui`` (pages)."""
