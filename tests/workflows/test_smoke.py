"""The home page renders for every role."""

import pytest


@pytest.mark.parametrize("who", ["org", "auditor", "head_a", "deputy_a", "town_a", "cadre_a", "outsider"])
def test_home_page_renders_for_each_role(client, two_tiers, who):
    client.force_login(two_tiers["people"][who])
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert "您好" in response.content.decode()


def test_r_o4_person_without_post_sees_no_process_menus(client, two_tiers):
    client.force_login(two_tiers["people"]["outsider"])
    page = client.get("/home/").content.decode()
    assert "驻村管理" not in page and "/dispatch/" not in page
    assert client.get("/dispatch/").status_code == 403
    client.force_login(two_tiers["people"]["cadre_a"])
    page = client.get("/home/").content.decode()
    assert "驻村管理" in page and "/dispatch/" in page
