"""The local AWS emulator keeps connections alive, in a thread and in a process of its own: each
AWS call of the local stack would otherwise pay a new connection and, in the server, a new thread
(werkzeug's development server answers every request with `Connection: close`)."""

from __future__ import annotations

import http.client
import json

import pytest

from local.aws_emulator import AwsEmulator
from local.moto_server import TIMING_HEADER

LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=testing/20261126/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0"
    ),
}


@pytest.mark.parametrize("own_process", [False, True], ids=["thread", "own process"])
def test_the_emulator_answers_many_calls_on_one_connection(own_process: bool) -> None:
    with AwsEmulator("127.0.0.1", 0, own_process=own_process) as aws:
        host, port = aws.endpoint_url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            local_ends = set()
            # When one connection sends three DynamoDB calls in a row
            for _ in range(3):
                connection.request("POST", "/", body=b"{}", headers=LIST_TABLES)
                response = connection.getresponse()
                # Then each is answered, none asks to close, and all travel on the same socket
                assert response.status == 200
                assert json.loads(response.read()) == {"TableNames": []}
                assert not response.will_close
                # And says how long moto took over it (what the overhead benchmark subtracts)
                assert 0 < float(response.headers[TIMING_HEADER]) < 10_000
                assert connection.sock is not None
                local_ends.add(connection.sock.getsockname())
            assert len(local_ends) == 1
        finally:
            connection.close()
