// The real MLflow client (tests/integration/client_check.py, the venv's MLflow) and raw HTTP
// against a deployed server.
import * as http from "http";
import { python } from "../../integration/server";

export interface Credentials {
    username: string;
    password: string;
}

function clientEnv(trackingUri: string, creds?: Credentials): NodeJS.ProcessEnv {
    if (!/^http:\/\//.test(trackingUri)) {
        // An empty URI would make the client write ./mlruns or ./mlflow.db in the checkout instead.
        throw new Error(`not a server URL: ${JSON.stringify(trackingUri)}`);
    }
    const env: NodeJS.ProcessEnv = { MLFLOW_TRACKING_URI: trackingUri, MLFLOW_HTTP_REQUEST_MAX_RETRIES: "2" };
    if (creds) {
        env.MLFLOW_TRACKING_USERNAME = creds.username;
        env.MLFLOW_TRACKING_PASSWORD = creds.password;
    }
    return env;
}

/** Logs params, metrics and a 5 MB artifact; the run's ids and digest go to stateFile. */
export async function logRun(trackingUri: string, stateFile: string, creds?: Credentials): Promise<void> {
    const r = await python("client_check.py", ["log", stateFile], clientEnv(trackingUri, creds));
    if (r.code !== 0) {
        throw new Error(`logging a run to ${trackingUri} failed (${r.code}):\n${r.stdout}\n${r.stderr.slice(-3000)}`);
    }
}

/** Reads the run back: params, metric history, proxied artifact URI, every byte of the artifact. */
export async function verifyRun(trackingUri: string, stateFile: string, creds?: Credentials): Promise<void> {
    const r = await python("client_check.py", ["verify", stateFile], clientEnv(trackingUri, creds));
    if (r.code !== 0) {
        throw new Error(`reading the run back from ${trackingUri} failed (${r.code}):\n${r.stdout}\n${r.stderr.slice(-3000)}`);
    }
}

export function get(url: string, creds?: Credentials): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = {};
    if (creds) headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
    return new Promise((resolve, reject) => {
        const req = http.get(url, { headers, timeout: 15000 }, (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
    });
}

export function postJson(url: string, body: unknown, creds?: Credentials): Promise<{ status: number; body: string }> {
    const text = JSON.stringify(body);
    const headers: Record<string, string | number> = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) };
    if (creds) headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method: "POST", headers, timeout: 30000 }, (res) => {
            let data = "";
            res.on("data", (c) => (data += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data }));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
        req.end(text);
    });
}

/** Waits for /health to answer 200 (a container restarting or starting). */
export async function waitHealthy(baseUrl: string, timeoutMs = 180000): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
        try {
            if ((await get(`${baseUrl}/health`)).status === 200) return (Date.now() - started) / 1000;
        } catch {
            /* not listening yet */
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${baseUrl}/health did not answer 200 within ${timeoutMs / 1000} s`);
}

/** An MLflow REST call that needs auth when auth is on. */
export function searchExperiments(baseUrl: string, creds?: Credentials): Promise<{ status: number; body: string }> {
    return get(`${baseUrl}/api/2.0/mlflow/experiments/search?max_results=10`, creds);
}
