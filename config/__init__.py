"""The bottom layer: the typed settings object (packaged defaults, ``radar.toml``, ``RADAR_*``
environment), the named error hierarchy, and the kill tests' pause points.

It imports nothing else of the project, and every other package may import it
(tests/test_layers.py keeps it so).
"""
