"""Profile rebuilds as seen from scoring (kept importable for callers such as disputes):
`rebuild([enterprise_id], trigger="dispute")`, `latest_profile(enterprise_id)`.

The profiles themselves (snapshots, pages, CLI, job) live in `app.profiles`.
"""

from app.profiles.services import (
    RebuildSummary,
    latest_profile,
    latest_profiles,
    rebuild,
)

__all__ = ["RebuildSummary", "latest_profile", "latest_profiles", "rebuild"]
