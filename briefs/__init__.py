"""Digest assembly: windows, ranking, extractive summaries, rendering and delivery."""
