"""Services of the stationed cadres' management: oversight."""

ACTION_LABELS: dict = {}
