#!/usr/bin/env python3
"""The local stand-in for Lambda's DynamoDB Streams event source mapping (`make serve`,
`make test`): reads the table's stream from DynamoDB Local, keeps inserted mail items (the
template's filter: eventName INSERT, pk beginning with MAIL#), and invokes the mailer function
through `cargo lambda watch` with Lambda's event shape. Records the mailer reports in
`batchItemFailures` come back after 1, 2, 4, ... s; after the last retry they are reported here
(where AWS sends them to the SQS dead-letter queue). Never prints a record's content.

usage: stream_relay.py DYNAMODB_URL TABLE INVOKE_URL [FUNCTION]
"""
import json
import sys
import time
import urllib.error
import urllib.request

RETRIES = 8
MAX_BACKOFF = 30
BATCH = 10
STREAMS = "DynamoDBStreams_20120810"
DYNAMODB = "DynamoDB_20120810"


def log(message):
    print(f"stream-relay: {message}", file=sys.stderr, flush=True)


class Relay:
    def __init__(self, dynamodb, table, invoke, function):
        self.dynamodb, self.table, self.function = dynamodb, table, function
        self.invoke_url = f"{invoke.rstrip('/')}/2015-03-31/functions/{function}/invocations"
        self.stream = None
        self.iterators = {}  # shard id -> iterator (None once the shard is closed and drained)
        self.retries = []  # (due, attempt, records)
        self.last_describe = 0.0

    def aws(self, service, target, body):
        request = urllib.request.Request(
            self.dynamodb,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": f"{service}.{target}",
                # DynamoDB Local wants the header's shape, not a valid signature.
                "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, "
                "SignedHeaders=host, Signature=0",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def discover(self):
        """The table's stream and its shards (new shards start at their oldest record)."""
        if self.stream is None:
            try:
                table = self.aws(DYNAMODB, "DescribeTable", {"TableName": self.table})["Table"]
            except urllib.error.HTTPError:
                return  # not created yet
            self.stream = table.get("LatestStreamArn")
            if self.stream is None:
                return
            log(f"following {self.stream}")
        shards = self.aws(STREAMS, "DescribeStream", {"StreamArn": self.stream})["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self.iterators:
                self.iterators[shard["ShardId"]] = self.aws(
                    STREAMS,
                    "GetShardIterator",
                    {"StreamArn": self.stream, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"},
                )["ShardIterator"]

    def poll(self):
        for shard, iterator in list(self.iterators.items()):
            if iterator is None:
                continue
            out = self.aws(STREAMS, "GetRecords", {"ShardIterator": iterator, "Limit": 100})
            self.iterators[shard] = out.get("NextShardIterator")
            mail = [r for r in out.get("Records", []) if is_mail(r)]
            for start in range(0, len(mail), BATCH):
                self.deliver(mail[start : start + BATCH], 0)

    def deliver(self, records, attempt):
        event = {"Records": [dict(r, eventSourceARN=self.stream) for r in records]}
        failed = None
        try:
            request = urllib.request.Request(self.invoke_url, data=json.dumps(event).encode(), method="POST")
            with urllib.request.urlopen(request, timeout=120) as response:
                reply = json.load(response)
            if isinstance(reply, dict) and "batchItemFailures" in reply:
                failed = {f["itemIdentifier"] for f in reply["batchItemFailures"]}
            else:
                log(f"the {self.function} function failed: {str(reply)[:200]}")
        except (urllib.error.URLError, OSError, ValueError) as e:
            log(f"could not invoke {self.function}: {e}")
        again = [r for r in records if failed is None or r["dynamodb"]["SequenceNumber"] in failed]
        if not again:
            return
        ids = ", ".join(mail_id(r) for r in again)
        if attempt >= RETRIES:
            log(f"giving up after {RETRIES} retries (on AWS: to the dead-letter queue): {ids}")
            return
        delay = min(2**attempt, MAX_BACKOFF)
        log(f"retrying in {delay}s: {ids}")
        self.retries.append((time.monotonic() + delay, attempt + 1, again))

    def run(self):
        while True:
            try:
                now = time.monotonic()
                if now - self.last_describe > 2:
                    self.last_describe = now
                    self.discover()
                self.poll()
                due = [r for r in self.retries if r[0] <= now]
                self.retries = [r for r in self.retries if r[0] > now]
                for _, attempt, records in due:
                    self.deliver(records, attempt)
            except urllib.error.HTTPError as e:
                if e.code == 400 and b"ExpiredIterator" in e.read():
                    self.iterators.clear()
                else:
                    log(f"DynamoDB answered {e.code}; trying again")
                    self.stream = None
                    self.iterators.clear()
            except (urllib.error.URLError, OSError) as e:
                log(f"DynamoDB unreachable ({e}); trying again")
            time.sleep(0.2)


def is_mail(record):
    return record.get("eventName") == "INSERT" and record["dynamodb"]["Keys"]["pk"]["S"].startswith("MAIL#")


def mail_id(record):
    return record["dynamodb"]["Keys"]["pk"]["S"][len("MAIL#") :]


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    try:
        Relay(*sys.argv[1:]).run()
    except KeyboardInterrupt:
        pass
