#!/usr/bin/env node
// The peer: CircleCI's official TypeScript config SDK (@circleci/circleci-config-sdk) building the
// same config cigen renders, from the same environments. Run by bench/run.py, whole process timed:
//
//   node bench/sdk_config.js SPEC.json OUT.yml
//
// SPEC.json is written (untimed) by bench/run.py from cigen's resolved plan: executors (image,
// aws_auth, resource_class), jobs (executor, environment, steps) and workflow entries (requires,
// context, approval, branch/tag filters already propagated). The SDK is therefore given the final
// filters for free: it does strictly less work than cigen, which reads TOML, validates, propagates
// filters and checks its output. The SDK is resolved from bench/.scratch/sdk/node_modules (installed
// there by bench/run.py) or from NODE_PATH.
"use strict";
const fs = require("fs");
const path = require("path");

function loadSdk() {
  const scratch = path.join(__dirname, ".scratch", "sdk", "node_modules", "@circleci", "circleci-config-sdk");
  return require(fs.existsSync(scratch) ? scratch : "@circleci/circleci-config-sdk");
}

const CircleCI = loadSdk();

function step(s) {
  if (typeof s === "string") {
    if (s === "checkout") return new CircleCI.commands.Checkout();
    if (s === "setup_remote_docker") return new CircleCI.commands.SetupRemoteDocker();
    throw new Error(`unsupported step ${s}`);
  }
  if (s.run !== undefined) {
    return new CircleCI.commands.Run(typeof s.run === "string" ? { command: s.run } : s.run);
  }
  throw new Error(`unsupported step ${JSON.stringify(s)}`);
}

function main() {
  const [specPath, outPath] = process.argv.slice(2);
  const spec = JSON.parse(fs.readFileSync(specPath, "utf8"));
  const config = new CircleCI.Config();
  const executors = new Map();
  for (const ex of spec.executors) {
    // DockerImageShape has aws_auth (static keys) in its type; an OIDC { oidc_role_arn } object is
    // passed through unchanged by the SDK's generator (same key, same place in the output).
    const props = ex.aws_auth ? { aws_auth: ex.aws_auth } : {};
    const docker = new CircleCI.executors.DockerExecutor(ex.image, ex.resource_class, props);
    const reusable = new CircleCI.reusable.ReusableExecutor(ex.name, docker);
    config.addReusableExecutor(reusable);
    executors.set(ex.name, reusable);
  }
  const jobs = new Map();
  for (const j of spec.jobs) {
    const props = Object.keys(j.environment).length ? { environment: j.environment } : undefined;
    const job = new CircleCI.Job(j.name, executors.get(j.executor).reuse(), j.steps.map(step), props);
    config.addJob(job);
    jobs.set(j.name, job);
  }
  const workflow = new CircleCI.Workflow(spec.workflow);
  for (const wj of spec.workflow_jobs) {
    const params = {};
    if (wj.requires.length) params.requires = wj.requires;
    if (wj.context.length) params.context = wj.context;
    if (wj.filters) params.filters = wj.filters;
    if (wj.approval) workflow.addJobApproval(wj.name, params);
    else workflow.addJob(jobs.get(wj.name), params);
  }
  config.addWorkflow(workflow);
  const text = config.stringify();
  if (outPath && outPath !== "-") fs.writeFileSync(outPath, text);
  else process.stdout.write(text);
}

main();
