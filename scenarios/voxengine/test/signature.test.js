'use strict';
// Issue 21, problem 1: signatures that cannot be misread. Crypto.hmac_sha256 documents
// neither how text becomes bytes nor how the MAC is encoded [T:4851-4859]; the stand-in
// is configured per test with each plausible (and one broken) behaviour.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useStack, session, answered, speak } = require('./helpers');

const local = useStack();

const RUSSIAN = 'нам нужна система учёта для склада';

test('the signed body is ASCII, so a Russian turn is accepted whatever bytes the platform hashes', async () => {
  // Default stand-in: hmac_sha256 takes the low byte of each UTF-16 unit (not UTF-8).
  const env = session(local);
  await answered(env);
  await env.playOut();
  await speak(env, RUSSIAN);
  const turn = env.turns()[1];
  assert.equal(turn.code, 200, turn.text);
  assert.match(turn.options.postData, /^[\x20-\x7e]*$/, 'only printable ASCII is signed');
  assert.match(turn.options.postData, /\\u043d\\u0430\\u043c/, 'Cyrillic is escaped as \\uXXXX');
  assert.equal(JSON.parse(turn.options.postData).event.text, RUSSIAN, 'the JSON still says the same');
});

test('the start-up self-test learns base64 output and the turns go through', async () => {
  const env = session(local, { crypto: { output: 'base64' } });
  assert.ok(env.log.some((m) => /self-test passed: the platform returns base64/.test(m)), env.log.join('\n'));
  await answered(env);
  await env.playOut();
  await speak(env, RUSSIAN);
  for (const turn of env.turns()) {
    assert.equal(turn.code, 200, turn.text);
    assert.match(turn.options.headers['X-SVA-Signature'], /^v1=[A-Za-z0-9+/]{43}=$/, 'the MAC as the platform made it');
  }
});

test('uppercase hex output is recognised as hex', async () => {
  const env = session(local, { crypto: { output: 'HEX', input: 'utf8' } });
  assert.ok(env.log.some((m) => /self-test passed: the platform returns hex/.test(m)), env.log.join('\n'));
  await answered(env);
  assert.equal(env.turns()[0].code, 200);
  assert.match(env.turns()[0].options.headers['X-SVA-Signature'], /^v1=[0-9A-F]{64}$/);
});

test('an hmac_sha256 that matches neither hex nor base64 logs a clear error at start-up; the caller still hears a phrase', async () => {
  const env = session(local, { crypto: { output: 'broken' } });
  const error = env.log.find((m) => /self-test FAILED/.test(m));
  assert.ok(error, 'a clear error in the log before any call: ' + env.log.join('\n'));
  assert.match(error, /5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843/);
  const call = await answered(env);
  assert.equal(env.turns()[0].code, 401);
  assert.ok(call.said[0].text.length > 0, 'a local phrase');
});
