"""Enterprise credit profiles: snapshots of the scorecard applied to the merged records."""
