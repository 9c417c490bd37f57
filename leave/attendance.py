"""Services of the stationed cadres' management: attendance."""

ACTION_LABELS: dict = {}
