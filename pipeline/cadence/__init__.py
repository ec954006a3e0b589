"""Cadence: posting rules per channel, the week-by-week report, and the slot queue.

Rules are pure functions over plain events (`events.py`, `rules.py`); reading
content, git and files happens at the edges (`engine.py`, `against.py`,
`schedule.py`).
"""
