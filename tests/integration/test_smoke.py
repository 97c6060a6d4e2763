from tests.conftest import InProcess, RunningNode


def test_a_flash_message_to_our_own_party_is_delivered_and_can_be_acknowledged(api: InProcess):
    sent = api.client.post(
        "/api/v1/messages", json={"to": ["BLUE"], "precedence": "flash", "text": "hi", "lang": "en"}
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["state"] == "delivered"
    acked = api.client.post(f"/api/v1/messages/{sent.json()['id']}/ack")
    assert acked.json()["state"] == "acknowledged"


def test_a_real_node_process_answers_its_operators(running_node: RunningNode):
    with running_node.client() as client:
        assert client.get("/api/v1/node").json()["party"]["party"] == "BLUE"
