"""Cadence: the posting rules, as a pure library over plain events.

Each rule is one declaration (`rules/<name>.py`, listed in `registry.py`); the
parser of channels.yml's cadence sections (`policy.py`), their JSON Schema, the
docs table and the slot queue (`queue.py`) are generated from or driven by those
declarations. Nothing here reads files or knows about posts: `pipeline.planning`
turns content into events and runs the rules for the commands.
"""
