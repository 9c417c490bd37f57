"""Pages of the shared layer: the tier lists and the area index (`tiers`), the audit review (`audit`)."""
