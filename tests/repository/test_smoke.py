def test_home_page_lists_communities(client, community):
    response = client.get("/")
    assert response.status_code == 200
    assert community.title in response.content.decode()
