"""Stage runners: open the store, load what a stage needs, call the stage's plain functions,
return plain counts and paths. The CLI, the Prefect flows and the demo call these; the stages
themselves (crawlers, nlp, briefs, commentary, alerts) never import them.
"""
