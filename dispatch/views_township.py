"""The township's and the cadre's dispatch pages: the team (R-M4) and self-application (R-S2)."""

urlpatterns: list = []
