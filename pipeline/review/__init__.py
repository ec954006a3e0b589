"""Reviewing a change in a pull request: what it adds, changes and removes, as people will see it."""
