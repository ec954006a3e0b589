"""The content calendar site: an mkdocs plugin that builds pages and feeds from the content.

`calendar.py` gathers what the pages show (posts, their state on each channel from the
ledger, cadence, last changes from git); `pages.py` turns it into pages through Jinja2
templates with autoescaping; `feeds.py` writes the iCalendar feeds; `plugin.py` is the
thin mkdocs shell.
"""
