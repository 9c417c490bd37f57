"""The org dept's dispatch pages: pairing and quotas, sanctions and award eligibility, coverage, training."""

urlpatterns: list = []
