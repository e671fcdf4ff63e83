'use strict';
// The stand-in itself follows the platform's documents (voxengine.d.ts v28.0.0): small
// inline scenarios check the rules the scenario tests rely on. No stack needed.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { load } = require('./standin');

/** An inline scenario: `body` runs with VoxEngine's globals; `out` collects what it saw. */
function scenario(body, options) {
  const source = `require(Modules.ASR); var out = []; ${body}`;
  const env = load(Object.assign({ source }, options || {}));
  return env;
}

function out(env) {
  return JSON.parse(JSON.stringify(env.context.out)); // out of the sandbox realm
}

test('after terminate() only Terminating and Terminated arrive: no Disconnected, no ASR.Stopped, no timers', async () => {
  const env = scenario(`
    VoxEngine.addEventListener(AppEvents.CallAlerting, function (e) {
      var call = e.call;
      call.addEventListener(CallEvents.Connected, function () {
        var asr = VoxEngine.createASR({ profile: ASRProfileList.Yandex.ru_RU });
        asr.addEventListener(ASREvents.Stopped, function (s) { out.push('stopped'); });
        call.addEventListener(CallEvents.Disconnected, function () { out.push('disconnected'); });
        setTimeout(function () { out.push('timer'); }, 10);
        asr.stop();
        call.hangup();
        VoxEngine.terminate();
      });
      call.answer();
    });
    VoxEngine.addEventListener(AppEvents.Terminating, function () { out.push('terminating'); });
    VoxEngine.addEventListener(AppEvents.Terminated, function () { out.push('terminated'); });
  `);
  env.start(1);
  env.inbound('+79161234567', '+74950000000');
  await env.advance(120000);
  assert.deepEqual(out(env), ['terminating', 'terminated']);
});

test('ASR.Stopped comes later than stop(), with cost a string and duration a number', async () => {
  const env = scenario(`
    VoxEngine.addEventListener(AppEvents.CallAlerting, function (e) {
      e.call.addEventListener(CallEvents.Connected, function () {
        var asr = VoxEngine.createASR({ profile: ASRProfileList.Yandex.ru_RU });
        asr.addEventListener(ASREvents.Stopped, function (s) { out.push([typeof s.cost, typeof s.duration, s.asr === asr]); });
        setTimeout(function () { asr.stop(); out.push('stop returned'); }, 20000);
      });
      e.call.answer();
    });
  `);
  env.start(1);
  env.inbound('+79161234567', '+74950000000');
  await env.advance(20500);
  assert.deepEqual(out(env), ['stop returned']);
  await env.advance(1000);
  assert.deepEqual(out(env), ['stop returned', ['string', 'number', true]]);
});

test('there is no ASREvents.Error: listening to it is refused', () => {
  assert.throws(() => scenario(`VoxEngine.createASR; var a = ASREvents.Error; VoxEngine.addEventListener(a, function () {});`), /unknown event undefined/);
});

