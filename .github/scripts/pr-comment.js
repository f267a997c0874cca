// One pull request comment per stack, created once and updated on every push (never duplicated):
// the real `pulumi preview` when the stack is configured, otherwise why it was skipped plus the
// offline plan's diff against the base branch. Called from actions/github-script:
//   previewComment: same-repository pull requests (preview.yml, job preview)
//   forkComments:   pull requests from forks (pr-plan-comment.yml, on workflow_run); everything
//                   read from the artifact is untrusted data: validated, fenced, size-limited.
"use strict";
const fs = require("fs");
const path = require("path");

const STACKS = ["dev", "staging", "prod"];
const MAX_SECTION = 20000; // GitHub caps a comment at 65536 characters.
const BOT = "github-actions[bot]";

const marker = (stack) => `<!-- mlflow-pr-stack:${stack} -->`;

function truncate(text, max = MAX_SECTION) {
    if (text.length <= max) return text;
    const cut = text.slice(0, max);
    return `${cut.slice(0, cut.lastIndexOf("\n") + 1)}... (${text.length - max} more characters: see the workflow run)\n`;
}

/** A fence longer than any run of backticks inside, so content can never close it. */
function fenced(text, lang = "text") {
    const longest = Math.max(0, ...(String(text).match(/`+/g) || []).map((m) => m.length));
    const fence = "`".repeat(Math.max(3, longest + 1));
    return `${fence}${lang}\n${truncate(String(text)).replace(/\n?$/, "\n")}${fence}`;
}

function read(dir, file) {
    const p = path.join(dir, file);
    return fs.existsSync(p) ? fs.readFileSync(p, "utf8") : undefined;
}

/** The offline plan part of a comment, from plan-pr.sh's files. */
function offlineSection(dir, stack, open) {
    const error = read(dir, `${stack}.error.txt`);
    if (error !== undefined) {
        return `**Offline plan failed** for this pull request (the program refuses this stack's config, or crashed):\n\n${fenced(error)}`;
    }
    const diff = read(dir, `${stack}.diff.txt`);
    const tree = read(dir, `${stack}.tree.txt`);
    if (diff === undefined) {
        return "_No offline plan for this stack._";
    }
    // Only numbers from the (possibly untrusted) text reach the markdown outside the fences.
    const m = /(\d+) to add, (\d+) to change, (\d+) to remove, (\d+) unchanged/.exec(diff);
    const summary = m ? `${m[1]} to add, ${m[2]} to change, ${m[3]} to remove, ${m[4]} unchanged` : "see below";
    return [
        `<details${open ? " open" : ""}><summary>Offline plan vs. base branch: ${summary}</summary>\n\n${fenced(diff, "diff")}\n</details>`,
        tree === undefined ? "" : `<details><summary>Full offline plan (tree)</summary>\n\n${fenced(tree)}\n</details>`,
    ].join("\n\n");
}

async function upsert({ github, context }, prNumber, stack, body) {
    const { owner, repo } = context.repo;
    const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number: prNumber, per_page: 100 });
    const mine = comments.find((c) => c.user && c.user.login === BOT && typeof c.body === "string" && c.body.startsWith(marker(stack)));
    if (mine) {
        await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
    } else {
        await github.rest.issues.createComment({ owner, repo, issue_number: prNumber, body });
    }
}

/** Same-repository pull request: the preview job's result for one stack. */
async function previewComment({ github, context, core }) {
    const env = process.env;
    const stack = env.STACK;
    if (!STACKS.includes(stack)) throw new Error(`unknown stack ${stack}`);
    const sha = context.payload.pull_request.head.sha;
    const runUrl = `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
    let head;
    let main;
    if (env.READY !== "true") {
        head = `### \`${stack}\`: preview skipped (not configured)`;
        main = `> ${String(env.NOTICE || "").replace(/\n/g, " ")}\n\nThe README's "Pull requests and deployment" section lists the secrets and variables. Until then, here is the offline plan (program run under mocks, no cloud):`;
    } else if (env.OUTCOME === "success") {
        head = `### \`${stack}\`: \`pulumi preview\` succeeded`;
        main = `<details open><summary>pulumi preview</summary>\n\n${fenced(env.PREVIEW_OUTPUT || "(no output)")}\n</details>`;
    } else {
        head = `### \`${stack}\`: \`pulumi preview\` failed`;
        main = env.PREVIEW_OUTPUT ? fenced(env.PREVIEW_OUTPUT) : `See the [workflow run](${runUrl}) for the error.`;
    }
    const body = [marker(stack), head, `Commit ${sha.slice(0, 7)} · [workflow run](${runUrl})`, main, offlineSection(env.PLAN_DIR, stack, env.READY !== "true")].join("\n\n");
    await upsert({ github, context }, context.payload.pull_request.number, stack, body);
    core.info(`comment for ${stack} updated`);
}

/** Fork pull request (workflow_run): offline plan diffs from the untrusted artifact. */
async function forkComments({ github, context, core }) {
    const dir = process.env.PLAN_DIR;
    const run = context.payload.workflow_run;
    const prNumber = Number((read(dir, "pr-number") || "").trim());
    if (!Number.isSafeInteger(prNumber) || prNumber <= 0) throw new Error("artifact has no valid pull request number");
    // The artifact is written by fork code: only comment on the pull request whose head is the
    // commit that run built, and in this repository.
    const { owner, repo } = context.repo;
    const { data: pr } = await github.rest.pulls.get({ owner, repo, pull_number: prNumber });
    if (pr.head.sha !== run.head_sha || pr.base.repo.full_name !== `${owner}/${repo}`) {
        core.warning(`pull request #${prNumber} is not at ${run.head_sha} (now ${pr.head.sha}): not commenting`);
        return;
    }
    for (const stack of STACKS) {
        const body = [
            marker(stack),
            `### \`${stack}\`: offline plan (pull request from a fork: no cloud credentials, no real preview)`,
            `Commit ${run.head_sha.slice(0, 7)} · [workflow run](${run.html_url}) · computed by the pull request's code under Pulumi mocks; a maintainer's \`pulumi preview\` runs after merge to a branch of this repository.`,
            offlineSection(dir, stack, true),
        ].join("\n\n");
        await upsert({ github, context }, prNumber, stack, body);
    }
    core.info(`comments on #${prNumber} updated`);
}

module.exports = { previewComment, forkComments, fenced, truncate, marker };
