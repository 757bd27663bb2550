"""Scoring: the versioned scorecard, features from the records, and the score they give."""
