"""Console routers, one per area."""
