"""Analyst web UI (FastAPI + Jinja2, server-rendered): digests, stories, search, quick comments, sources, watchlists."""
