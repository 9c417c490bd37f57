"""The home page renders for every role."""

import pytest


@pytest.mark.parametrize("who", ["org", "auditor", "head_a", "deputy_a", "town_a", "cadre_a", "outsider"])
def test_home_page_renders_for_each_role(client, two_tiers, who):
    client.force_login(two_tiers["people"][who])
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert "您好" in response.content.decode()
