"""Publishing exactly once: the ledger, the plan of what is due, and the run."""
