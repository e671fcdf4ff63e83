'use strict';
// Issue 21, "done when": a scripted noisy caller — a cough over the greeting, empty
// results, a recogniser error, speech that starts and never ends in a result, speech
// while requests are pending, a goodbye interrupted by noise — ends with no stretch of
// silence longer than the configured timeouts, and the end report carries telephony
// cost, duration and recognition usage. All times are fake milliseconds.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useStack, session, answered, savedRecord } = require('./helpers');

const local = useStack();

test('a noisy caller: never a silence longer than the configured timeouts, and a complete end report', async () => {
  const net = { delayMs: 0 };
  const env = session(local, { network: (url) => (url.endsWith('/v1/turn') && net.delayMs ? { delayMs: net.delayMs } : 'pass') });
  const config = env.context.SVA.config;
  const call = await answered(env);
  const events = () => env.turns().map((t) => t.body.event.type);

  // A cough over the greeting: playback stops, no words, the greeting is said again.
  await env.advance(1000);
  await env.callerSays('', { speechMs: 300 });
  await env.playOut();
  assert.equal(call.stopped.length, 1);
  assert.equal(call.said.length, 2, 'the greeting again');

  // Noise while listening: listening goes on.
  await env.advance(2000);
  await env.callerSays('', { speechMs: 500 });
  assert.deepEqual(events(), ['call_started']);

  // The caller speaks; the function is slow; the caller adds words while it thinks.
  net.delayMs = 700;
  await env.advance(1000);
  await env.callerSays('здравствуйте нам нужна система учета', { speechMs: 2000 });
  await env.callerSays('для склада', { speechMs: 600 });
  assert.deepEqual(events(), ['call_started', 'utterance']);
  await env.playOut();
  assert.deepEqual(events(), ['call_started', 'utterance', 'utterance'], 'the queued words were sent next');
  assert.equal(env.turns()[2].body.event.text, 'для склада');
  net.delayMs = 0;
  await env.playOut();

  // The recogniser fails while the caller thinks; a new one hears the next words.
  await env.advance(1500);
  await env.asrFails('stream closed');
  await env.advance(1000);
  await env.callerSays('где-то полтора миллиона рублей', { speechMs: 1800 });
  assert.equal(env.lastTurn().body.event.text, 'где-то полтора миллиона рублей');
  await env.playOut();

  // Speech starts and no result ever comes: the capture timer moves on.
  await env.advance(800);
  await env.callerSays('', { result: false, speechMs: 1000 });
  await env.runUntil(() => env.turns().length === 5, 'the turn after the stuck capture', 20000);
  assert.equal(env.lastTurn().body.event.type, 'no_input');
  await env.playOut();

  // The caller wants out; a noise cuts the goodbye; the goodbye is said again; hang-up.
  await env.advance(1200);
  await env.callerSays('больше не звоните', { speechMs: 1200 });
  const goodbye = call.playing();
  assert.match(goodbye, /Всего доброго/);
  await env.advance(700);
  await env.callerSays('', { speechMs: 300 });
  const report = await env.endReport();
  assert.equal(call.said[call.said.length - 1].text, goodbye);

  // Silence: never longer than the longest configured wait.
  const gaps = env.silences(call);
  const limit = Math.max(config.listenTimeoutMs, config.captureTimeoutMs);
  for (const gap of gaps) assert.ok(gap.ms <= limit, `silence of ${gap.ms} ms at ${gap.from - call.connectedAt} ms`);

  // The end report: telephony cost, duration and recognition usage.
  assert.equal(report.code, 200, report.text);
  const end = report.body;
  assert.equal(end.end_reason, 'hangup');
  assert.deepEqual(end.telephony_cost, { amount: call.disconnectedEvent.cost, currency: 'RUB' });
  assert.equal(end.duration_s, call.disconnectedEvent.duration);
  assert.ok(end.duration_s > 30);
  assert.equal(end.asr.sessions, env.asrs.length);
  assert.equal(env.asrs.length, 3, 'the first, one after the error, one after the stuck capture');
  assert.equal(end.asr.session_seconds.length, 3);
  assert.ok(end.asr.seconds > 0);
  assert.ok(end.asr.cost && end.asr.cost.amount > 0, 'recognition cost from ASR.Stopped (strings)');
  const saved = savedRecord(local, report);
  assert.equal(saved.usage.telephony_reported.amount, call.disconnectedEvent.cost);
  assert.equal(saved.usage.asr_sessions, 3);
  assert.deepEqual(env.errors, []);
  assert.deepEqual(env.afterTerminate, []);
});
