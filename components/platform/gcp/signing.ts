// Signed URLs on Cloud Run without a service account key. Pure.
//
// The hook, and why Cloud Run needs it, is components/image/gcp_keyless_signing/sitecustomize.py:
// a `sitecustomize` module the image carries in a directory of its own, off Python's path, so the
// one image runs unchanged on every platform. The Cloud Run service runs the image's own
// entrypoint and puts that directory first on PYTHONPATH (keylessSigningEnv); nothing else does.

import * as path from "path";
import { IMAGE_CONTEXT } from "../../contract";
import { combine, Value } from "../../stores/types";

/** The hook's directory in the build context (components/image). */
export const KEYLESS_SIGNING_DIR = "gcp_keyless_signing";
/** The hook's source. */
export const KEYLESS_SIGNING_HOOK = path.join(IMAGE_CONTEXT, KEYLESS_SIGNING_DIR, "sitecustomize.py");
/** Where the image keeps that directory (components/image/Dockerfile copies it there). */
export const KEYLESS_SIGNING_DIR_IN_IMAGE = `/opt/mlflow-deploy/${KEYLESS_SIGNING_DIR}`;

/**
 * The Cloud Run container's PYTHONPATH: the hook's directory first, then a PYTHONPATH the user set
 * in mlflow:extraEnv, if any (a sitecustomize there still runs: the hook chains to the one it
 * shadows).
 */
export function keylessSigningEnv(userPythonPath?: Value, dir: string = KEYLESS_SIGNING_DIR_IN_IMAGE): { name: "PYTHONPATH"; value: Value } {
    if (userPythonPath === undefined || userPythonPath === "") {
        return { name: "PYTHONPATH", value: dir };
    }
    return { name: "PYTHONPATH", value: combine([dir, userPythonPath], ([hook, user]) => (user ? `${hook}:${user}` : hook)) };
}
