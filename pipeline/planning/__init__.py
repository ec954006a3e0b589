"""Planning: the cadence rules at work on a repository's content, for the commands.

Posts and the ledger's times become events per channel (`evaluation.py`); from
there `social cadence` (`overview.py`, `against.py`), `social schedule`
(`schedule.py`, `history.py`) and the cadence findings of `social validate`
(`findings.py`). The rules themselves are the pure `pipeline.cadence`.
"""
