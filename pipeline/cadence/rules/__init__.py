"""The cadence rules, one module each: its value, its check, its declaration `RULE`.

The order in which they apply and are documented is `pipeline/cadence/registry.py`.
"""
