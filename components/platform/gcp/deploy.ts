// Platform gcp: not wired yet.
import { PlatformContext, PlatformResult } from "../types";

export function deployOnGcp(ctx: PlatformContext): PlatformResult {
    throw new Error(`platform ${ctx.spec.platform} is not implemented yet`);
}
