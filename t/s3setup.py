#!/usr/bin/env python3
"""t/s3setup.py: prepares a fresh moto server for the local stack, then turns SigV4 checks on.

usage: s3setup.py ENDPOINT BUCKET[,BUCKET...] OUT_ENV_FILE
Creates an IAM user with an s3:* policy and an access key, creates the buckets, enables
moto's signature checking (reset-auth), and writes AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
to OUT_ENV_FILE. Verifies that a wrong secret is then refused.
"""
import json
import sys
import urllib.request

import boto3
import botocore.config
import botocore.exceptions


def main():
    endpoint, buckets, out = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    cfg = botocore.config.Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2})
    boot = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bootstrap",
                aws_secret_access_key="bootstrap", config=cfg)
    iam = boto3.client("iam", **boot)
    iam.create_user(UserName="bpg")
    iam.put_user_policy(UserName="bpg", PolicyName="s3all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="bpg")["AccessKey"]
    s3 = boto3.client("s3", **boot)
    for b in buckets:
        s3.create_bucket(Bucket=b)
    req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                 headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(req, timeout=5).read()
    good = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", config=cfg,
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"])
    good.head_bucket(Bucket=buckets[0])
    bad = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", config=cfg,
                       aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="wrong")
    try:
        bad.list_objects_v2(Bucket=buckets[0])
        sys.exit("s3setup: moto accepted a wrong secret: signature checking is off")
    except botocore.exceptions.ClientError:
        pass
    with open(out, "w") as f:
        f.write("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n"
                % (key["AccessKeyId"], key["SecretAccessKey"]))


if __name__ == "__main__":
    main()
