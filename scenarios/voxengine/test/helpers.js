'use strict';
// Shared by the VoxEngine scenario tests: the local stack, secrets, a call answered,
// the stored call record, tenant settings.

const { before, after } = require('node:test');
const fs = require('node:fs');
const path = require('node:path');
const stack = require('./stack');
const { load } = require('./standin');

/** Starts the real local stack for this test file (fresh data directory). */
function useStack() {
  const local = {};
  // Top-level hooks start at once in Node 20: the stack starts here and later hooks
  // await `ready`.
  local.ready = stack.start().then((started) => Object.assign(local, started));
  local.ready.catch(() => {}); // reported by the hook below
  before(() => local.ready);
  after(async () => {
    await local.ready;
    if (local.stop) await local.stop();
  });
  return local;
}

function secrets(local, overrides) {
  return Object.assign(
    {
      SVA_FUNCTION_URL: local.url + '/',
      SVA_TENANT: 'demo',
      SVA_SIGNING_SECRET: local.secret,
      SVA_CALLER_ID: '+74950000000',
    },
    overrides || {}
  );
}

/** A VoxEngine session with the script loaded, talking to `local`. */
function session(local, options) {
  const o = Object.assign({}, options || {});
  o.secrets = secrets(local, o.secrets);
  return load(o);
}

let sessionIds = 700000;

/** An inbound call, answered; returns once the first phrase plays. */
async function answered(env, callerid) {
  env.start(sessionIds++ * 10 + Math.floor(Math.random() * 10));
  const call = env.inbound(callerid || '89161234567', '74950000000');
  await env.runUntil(() => call.said.length > 0, 'the greeting', 10000);
  return call;
}

/** The caller says `text`; resolves when the answer has started (or the call ended). */
async function speak(env, text, opts) {
  const turns = env.turns().length;
  await env.callerSays(text, opts);
  await env.runUntil(() => env.turns().length > turns && env.turns()[env.turns().length - 1].done, 'the answer to ' + text, 10000);
  return env.customer.said.filter((s) => s.at >= env.now - 1).map((s) => s.text).join(' ');
}

/** The call record the end report wrote. */
function savedRecord(local, report) {
  const { record } = JSON.parse(report.text);
  return JSON.parse(fs.readFileSync(path.join(local.data, record), 'utf8'));
}

/** Changes the demo tenant's settings through the admin API (PATCH /v1/tenants/demo). */
async function patchSettings(local, change) {
  const key = fs.readFileSync(path.join(local.data, 'service', 'operator.key'), 'utf8').trim();
  const response = await fetch(local.url + '/v1/tenants/demo', {
    method: 'PATCH',
    headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' },
    body: JSON.stringify(change),
  });
  if (response.status !== 200) throw new Error('PATCH settings: ' + response.status + ' ' + (await response.text()));
  // The function re-reads settings at most every 2 s.
  await new Promise((r) => setTimeout(r, 2300));
  return response.json();
}

/** What the caller heard, as text (phrases in order). */
function heardTexts(call) {
  return call.heard.filter((h) => h.kind === 'say').map((h) => h.text);
}

module.exports = { useStack, secrets, session, answered, speak, savedRecord, patchSettings, heardTexts };
