"""Signed URLs on Cloud Run without a service account key.

MLflow's proxied multipart upload (GCSArtifactRepository.create_multipart_upload, MLflow 3.17.2)
calls `blob.generate_signed_url(...)` without `service_account_email`/`access_token`.
google-cloud-storage then needs credentials that can sign (google.auth.credentials.Signing), but
on Cloud Run the default credentials are metadata-server tokens
(google.auth.compute_engine.Credentials), which cannot: the call fails with "you need a private
key to sign credentials". Given the service account's email and an access token,
google-cloud-storage signs through the IAM Credentials signBlob API instead, which needs
iam.serviceAccounts.signBlob on the service account itself (roles/iam.serviceAccountTokenCreator,
granted by the platform on that one account).

This hook supplies those two arguments whenever the credentials in use cannot sign. It is a
`sitecustomize` module, so it applies to every Python process of the container (the image's
entrypoint runs `mlflow server`, which starts the uvicorn workers and the job runner; they all inherit
PYTHONPATH); it patches google.cloud.storage lazily, when MLflow first imports it.

The image copies this directory, and only this module, to /opt/mlflow-deploy/gcp_keyless_signing
(components/image/Dockerfile). That directory is not on Python's path by default, so the image
behaves the same everywhere; only the Cloud Run service puts it first on PYTHONPATH
(components/platform/gcp/signing.ts), and runs the image's own entrypoint with the contract's
arguments. A sitecustomize this one shadows (a PYTHONPATH entry of mlflow:extraEnv, or the
image's) still runs, after this one.
"""

import importlib.abc
import importlib.util
import os
import sys

_TARGET = "google.cloud.storage.blob"


def _patch(module):
    blob_class = module.Blob
    original = blob_class.generate_signed_url
    if getattr(original, "_mlflow_keyless", False):
        return

    def generate_signed_url(self, *args, **kwargs):
        if kwargs.get("credentials") is None and not (kwargs.get("service_account_email") and kwargs.get("access_token")):
            import google.auth.credentials
            import google.auth.transport.requests

            client = kwargs.get("client") or self.client
            credentials = getattr(client, "_credentials", None)
            if credentials is not None and not isinstance(credentials, google.auth.credentials.Signing):
                email = getattr(credentials, "service_account_email", None)
                if not credentials.valid or not email or email == "default":
                    credentials.refresh(google.auth.transport.requests.Request())
                    email = getattr(credentials, "service_account_email", None)
                if email and email != "default":
                    kwargs["service_account_email"] = email
                    kwargs["access_token"] = credentials.token
        return original(self, *args, **kwargs)

    generate_signed_url._mlflow_keyless = True
    blob_class.generate_signed_url = generate_signed_url


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != _TARGET:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _patch(module)

        spec.loader.exec_module = exec_and_patch
        return spec


if _TARGET in sys.modules:
    _patch(sys.modules[_TARGET])
else:
    sys.meta_path.insert(0, _Finder())


def _chain():
    # Run a sitecustomize this one shadows, if there is one further along the path.
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        if os.path.abspath(entry or ".") == here:
            continue
        candidate = os.path.join(entry or ".", "sitecustomize.py")
        if os.path.isfile(candidate):
            spec = importlib.util.spec_from_file_location("_mlflow_chained_sitecustomize", candidate)
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
            return


_chain()
