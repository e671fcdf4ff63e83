'use strict';
// Issue 21, problem 2: the call's bookkeeping survives its ending. After
// VoxEngine.terminate() only Terminating/Terminated fire [T:10498-10504], so the cost and
// duration of CallEvents.Disconnected [T:2874-2895] and ASR.Stopped's usage (cost a
// string [T:1632-1641]) must arrive before it.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useStack, session, answered, speak, savedRecord } = require('./helpers');

const local = useStack();

/** A short call the scenario ends itself: the caller asks not to be called again. */
async function toGoodbye(env) {
  const call = await answered(env);
  await env.playOut();
  await speak(env, 'больше не звоните');
  assert.match(call.playing() || '', /Всего доброго/);
  return call;
}

test("the assistant's hang-up waits for Disconnected and ASR.Stopped: cost, duration and recognition usage reach the report", async () => {
  const env = session(local);
  const call = await toGoodbye(env);
  const report = await env.endReport();
  assert.equal(report.code, 200, report.text);
  assert.ok(call.disconnectedEvent, 'Disconnected was delivered before terminate()');
  assert.deepEqual(env.afterTerminate, [], 'no platform call after terminate()');
  const end = report.body;
  assert.equal(end.end_reason, 'hangup');
  assert.deepEqual(end.telephony_cost, { amount: call.disconnectedEvent.cost, currency: 'RUB' });
  assert.equal(end.duration_s, call.disconnectedEvent.duration);
  // ASR.Stopped came with cost "0.0375" (a string) and a duration.
  const asr = env.asrs[0];
  assert.equal(end.asr.sessions, 1);
  assert.deepEqual(end.asr.session_seconds, [Math.round((call.endedAt - asr.createdAt) / 1000)]);
  assert.deepEqual(end.asr.cost, { amount: 0.0375, currency: 'RUB' });
  const saved = savedRecord(local, report);
  assert.equal(saved.usage.telephony_reported.amount, call.disconnectedEvent.cost);
  assert.equal(saved.cost.components.telephony.basis, 'reported');
  assert.equal(saved.usage.asr_reported.amount, 0.0375);
  assert.deepEqual(env.errors, []);
});

test('a caller who hangs up: recognition is stopped and its usage and cost still reach the report', async () => {
  const env = session(local);
  const call = await answered(env);
  await env.playOut();
  await speak(env, 'нам нужен склад');
  await env.advance(2000);
  call.remoteHangup();
  const report = await env.endReport();
  assert.equal(report.code, 200, report.text);
  const end = report.body;
  assert.equal(end.end_reason, 'caller_hangup');
  assert.equal(end.telephony_cost.amount, call.disconnectedEvent.cost);
  assert.ok(env.asrs[0].stopped, 'the recogniser was stopped');
  assert.deepEqual(end.asr.cost, { amount: 0.0375, currency: 'RUB' }, 'the cost string of ASR.Stopped, as a number');
  assert.equal(end.asr.session_seconds.length, 1);
});

test('when Disconnected never comes, a safety timer still ends the session and reports the call', async () => {
  const env = session(local, { dropDisconnected: true });
  await toGoodbye(env);
  const goodbyeAt = env.now;
  const report = await env.endReport();
  assert.equal(report.code, 200, report.text);
  assert.equal(report.body.end_reason, 'hangup');
  assert.equal(report.body.telephony_cost, undefined, 'no cost is invented');
  assert.ok(report.body.duration_s > 0, 'the duration as measured by the script');
  assert.ok(env.now - goodbyeAt < 15000, 'ended by the script, not by the 60-second session limit');
});
