"""Services of the stationed cadres' management: leaves."""

ACTION_LABELS: dict = {}