test('one HTTP request in Terminating, started inside the handler; none later', async () => {
  const server = http.createServer((req, res) => res.end('ok'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  try {
    const env = scenario(`
      VoxEngine.addEventListener(AppEvents.Started, function () { VoxEngine.terminate(); });
      VoxEngine.addEventListener(AppEvents.Terminating, function () {
        Net.httpRequestAsync('${url}').then(function (r) { out.push('first ' + r.code); });
        try { Net.httpRequestAsync('${url}'); } catch (e) { out.push('second refused'); }
      });
    `);
    env.start(1);
    const final = await env.endReport();
    assert.equal(final.code, 200);
    await env.settle();
    assert.deepEqual(out(env), ['second refused', 'first 200']);
  } finally {
    server.close();
  }
});

test('at most 3 requests run at once; more wait; past 35 pending the call throws', async () => {
  const env = scenario(`
    VoxEngine.addEventListener(AppEvents.Started, function () {
      for (var i = 0; i < 36; i++) {
        try { Net.httpRequestAsync('http://127.0.0.1:9/', { timeout: 5 }); out.push('ok'); }
        catch (e) { out.push(String(e.message)); }
      }
    });
  `, { network: () => 'hang' });
  env.start(1);
  await env.settle();
  assert.equal(out(env).filter((x) => x === 'ok').length, 35);
  assert.equal(out(env)[35], 'Exceeded the HTTP connection count limit!');
  assert.equal(env.http.active.length, 3);
  assert.equal(env.http.queued.length, 32);
});

test('say() over 1500 characters ends in PlaybackFinished with an error; stopPlayback() ends a phrase with no event', async () => {
  const env = scenario(`
    VoxEngine.addEventListener(AppEvents.CallAlerting, function (e) {
      var call = e.call;
      call.addEventListener(CallEvents.PlaybackFinished, function (p) { out.push(p.error ? 'error' : 'finished'); });
      call.addEventListener(CallEvents.Connected, function () {
        call.say(new Array(1502).join('а'));
        setTimeout(function () { call.say('короткая фраза'); call.stopPlayback(); }, 1000);
      });
      e.call.answer();
    });
  `);
  env.start(1);
  env.inbound('+79161234567', '+74950000000');
  await env.advance(30000);
  assert.deepEqual(out(env), ['error']);
});

test('Crypto.hmac_sha256: the configured output encoding; non-ASCII text is not hashed as UTF-8 by default', () => {
  const env = scenario(`out.push(Crypto.hmac_sha256('Jefe', 'what do ya want for nothing?'), Crypto.hmac_sha256('k', 'я'));`, { crypto: { output: 'base64', input: 'bytes' } });
  const utf8 = require('node:crypto').createHmac('sha256', 'k').update('я', 'utf8').digest('base64');
  assert.equal(out(env)[0], 'W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=');
  assert.notEqual(out(env)[1], utf8);
});

test('an exception escaping a handler ends the session', async () => {
  const env = scenario(`
    VoxEngine.addEventListener(AppEvents.Started, function () { throw new Error('boom'); });
    VoxEngine.addEventListener(AppEvents.Terminating, function () { out.push('terminating'); });
  `);
  env.start(1);
  await env.settle();
  assert.equal(env.errors.length, 1);
  assert.deepEqual(out(env), ['terminating']);
});

test('CallList: one report per task; a second one, one after the session ended, or none at all is seen by the test', async () => {
  const env = scenario(
    `
    VoxEngine.addEventListener(AppEvents.Started, function () {
      CallList.reportResult({ result: 'answered' }, function (r) {
        out.push('answered ' + r.code);
        try { CallList.reportError('again'); } catch (e) { out.push('second: ' + e.message); }
        VoxEngine.terminate();
      });
    });
    VoxEngine.addEventListener(AppEvents.Terminated, function () {
      try { CallList.reportError('late'); } catch (e) { out.push('late: ' + e.message); }
    });
  `,
    { callList: true }
  );
  env.start(1);
  await env.runUntil(() => env.phase === 'terminated', 'the end', 5000);
  assert.deepEqual(out(env), ['answered 200', 'second: CallList.reportError: the task was already reported (reportResult)', 'late: CallList.reportError: the session is terminated']);
  assert.equal(env.callList.reports.length, 1);
  assert.deepEqual(env.callList.reports[0].data, { result: 'answered' });
  assert.equal(env.callList.refused.length, 2);
  assert.equal(env.callList.silent, false);

  const silent = scenario(`VoxEngine.addEventListener(AppEvents.Started, function () { VoxEngine.terminate(); });`, { callList: true });
  silent.start(2);
  await silent.runUntil(() => silent.phase === 'terminated', 'the end', 5000);
  assert.equal(silent.callList.silent, true, 'a task that reports nothing is recorded as silent');
});

test('CallList: requestNextAttempt takes only the documented fields, start_at in Unix seconds ahead; a non-call-list session has no call list', async () => {
  const tries = [
    ['{ start_at: Math.floor(Date.now() / 1000) - 3600 }', 'start_at is in the past or more than 9 months ahead'],
    ['{ start_at: Date.now() + 60000 }', 'start_at is in the past or more than 9 months ahead'],
    ["{ start_at: '2030-01-01' }", 'start_at must be a Unix time in whole seconds'],
    ["{ when: 'tomorrow' }", 'unknown field when'],
    ["{ start_execution_time: '9:00' }", 'start_execution_time must be HH:MM:SS'],
  ];
  for (const [data, why] of tries) {
    const env = scenario(`VoxEngine.addEventListener(AppEvents.Started, function () { try { CallList.requestNextAttempt(${data}); } catch (e) { out.push(e.message); } });`, { callList: true });
    env.start(1);
    await env.settle();
    assert.deepEqual(out(env), ['CallList.requestNextAttempt: ' + why], data);
  }
  const ok = scenario(`VoxEngine.addEventListener(AppEvents.Started, function () { CallList.requestNextAttempt({ start_at: Math.floor(Date.now() / 1000) + 3600, error: 'callback' }); });`, { callList: true });
  ok.start(1);
  await ok.settle();
  assert.equal(ok.callList.reports[0].kind, 'requestNextAttempt');
  const inbound = scenario(`VoxEngine.addEventListener(AppEvents.Started, function () { try { CallList.reportResult('x'); } catch (e) { out.push(e.message); } });`);
  inbound.start(1);
  await inbound.settle();
  assert.deepEqual(out(inbound), ['CallList.reportResult: this session was not started by a call list']);
});

test('CallList: in Terminating a report is the one request allowed', async () => {
  const env = scenario(
    `
    VoxEngine.addEventListener(AppEvents.Started, function () { VoxEngine.terminate(); });
    VoxEngine.addEventListener(AppEvents.Terminating, function () {
      CallList.reportError({ error: 'terminated' });
      try { Net.httpRequestAsync('http://127.0.0.1:9/x', {}); } catch (e) { out.push(e.message); }
    });
  `,
    { callList: true }
  );
  env.start(1);
  await env.runUntil(() => env.phase === 'terminated', 'the end', 5000);
  assert.deepEqual(out(env), ['Net.httpRequestAsync: only one request is allowed in Terminating']);
  assert.equal(env.callList.reports[0].phase, 'terminating');
});

test('AMD: only with Modules.AI, a documented model, and its verdict after Connected (CALL_ENDED when the call ends first)', async () => {
  const noModule = scenario(`VoxEngine.addEventListener(AppEvents.Started, function () { out.push(typeof AMD); });`);
  noModule.start(1);
  await noModule.settle();
  assert.deepEqual(out(noModule), ['undefined']);
  const body = (verdictOut) => `
    require(Modules.AI);
    VoxEngine.addEventListener(AppEvents.Started, function () {
      try { AMD.create({ model: 'russian' }); } catch (e) { out.push(e.message); }
      var amd = AMD.create({ model: AMD.Model.RU, timeout: 3000 });
      amd.addEventListener(AMD.Events.DetectionComplete, function (e) { out.push(${verdictOut}); });
      var call = VoxEngine.callPSTN('79161234567', '+74950000000', { amd: amd });
      call.addEventListener(CallEvents.Connected, function () { out.push('connected'); });
    });`;
  const human = scenario(body(`e.resultClass + ' ' + (e.call === amd.call)`));
  human.start(1);
  await human.settle();
  human.dialled[0].pickUp({ amd: 'HUMAN', amdMs: 800 });
  await human.advance(1000);
  assert.deepEqual(out(human), ['AMD.create: model must be one of AMD.Model, got russian', 'connected', 'HUMAN true']);
  const timeout = scenario(body('e.resultClass'));
  timeout.start(1);
  await timeout.settle();
  timeout.dialled[0].pickUp();
  await timeout.advance(2900);
  assert.equal(out(timeout).length, 2, 'no verdict before the timeout');
  await timeout.advance(200);
  assert.equal(out(timeout)[2], 'TIMEOUT');
  const hungUp = scenario(body('e.resultClass'));
  hungUp.start(1);
  await hungUp.settle();
  hungUp.dialled[0].pickUp({ amd: 'VOICEMAIL', amdMs: 2000 });
  await hungUp.advance(500);
  hungUp.dialled[0].remoteHangup();
  await hungUp.advance(3000);
  assert.deepEqual(out(hungUp).slice(1), ['connected', 'CALL_ENDED']);
});

test('AMD: resultSubtype and confidence are optional [T:1053, T:1057]: a TIMEOUT verdict has neither', async () => {
  const env = scenario(`
    require(Modules.AI);
    VoxEngine.addEventListener(AppEvents.Started, function () {
      var amd = AMD.create({ model: AMD.Model.RU, timeout: 1000 });
      amd.addEventListener(AMD.Events.DetectionComplete, function (e) { out.push(e.resultClass + ' ' + ('confidence' in e) + ' ' + ('resultSubtype' in e)); });
      VoxEngine.callPSTN('79161234567', '+74950000000', { amd: amd });
    });`);
  env.start(1);
  await env.settle();
  env.dialled[0].pickUp();
  await env.advance(1500);
  assert.deepEqual(out(env), ['TIMEOUT false false']);
});
