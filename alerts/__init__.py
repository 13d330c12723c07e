"""Alerts: watchlist queries matched against new documents, one notification per story."""
