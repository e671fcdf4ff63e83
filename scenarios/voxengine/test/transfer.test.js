'use strict';
// Issue 21, problem 5: a transfer a person would accept. Ringback while the manager's
// phone rings, a ring timeout (the tenant's, default 30 s), the caller can cancel by
// voice or key, the manager hears the summary before the calls are bridged, and a
// failed transfer goes back to the scenario as transfer_failed.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useStack, session, answered, speak, heardTexts } = require('./helpers');
const { phraseMs } = require('./standin');

const local = useStack();

const MANAGER = '+74951234567';

/** The caller asks for a manager; resolves when the manager's phone starts ringing. */
async function transferring(env) {
  const call = await answered(env);
  await env.playOut();
  await speak(env, 'соедините меня с менеджером пожалуйста');
  await env.playOut();
  assert.equal(env.dialled.length, 1, 'the manager is dialled');
  return { call, agent: env.dialled[0], dialledAt: env.dialled[0].createdAt };
}

function ringback(call) {
  return call.source && call.source.kind === 'player' && /^tone:425@/.test(call.source.text);
}

test('ringback while the manager rings; the manager hears the summary, then the calls are bridged', async () => {
  const env = session(local);
  const { call, agent } = await transferring(env);
  assert.equal(agent.number(), MANAGER);
  assert.equal(agent.callerid(), '+74950000000');
  assert.ok(heardTexts(call).some((t) => /не надо/.test(t)), 'the caller is told how to cancel');
  assert.ok(ringback(call), 'the caller hears ringback, not silence');
  assert.equal(env.players[0].parameters.loop, true);
  assert.ok(!env.asr().stopped, 'recognition keeps running: the caller may cancel');
  await env.advance(6000);
  assert.ok(ringback(call));

  agent.pickUp();
  await env.settle();
  assert.equal(agent.said.length, 1, 'the whisper');
  assert.match(agent.said[0].text, /Клиент просит соединить с менеджером/);
  assert.deepEqual(env.bridged, [], 'not bridged before the summary is heard');
  assert.ok(ringback(call), 'the caller still hears ringback during the whisper');
  await env.runUntil(() => env.bridged.length === 1, 'the bridge', 30000);
  assert.ok(env.now >= agent.said[0].at + phraseMs(agent.said[0].text), 'bridged after the summary');
  assert.deepEqual(env.bridged[0], [call, agent]);
  assert.ok(env.players[0].stopped, 'ringback stopped');
  assert.ok(env.asrs.every((a) => a.stopped), 'the assistant stops listening once bridged');
  assert.ok(env.longestSilence() < 1000, 'no silence during the transfer: ' + env.longestSilence());

  await env.advance(20000);
  agent.remoteHangup();
  const report = await env.endReport();
  assert.equal(report.code, 200, report.text);
  assert.equal(report.body.end_reason, 'transfer');
  assert.ok(report.body.telephony_cost, 'the customer leg cost');
});

test('nobody answers within the ring timeout (default 30 s): transfer_failed no_answer, back to the scenario', async () => {
  const env = session(local);
  const { call, agent, dialledAt } = await transferring(env);
  assert.equal(env.turns()[1].text.match(/"timeout_s":(\d+)/)[1], '30');
  await env.runUntil(() => env.turns().length === 3, 'the transfer_failed turn', 40000);
  const at = env.turns()[2].at;
  assert.ok(at - dialledAt >= 29000 && at - dialledAt <= 31000, 'after ' + (at - dialledAt) + ' ms');
  assert.deepEqual(env.turns()[2].body.event, { type: 'transfer_failed', reason: 'no_answer' });
  assert.ok(env.hungUp.includes(agent), 'the manager leg is hung up');
  assert.ok(env.players[0].stopped, 'ringback stopped');
  await env.settle();
  assert.equal(env.turns()[2].code, 200);
  assert.ok(call.playing(), 'the caller hears the scenario again');
  assert.ok(env.longestSilence() < 1000, 'longest silence ' + env.longestSilence());
});

test('the caller says «не надо» while it rings: the transfer is cancelled', async () => {
  const env = session(local);
  const { call, agent } = await transferring(env);
  await env.advance(3000);
  await env.callerSays('алло', { speechMs: 600 });
  assert.equal(env.turns().length, 2, 'other words do not cancel');
  assert.ok(ringback(call));
  await env.callerSays('нет не надо', { speechMs: 800 });
  assert.deepEqual(env.lastTurn().body.event, { type: 'transfer_failed', reason: 'cancelled' });
  assert.ok(env.hungUp.includes(agent));
  assert.ok(env.players[0].stopped);
  await env.settle();
  assert.ok(call.playing(), 'the scenario speaks again');
  await env.advance(1000); // the manager's leg reports Failed 487 for the hang-up: ignored
  assert.deepEqual(env.errors, []);
});

test('the caller presses a key while it rings: the transfer is cancelled', async () => {
  const env = session(local);
  const { agent } = await transferring(env);
  await env.advance(2000);
  await env.press('0');
  assert.deepEqual(env.lastTurn().body.event, { type: 'transfer_failed', reason: 'cancelled' });
  assert.ok(env.hungUp.includes(agent));
});

test('a busy manager: transfer_failed busy', async () => {
  const env = session(local);
  const { agent } = await transferring(env);
  agent.remoteFail(486, 'Busy Here');
  await env.settle();
  assert.deepEqual(env.lastTurn().body.event, { type: 'transfer_failed', reason: 'busy' });
  assert.equal(env.lastTurn().code, 200);
});

test('the manager hangs up during the summary: transfer_failed, the caller stays with the assistant', async () => {
  const env = session(local);
  const { call, agent } = await transferring(env);
  agent.pickUp();
  await env.advance(1000);
  agent.remoteHangup();
  await env.settle();
  assert.deepEqual(env.lastTurn().body.event, { type: 'transfer_failed', reason: 'agent_hangup' });
  assert.deepEqual(env.bridged, []);
  assert.equal(call.state(), 'CONNECTED');
});

test('the ringback player cannot be made: the platform progress tone plays instead', async () => {
  const env = session(local, { apiError: (name) => (name === 'createToneScriptPlayer' ? 'Too many players' : null) });
  const { call, agent } = await transferring(env);
  assert.equal(call.source && call.source.text, 'progress:RU', 'the caller hears a ringing tone');
  await env.advance(3000);
  await env.press('1');
  assert.deepEqual(env.lastTurn().body.event, { type: 'transfer_failed', reason: 'cancelled' });
  assert.ok(env.hungUp.includes(agent));
  await env.settle();
  assert.ok(call.playing(), 'the tone gave way to the scenario');
});
