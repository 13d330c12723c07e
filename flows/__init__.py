"""Prefect flows: thin orchestration over the pipeline's plain functions."""
