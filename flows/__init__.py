"""Prefect flows: thin orchestration over the pipeline's plain functions."""

import os
import sys

# Prefect loads a deployment's entrypoint (flows/daily.py) by path and puts flows/ on sys.path;
# there flows/commentary.py and flows/alerts.py would shadow the commentary and alerts
# packages for every later import. Drop that entry as soon as the package is imported.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
