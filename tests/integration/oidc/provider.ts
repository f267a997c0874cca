// Starts the test's OpenID Connect provider (provider.mjs, panva's oidc-provider) as a child
// process the root hook stops, with the accounts below.
import * as http from "http";
import * as path from "path";
import { Service, startProcess, waitForPort } from "../services";

export interface TestAccount {
    /** The provider's subject (`sub`). */
    id: string;
    /** Also the sign-in name at the provider, and the username mlflow-oidc-auth derives (OIDC_USERNAME_FIELD starts with email). */
    email: string;
    password: string;
    name: string;
    preferredUsername: string;
    groups: string[];
}

export const ACCOUNTS = {
    alice: { id: "u-alice", email: "alice@example.com", password: "alice-Passw0rd!", name: "Alice Example", preferredUsername: "alice", groups: ["mlflow-users"] },
    ann: { id: "u-ann", email: "ann@example.com", password: "ann-Passw0rd!", name: "Ann Admin", preferredUsername: "ann", groups: ["mlflow-users", "mlflow-admins"] },
    mallory: { id: "u-mallory", email: "mallory@example.com", password: "mallory-Passw0rd!", name: "Mallory Outsider", preferredUsername: "mallory", groups: ["other"] },
} satisfies Record<string, TestAccount>;

export interface ProviderOptions {
    port: number;
    clientId: string;
    clientSecret: string;
    /** The one redirect URI registered for the client. */
    redirectUri: string;
}

export interface RunningProvider {
    service: Service;
    issuer: string;
}

function getJson(url: string): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            let body = "";
            res.on("data", (chunk) => (body += chunk));
            res.on("end", () => {
                try {
                    resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) });
                } catch (e) {
                    reject(e);
                }
            });
        }).on("error", reject);
    });
}

/** Starts the provider and resolves once it serves its discovery document. */
export async function startProvider(opts: ProviderOptions): Promise<RunningProvider> {
    const issuer = `http://127.0.0.1:${opts.port}`;
    const config = {
        port: opts.port,
        issuer,
        client: { id: opts.clientId, secret: opts.clientSecret, redirectUri: opts.redirectUri },
        accounts: Object.values(ACCOUNTS),
    };
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, OIDC_TEST_CONFIG: JSON.stringify(config) };
    const service = startProcess("oidc-provider", process.execPath, [path.join(__dirname, "provider.mjs")], env);
    try {
        await waitForPort(opts.port, 30000, "oidc-provider", service.proc);
        const discovery = await getJson(`${issuer}/.well-known/openid-configuration`);
        if (discovery.status !== 200 || (discovery.json as { issuer?: string }).issuer !== issuer) {
            throw new Error(`unexpected discovery document: ${discovery.status} ${JSON.stringify(discovery.json)}`);
        }
    } catch (e) {
        await service.stop();
        throw new Error(`${String(e)}\n--- provider log ---\n${service.log().slice(-4000)}`);
    }
    return { service, issuer };
}
