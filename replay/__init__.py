"""The replay world: the bundled snapshot (demo/snapshot), its builder, and the loopback mirror
that serves it in the shapes of the real sites (whitehouse.gov, federalregister.gov, public
inspection), so the demo, the tests and the benchmarks crawl real pages without a network.

Production packages never import this one (tests/test_layers.py); the demo (radar/demo.py)
does, which is why it ships in the wheel.
"""
