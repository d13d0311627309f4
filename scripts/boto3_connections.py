"""Drive a WebSocket API's @connections endpoint with boto3's
apigatewaymanagementapi client (an AWS SDK, independent of gatecheck's own
client) and print what it saw as JSON, for runner/interop_test.go.

usage: boto3_connections.py ENDPOINT CONNECTION_ID ACCESS_KEY SECRET_KEY
"""
import json
import sys

import boto3
from botocore.exceptions import ClientError

endpoint, conn_id, akid, secret = sys.argv[1:5]
client = boto3.client(
    "apigatewaymanagementapi",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id=akid,
    aws_secret_access_key=secret,
)
out = {}


def record(name, call):
    try:
        resp = call()
        meta = resp.pop("ResponseMetadata", {})
        out[name] = {"status": meta.get("HTTPStatusCode"), "body": json.loads(json.dumps(resp, default=str))}
    except ClientError as e:
        out[name] = {"status": e.response["ResponseMetadata"]["HTTPStatusCode"], "code": e.response["Error"]["Code"]}


record("post", lambda: client.post_to_connection(ConnectionId=conn_id, Data=b"from-boto3"))
record("get", lambda: client.get_connection(ConnectionId=conn_id))
record("tooLarge", lambda: client.post_to_connection(ConnectionId=conn_id, Data=b"x" * 131073))
record("delete", lambda: client.delete_connection(ConnectionId=conn_id))
record("gone", lambda: client.post_to_connection(ConnectionId=conn_id, Data=b"after delete"))
print(json.dumps(out))
