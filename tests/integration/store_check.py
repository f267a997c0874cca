"""Lists what really landed in an artifact store, with the store's own SDK.

usage: store_check.py s3|azure-blob|gcs CONTAINER_OR_BUCKET PREFIX
       store_check.py create s3|azure-blob|gcs CONTAINER_OR_BUCKET   (the "existing" store)
Credentials and endpoints come from the same environment the server got. Prints a JSON list of
{"key", "size"} for every object below PREFIX.
"""

import json
import os
import sys


def list_s3(bucket: str, prefix: str) -> list:
    import boto3

    s3 = boto3.client("s3", endpoint_url=os.environ.get("MLFLOW_S3_ENDPOINT_URL"))
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [{"key": o["Key"], "size": o["Size"]} for page in pages for o in page.get("Contents", [])]


def list_azure(container: str, prefix: str) -> list:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"])
    blobs = service.get_container_client(container).list_blobs(name_starts_with=prefix)
    return [{"key": b.name, "size": b.size} for b in blobs]


def list_gcs(bucket: str, prefix: str) -> list:
    from google.cloud import storage

    client = storage.Client()
    return [{"key": b.name, "size": b.size} for b in client.list_blobs(bucket, prefix=prefix)]


def create(kind: str, name: str) -> None:
    if kind == "s3":
        import boto3

        boto3.client("s3", endpoint_url=os.environ.get("MLFLOW_S3_ENDPOINT_URL")).create_bucket(Bucket=name)
    elif kind == "azure-blob":
        from azure.storage.blob import BlobServiceClient

        BlobServiceClient.from_connection_string(os.environ["AZURE_STORAGE_CONNECTION_STRING"]).create_container(name)
    else:
        from google.cloud import storage

        storage.Client().create_bucket(name)


if __name__ == "__main__":
    if sys.argv[1] == "create":
        create(sys.argv[2], sys.argv[3])
        print("[]")
        sys.exit(0)
    kind, name, prefix = sys.argv[1:4]
    lister = {"s3": list_s3, "azure-blob": list_azure, "gcs": list_gcs}[kind]
    print(json.dumps(lister(name, prefix)))
