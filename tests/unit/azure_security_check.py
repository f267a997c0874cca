"""Runs host names and origins through MLflow's own security checks (MLflow 3.x, as installed).

stdin: {"allowedHosts": [...], "corsOrigins": [...], "hosts": [...], "origins": [...]}
stdout: for each host, is_allowed_host_header; for each origin, whether MLflow's CORS-blocking
middleware lets a POST through (fnmatch), whether Starlette's CORSMiddleware allows it (exact),
and whether Flask-CORS would send credentialed CORS headers for it (regex at the start).
"""
import json
import sys

from flask_cors.core import _resolve_pattern, try_match_pattern
from starlette.middleware.cors import CORSMiddleware

from mlflow.server.security_utils import (
    LOCALHOST_ORIGIN_PATTERNS,
    is_allowed_host_header,
    should_block_cors_request,
)

data = json.load(sys.stdin)
allowed_hosts = data["allowedHosts"]
origins_allowed = data["corsOrigins"]
starlette = CORSMiddleware(app=None, allow_origins=origins_allowed, allow_origin_regex="|".join(LOCALHOST_ORIGIN_PATTERNS), allow_credentials=True)
flask_patterns = [_resolve_pattern(p, ignore_case=True) for p in origins_allowed + LOCALHOST_ORIGIN_PATTERNS]
out = {
    "hosts": {h: is_allowed_host_header(allowed_hosts, h) for h in data["hosts"]},
    "origins": {
        o: {
            "mlflowAllowsPost": not should_block_cors_request(o, "POST", origins_allowed),
            "starletteAllows": starlette.is_allowed_origin(o),
            "flaskCorsAllows": any(try_match_pattern(o, p, caseSensitive=False) for p in flask_patterns),
        }
        for o in data["origins"]
    },
}
print(json.dumps(out))
