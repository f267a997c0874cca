// Platform aws: not wired yet.
import { PlatformContext, PlatformResult } from "../types";

export function deployOnAws(ctx: PlatformContext): PlatformResult {
    throw new Error(`platform ${ctx.spec.platform} is not implemented yet`);
}
