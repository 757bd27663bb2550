"""HTTP data sources: where each of the six sources is pulled from, and the pulls."""
