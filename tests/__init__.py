"""Tests for tf1freeze: core (no Qt) and gui (pytest-qt, offscreen)."""
