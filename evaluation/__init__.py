"""Quality measurement: the scores, labelled sets and gates that judge the stages (extraction,
clustering and near-duplicates, relevance, entities and tags, zh-TW cards).

Used by the tests' quality gates and the benchmarks; production packages never import it
(tests/test_layers.py keeps it so).
"""
