"""The S3 server of the environment (S3_ENDPOINT_URL and the AWS_* credentials), reached
directly rather than through PropFlow's storage: what tests check the bucket with."""

import os
from typing import Any

import boto3


def s3_client() -> Any:
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
        region_name=os.environ.get("S3_REGION", "us-east-1"),
    )
