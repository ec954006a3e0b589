"""The brands as the publish workflow fans out over them: one job per brand, from a matrix.

Each entry says everything a brand's job needs that differs from another brand's: its
content root, the environment holding its secrets, its state branch, what tells its
artifacts apart, and its failure issues (the hidden marker the job finds an issue by,
and the title it opens one with). For a repository of one brand the one entry is the
names the workflow always used: `publish`, `state`, and the issues as they were.
"""

from __future__ import annotations

from pipeline.content.brands import Brands
from pipeline.publish import doctor, failures


def matrix_entries(found: Brands) -> list[dict]:
    """One entry per brand, for `strategy.matrix.include`."""
    return [{**brand.as_dict(),
             "publish_marker": failures.marker(brand.name),
             "publish_title": failures.issue_title(brand.name),
             "channels_marker": doctor.issue_marker(brand.name), "channels_title": doctor.issue_title(brand.name)}
            for brand in found.brands]


def brands_text(found: Brands) -> str:
    """The brands for people: name, content root, state branch and environment."""
    if not found.multi:
        return (f"{found.repository.resolve()} is one brand: content/ at its top, its ledger on the "
                "state branch, its secrets in the publish environment.")
    rows = [("brand", "content root", "state branch", "environment")]
    rows += [(b.name, b.root.as_posix(), b.state_branch, b.environment) for b in found.brands]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
                     + "  " + row[3] for row in rows)
