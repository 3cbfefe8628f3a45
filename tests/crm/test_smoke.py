def test_staff_token_lists_accounts(api_as, agent, account):
    response = api_as(agent).get("/api/v1/crm/accounts/")
    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == [account.number]
