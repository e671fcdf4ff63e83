'use strict';
// Issue 21, problem 3: no dead air. CaptureStarted may be followed by nothing, by an
// empty Result or by ASR.Error [T:1504-1544]; say() can fail; the function can hang;
// the script can throw. Every one of these must end in speech, listening with a timer,
// a transfer or a hang-up. Silence is measured in fake time.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useStack, session, answered, speak } = require('./helpers');

const local = useStack();

function config(env) {
  return env.context.SVA ? env.context.SVA.config : { listenTimeoutMs: 7000, captureTimeoutMs: 10000, turnBudgetMs: 2300 };
}

async function listening(env) {
  const call = await answered(env);
  await env.playOut();
  return call;
}

test('speech starts and no result ever comes: a timer moves the call on with a new recogniser', async () => {
  const env = session(local);
  const call = await listening(env);
  const asr = env.asr();
  await env.callerSays('', { result: false, speechMs: 1200 });
  await env.advance(config(env).captureTimeoutMs);
  assert.equal(env.turns().length, 2, 'a turn after the stuck capture');
  assert.deepEqual(env.lastTurn().body.event, { type: 'no_input' });
  assert.notEqual(env.asr(), asr, 'the recogniser was replaced');
  assert.ok(call.mediaTo.has(env.asr()), 'and the new one hears the caller');
  assert.ok(env.longestSilence() <= config(env).captureTimeoutMs, 'longest silence ' + env.longestSilence());
});

test('noise (an empty result) resumes listening with a timer', async () => {
  const env = session(local);
  const call = await listening(env);
  await env.advance(3000);
  await env.callerSays('', { speechMs: 600 });
  const saidBefore = call.said.length;
  await env.advance(config(env).listenTimeoutMs);
  assert.equal(env.turns().length, 2);
  assert.deepEqual(env.lastTurn().body.event, { type: 'no_input' });
  assert.ok(call.said.length > saidBefore, 'the assistant asks again');
  assert.ok(env.longestSilence() <= config(env).listenTimeoutMs, 'longest silence ' + env.longestSilence());
});

test('a recogniser error: a new recogniser is made and the next words are heard', async () => {
  const env = session(local);
  const call = await listening(env);
  await env.advance(1000);
  await env.asrFails('Yandex: stream closed');
  assert.equal(env.asrs.length, 2, 'a new recogniser');
  assert.ok(call.mediaTo.has(env.asrs[1]));
  await speak(env, 'нам нужен склад');
  assert.equal(env.lastTurn().body.event.type, 'utterance');
  assert.equal(env.lastTurn().body.event.text, 'нам нужен склад');
});

test('noise during an interruptible goodbye: the goodbye is said again and the call still hangs up', async () => {
  const env = session(local);
  const call = await listening(env);
  await speak(env, 'больше не звоните');
  const goodbye = call.playing();
  assert.match(goodbye, /Всего доброго/);
  await env.advance(500);
  await env.callerSays('', { speechMs: 400 }); // a cough: playback stops, the result is empty
  assert.deepEqual(call.stopped, [goodbye]);
  const report = await env.endReport();
  assert.ok(env.hungUp.includes(call), 'hung up');
  assert.equal(report.body.end_reason, 'hangup');
  assert.equal(call.said[call.said.length - 1].text, goodbye, 'the goodbye was said again');
  assert.ok(env.longestSilence() < 3000, 'longest silence ' + env.longestSilence());
});

test('a recogniser error right after an interrupted goodbye: the call still hangs up', async () => {
  const env = session(local);
  const call = await listening(env);
  await speak(env, 'больше не звоните');
  await env.callerSays('', { error: 'Recognition failed', speechMs: 300 });
  await env.endReport();
  assert.ok(env.hungUp.includes(call));
});

test('the function hangs: the caller hears the local phrase within 2.5 s of finishing speaking', async () => {
  let hang = false;
  const env = session(local, { network: (url) => (hang && url.endsWith('/v1/turn') ? 'hang' : 'pass') });
  const call = await listening(env);
  hang = true;
  await env.callerSays('нам нужен склад');
  const spokeAt = env.now;
  await env.runUntil(() => call.said.length > 1, 'the local phrase', 10000);
  const phrase = call.said[call.said.length - 1];
  assert.match(phrase.text, /Повторите/);
  assert.ok(phrase.at - spokeAt <= 2500, 'heard after ' + (phrase.at - spokeAt) + ' ms');
});

test('a malformed answer is no answer: the local phrase, and the next turn repeats the seq', async () => {
  let mangle = false;
  const env = session(local, { network: (url) => (mangle && url.endsWith('/v1/turn') ? { respond: { code: 200, text: '{"seq":1,"token":"t","actions":[null,{"type":"listen"}]}' } } : 'pass') });
  const call = await listening(env);
  mangle = true;
  await env.callerSays('нам нужен склад');
  await env.runUntil(() => call.said.length > 1, 'a phrase', 5000);
  assert.match(call.said[call.said.length - 1].text, /Повторите/);
  mangle = false;
  await env.playOut();
  await speak(env, 'нам нужен склад');
  assert.equal(env.lastTurn().code, 200);
  assert.equal(env.lastTurn().body.seq, 1);
});

test('say() throwing inside an answer does not stop the call: the next phrase and a listening timer follow', async () => {
  const env = session(local, { sayThrows: (text) => /Алло/.test(text) });
  const call = await listening(env);
  await env.advance(7100); // no_input: «Алло, вы меня слышите?» throws, the question follows
  await env.playOut();
  assert.ok(env.log.some((m) => /say failed: .*TTS is unavailable/.test(m)), env.log.join('\n'));
  assert.match(call.said[call.said.length - 1].text, /задачу/, 'the next phrase of the answer played');
  assert.equal(env.lastTurn().body.event.type, 'no_input');
  assert.equal(env.timers().length, 1, 'listening with a timer');
  assert.deepEqual(env.errors, []);
});

test('a phrase that fails to play (PlaybackFinished with an error) is skipped, not waited for', async () => {
  const env = session(local, { sayError: (text) => (/Алло/.test(text) ? 'TTS error 400' : null) });
  const call = await listening(env);
  await env.advance(7100); // no_input: «Алло, вы меня слышите?» fails, the question plays
  await env.playOut();
  assert.ok(call.said.some((s) => /Алло/.test(s.text)));
  assert.match(call.said[call.said.length - 1].text, /задачу/, 'the next phrase of the answer played');
  assert.equal(env.timers().length, 1, 'listening with a timer');
  assert.ok(env.log.some((m) => /phrase not played: TTS error 400/.test(m)));
});

test('bridging the calls throws: the transfer goes back to the scenario instead of silence', async () => {
  const env = session(local, { apiError: (name) => (name === 'sendMediaBetween' ? 'media server error' : null) });
  const call = await listening(env);
  await speak(env, 'соедините меня с менеджером пожалуйста');
  await env.playOut();
  const agent = env.dialled[0];
  agent.pickUp();
  await env.runUntil(() => env.lastTurn().body.event.type === 'transfer_failed' && env.lastTurn().done, 'the transfer_failed turn', 30000);
  assert.equal(env.lastTurn().code, 200);
  assert.ok(env.hungUp.includes(agent), 'the manager leg is hung up');
  await env.advance(500);
  assert.ok(call.playing(), 'the caller hears the scenario again');
});
