'use strict';
// A stand-in for the VoxEngine globals the scenario uses. It follows Voximplant's own
// documents, not the script: names, payloads and order of events are those of the type
// declarations, and where the documents are silent it is stricter than the likely
// platform, never looser.
//
// Source: voximplant/voxengine-ci v28.0.0 (commit 8b595242da97e5fef618877a7ce806914c637f42),
// typings/voxengine.d.ts — cited below as [T:<line>]. [D] marks a doc page (Limits:
// https://voximplant.com/docs/guides/voxengine/limits). [S] marks a rule the documents
// do not state, where the stand-in picked the stricter reading.
//
// AMD and CallList (outbound campaigns) follow the same typings: AMD [T:924-1160]
// (AMDParameters, AnsweringMachineDetector, AMD.Events, Model, ResultClass), CallPSTNParameters
// [T:3255-3264], CallList [T:3713-3830]; and the guide "Editing call lists"
// (https://voximplant.com/docs/guides/solutions/editable-call-lists: `start_at` is a Unix
// time in seconds, the execution times `HH:MM:SS` UTC) — cited as [E].
//
// Time is fake: timers and platform events run on a manual clock (`advance`, `runUntil`),
// so silence can be measured in fake milliseconds. HTTP is real: the script talks to the
// real dialog function; a request takes no fake time unless a test's network rule says so.

const vm = require('node:vm');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

// [T:1170-1219]
const AppEvents = {
  CallAlerting: 'Application.CallAlerting',
  Terminating: 'Application.Terminating',
  Terminated: 'Application.Terminated',
  Started: 'Application.Started',
  HttpRequest: 'Application.HttpRequest',
};
// [T:2489-2731] (the ones a PSTN call can raise here)
const CallEvents = {
  AudioStarted: 'Call.AudioStarted',
  Connected: 'Call.Connected',
  Disconnected: 'Call.Disconnected',
  Failed: 'Call.Failed',
  PlaybackFinished: 'Call.PlaybackFinished',
  PlaybackReady: 'Call.PlaybackReady',
  PlaybackStarted: 'Call.PlaybackStarted',
  RecordStarted: 'Call.RecordStarted',
  RecordStopped: 'Call.RecordStopped',
  RecordError: 'Call.RecordError',
  Ringing: 'Call.Ringing',
  StateChanged: 'Call.StateChanged',
  ToneReceived: 'Call.ToneReceived',
};
// [T:1504-1544]: the error event is ASRError = 'ASR.Error'; there is no ASREvents.Error.
const ASREvents = {
  ASRError: 'ASR.Error',
  Started: 'ASR.Started',
  CaptureStarted: 'ASR.CaptureStarted',
  SpeechCaptured: 'ASR.SpeechCaptured',
  Result: 'ASR.Result',
  InterimResult: 'ASR.InterimResult',
  Stopped: 'ASR.Stopped',
};
// [T:7844-7892]
const PlayerEvents = {
  Created: 'Player.Created',
  PlaybackReady: 'Player.PlaybackReady',
  Started: 'Player.Started',
  Stopped: 'Player.Stopped',
  PlaybackFinished: 'Player.PlaybackFinished',
  Error: 'Player.Error',
  PlaybackMarkerReached: 'Player.PlaybackMarkerReached',
  PlaybackBuffering: 'Player.Buffering',
};

// [T:999-1022], [T:1075-1160]
const AMDEvents = { DetectionComplete: 'AMD.Events.DetectionComplete', DetectionError: 'AMD.Events.DetectionError' };
const AMDModel = { BR: 'br', CL: 'cl', CO: 'colombia', KZ: 'kz', MX: 'mx', RU: 'ru', PH: 'ph', PE: 'pe', US: 'us', EU_GENERAL: 'eu_general' };
const AMDResultClass = { VOICEMAIL: 'VOICEMAIL', HUMAN: 'HUMAN', TIMEOUT: 'TIMEOUT', CALL_ENDED: 'CALL_ENDED' };
const AMDResultSubtype = { MIMIC: 'MIMIC', NONE: 'NONE' };
// [T:933-936]: the detection timeout "is only triggered after the Connected event",
// default 6500 ms, 0..20000.
const AMD_DEFAULT_TIMEOUT_MS = 6500;
const AMD_MAX_TIMEOUT_MS = 20000;
// What requestNextAttempt may change [T:3787-3830]; `error` is what the guide's examples
// pass along [E]. Anything else is refused [S].
const NEXT_ATTEMPT_FIELDS = new Set(['start_at', 'attempts_left', 'custom_data', 'start_execution_time', 'end_execution_time', 'next_attempt_time', 'error']);
// [E]: a next attempt may be at most 9 months ahead; taken as 270 days, as the Rust
// dialler stand-in does (functions/voximplant/src/standin/dialler.rs, NINE_MONTHS).
const NEXT_ATTEMPT_MAX_MS = 270 * 24 * 3600 * 1000;

// Limits [D]: 3 active HTTP requests, 35 pending + queued; 100 timers; 10 players.
const HTTP_ACTIVE = 3;
const HTTP_TOTAL = 35;
const MAX_TIMERS = 100;
const MAX_PLAYERS = 10;
// [T:3601-3608]: over 1500 characters say() ends with PlaybackFinished {error}.
const SAY_MAX = 1500;
// [D] "A session without calls and without ACD requests is terminated in 60 seconds";
// [T:10138-10149] callPSTN "can trigger the Failed event in 60 sec".
const SESSION_IDLE_MS = 60000;
const PSTN_NO_ANSWER_MS = 60000;

/** How long a phrase plays in fake time: ~15 characters a second, at least 0.4 s. */
function phraseMs(text) {
  return 400 + 65 * text.length;
}

class Emitter {
  constructor(env, kind, events) {
    this.env = env;
    this.kind = kind;
    this.known = new Set(Object.values(events));
    this.listeners = {};
  }
  // [T:3502], [T:2326], [T:2356], [T:10102]: "Use only functions as handlers; anything except a function
  // leads to the error and scenario termination". An unknown event name is refused too [S]
  // (so `ASREvents.Error`, which is undefined, cannot be listened to by mistake).
  addEventListener(event, fn) {
    if (!this.known.has(event)) throw new Error(`${this.kind}.addEventListener: unknown event ${String(event)}`);
    if (typeof fn !== 'function') throw new Error(`${this.kind}.addEventListener: the handler must be a function`);
    (this.listeners[event] = this.listeners[event] || []).push(fn);
  }
  removeEventListener(event, fn) {
    if (fn === undefined) delete this.listeners[event];
    else this.listeners[event] = (this.listeners[event] || []).filter((f) => f !== fn);
  }
  /** Calls the handlers now (the platform calls this from its event loop). */
  dispatch(event, payload) {
    for (const fn of (this.listeners[event] || []).slice()) {
      try {
        fn(payload);
      } catch (e) {
        // Not documented what an exception escaping a handler does [S]: the stand-in
        // ends the session, the strictest reading.
        this.env.errors.push({ event, error: e });
        this.env.log.push(`[stand-in] uncaught exception in ${event} handler: ${e && e.stack}`);
        this.env.platformTerminate('uncaught exception');
      }
    }
  }
}

let nextId = 1;

class Call extends Emitter {
  constructor(env, { number, callerid, incoming }) {
    super(env, 'Call', CallEvents);
    this._id = 'call-' + nextId++;
    this._number = number;
    this._callerid = callerid;
    this._incoming = incoming;
    this._state = incoming ? 'ALERTING' : 'PROGRESSING';
    this.createdAt = env.now;
    this.said = []; // {text, parameters, at}: every say() the scenario made
    this.stopped = []; // texts cut by stopPlayback()
    this.records = []; // parameters of record()
    this.tonesHandled = false;
    this.mediaTo = new Set(); // units that receive this call's audio
    this.source = null; // what this call hears now (one incoming stream [T:3601-3608])
    this.heard = []; // {kind, text?, from, to} segments of what it heard
    this.connectedAt = null;
    this.endedAt = null;
    this.disconnectedEvent = null;
  }
  // [T:3451-3470]
  id() {
    return this._id;
  }
  state() {
    return this._state;
  }
  number() {
    return this._number;
  }
  callerid() {
    return this._callerid;
  }
  incoming() {
    return this._incoming;
  }
  customData() {
    return '';
  }
  payload(name, extra) {
    return Object.assign({ call: this, name, id: this._id }, extra || {});
  }
  // [T:3536-3541]: Connected follows answer().
  answer() {
    this.env.apiCall();
    if (this._state !== 'ALERTING') throw new Error('answer: the call is not alerting');
    this._state = 'ANSWERING';
    this.env.platform(150, () => this.connect());
  }
  connect() {
    this._state = 'CONNECTED';
    this.connectedAt = this.env.now;
    this.env.platform(0, () => this.dispatch(CallEvents.Connected, this.payload(CallEvents.Connected, { headers: {} })));
  }
  // [T:3526-3534]: Disconnected if the call was active, Failed if an outgoing call was
  // not connected yet. The event comes later, from the event loop [S].
  hangup() {
    this.env.apiCall();
    if (this._state === 'TERMINATED' || this._state === 'HANGING_UP') return;
    const was = this._state;
    this._state = 'HANGING_UP';
    this.env.hungUp.push(this);
    if (was === 'CONNECTED') this.env.platform(this.env.options.disconnectDelayMs, () => this.disconnect(200, 'Normal'));
    else this.env.platform(100, () => this.fail(487, 'Request terminated'));
  }
  /** The call ends (either side): Disconnected with duration and cost [T:2874-2895]. */
  disconnect(code, reason) {
    if (this._state === 'TERMINATED') return;
    this.amdCallEnded();
    this._state = 'TERMINATED';
    this.endedAt = this.env.now;
    this.setSource(null);
    for (const other of this.env.calls) if (other.source && other.source.kind === 'call' && other.source.other === this) other.setSource(null);
    const duration = Math.round((this.env.now - (this.connectedAt || this.env.now)) / 1000);
    // Cost in the account's currency, a number [T:2890-2893]; the stand-in charges 1.5
    // per started minute.
    const cost = 1.5 * Math.max(1, Math.ceil(duration / 60));
    const event = this.payload(CallEvents.Disconnected, { headers: {}, internalCode: code, reason, duration, cost, direction: this._incoming ? 'incoming' : 'outgoing' });
    this.disconnectedEvent = event;
    if (this.env.options.dropDisconnected) return this.env.callEnded();
    this.dispatch(CallEvents.Disconnected, event);
    // [T:2642-2647]: RecordStopped "happens after the Disconnected event".
    if (this.records.length) this.env.platform(300, () => this.dispatch(CallEvents.RecordStopped, this.payload(CallEvents.RecordStopped, { url: this.recordUrl, cost: '0.0100', duration })));
    this.env.callEnded();
  }
  fail(code, reason) {
    if (this._state === 'TERMINATED') return;
    this._state = 'TERMINATED';
    this.endedAt = this.env.now;
    this.dispatch(CallEvents.Failed, this.payload(CallEvents.Failed, { headers: {}, code, reason }));
    this.env.callEnded();
  }
  /** The call ended while its detector was still listening: CALL_ENDED [T:1143] (ResultClass, T:1127-1145). */
  amdCallEnded() {
    const amd = this.parameters && this.parameters.amd;
    if (!amd || !amd.pending) return;
    this.env.cancel(amd.pending);
    amd.pending = null;
    amd.complete(this, AMDResultClass.CALL_ENDED);
  }
  requireConnected(what) {
    // [T:3601] "Say some text to the Connected call"; [T:3635] "The target call has to be
    // Connected earlier". Anything else is refused with an exception [S].
    if (this._state !== 'CONNECTED') throw new Error(`${what}: the call is not connected (${this._state})`);
  }
  /** What the call hears from now on; closes the previous segment. */
  setSource(source) {
    const now = this.env.now;
    if (this.source) {
      const seg = this.heard[this.heard.length - 1];
      if (seg && seg.to === null) seg.to = now;
      if (this.source.kind === 'say' && this.source.timer) this.env.cancel(this.source.timer);
    }
    this.source = source;
    if (source) this.heard.push({ kind: source.kind, text: source.text, from: now, to: null });
  }
  // [T:3601-3608]. Over 1500 characters: PlaybackFinished with an error, no audio. A new
  // playback replaces the current one; the replaced one gets no PlaybackFinished [S].
  say(text, parameters) {
    this.env.apiCall();
    this.requireConnected('say');
    if (typeof text !== 'string') throw new Error('say: text must be a string');
    // How say() fails is not documented beyond PlaybackFinished {error}; a test may make
    // it throw as well [S].
    if (this.env.options.sayThrows && this.env.options.sayThrows(text)) throw new Error('say: TTS is unavailable');
    this.said.push({ text, parameters, at: this.env.now });
    this.env.tts.push({ call: this, text });
    const failure = text.length > SAY_MAX ? 'Text is too long' : this.env.options.sayError && this.env.options.sayError(text, parameters);
    if (failure) {
      this.setSource(null);
      this.env.platform(50, () => this.dispatch(CallEvents.PlaybackFinished, this.payload(CallEvents.PlaybackFinished, { error: String(failure) })));
      return;
    }
    const source = { kind: 'say', text };
    this.setSource(source);
    source.timer = this.env.platform(phraseMs(text), () => {
      if (this.source !== source) return;
      this.setSource(null);
      this.dispatch(CallEvents.PlaybackFinished, this.payload(CallEvents.PlaybackFinished));
    });
  }
  // [T:3618-3621] and [T:2598-2602]: stopPlayback finishes any media, and then
  // PlaybackFinished is not triggered.
  stopPlayback() {
    this.env.apiCall();
    if (this.source && this.source.kind === 'say') this.stopped.push(this.source.text);
    if (this.source && this.source.kind !== 'call') this.setSource(null);
  }
  /** The text playing now, or null. */
  playing() {
    return this.source && this.source.kind === 'say' ? this.source.text : null;
  }
  // [T:3610-3616]: parameters are required; RecordStarted {url} follows [T:3048-3053].
  record(parameters) {
    this.env.apiCall();
    if (!parameters || typeof parameters !== 'object') throw new Error('record: parameters are required');
    this.requireConnected('record');
    this.records.push(parameters);
    const base = this.env.options.recordBase || 'https://storage-gw-ru-01.voximplant.com/voximplant-records';
    this.recordUrl = `${base}/2026/01/01/${this._id}.mp3`;
    const failure = this.env.options.recordError;
    this.env.platform(200, () => {
      if (failure) this.dispatch(CallEvents.RecordError, this.payload(CallEvents.RecordError, { error: failure }));
      else this.dispatch(CallEvents.RecordStarted, this.payload(CallEvents.RecordStarted, { url: this.recordUrl }));
    });
  }
  // [T:3649-3653]: ToneReceived only after handleTones(true) [T:2677-2681].
  handleTones(doHandle) {
    this.env.apiCall();
    this.tonesHandled = !!doHandle;
  }
  sendMediaTo(unit) {
    this.env.apiCall();
    this.requireConnected('sendMediaTo');
    if (unit instanceof Call) unit.requireConnected('sendMediaTo (target)');
    this.mediaTo.add(unit);
    if (unit instanceof Call) unit.setSource({ kind: 'call', other: this });
  }
  stopMediaTo(unit) {
    this.env.apiCall();
    this.mediaTo.delete(unit);
    if (unit instanceof Call && unit.source && unit.source.other === this) unit.setSource(null);
  }
  startEarlyMedia() {
    this.env.apiCall();
  }
  // [T:3623-3627]: country-specific tones played to the call; stopPlayback ends them [S].
  playProgressTone(country) {
    this.env.apiCall('playProgressTone');
    this.requireConnected('playProgressTone');
    if (country !== 'US' && country !== 'RU') throw new Error('playProgressTone: US or RU only');
    this.setSource({ kind: 'tone', text: 'progress:' + country });
  }

  // ---- test side --------------------------------------------------------------------
  /** Test: the far end picks up an outgoing call. */
  /**
   * Test: the far end picks up an outgoing call. With an AMD detector on the call
   * [T:3255-3264], DetectionComplete follows Connected: `amd` is its resultClass
   * (default TIMEOUT, after the detector's timeout), `amdMs` when (default 1200 ms, or
   * the timeout for TIMEOUT); `amdError` raises DetectionError instead.
   */
  pickUp(opts) {
    if (this._state !== 'PROGRESSING') throw new Error('pickUp: the call is ' + this._state);
    this.connect();
    const x = opts || {};
    const amd = this.parameters && this.parameters.amd;
    if (!amd) return;
    const result = x.amd || AMDResultClass.TIMEOUT;
    const timeout = amd.timeout === undefined ? AMD_DEFAULT_TIMEOUT_MS : amd.timeout;
    const delay = x.amdMs !== undefined ? x.amdMs : result === AMDResultClass.TIMEOUT ? timeout : 1200;
    amd.pending = this.env.platform(delay, () => {
      amd.pending = null;
      if (this._state !== 'CONNECTED') return;
      if (x.amdError) return amd.dispatch(AMDEvents.DetectionError, { amd, callId: this._id, message: String(x.amdError) });
      amd.complete(this, result);
    });
  }
  /** Test: the far end hangs up. */
  remoteHangup() {
    if (this._state !== 'CONNECTED') throw new Error('remoteHangup: the call is ' + this._state);
    this._state = 'HANGING_UP';
    this.env.platform(0, () => this.disconnect(200, 'Normal'));
  }
  /** Test: an outgoing call fails before it is answered (486 busy, 480, 603 …). */
  remoteFail(code, reason) {
    if (this._state !== 'PROGRESSING') throw new Error('remoteFail: the call is ' + this._state);
    this.env.platform(0, () => this.fail(code, reason || 'Failed'));
  }
}

// [T:2302-2350]. Recognition stops only by stop(); Stopped comes later, from the event
// loop, with `cost` a string and `duration` a number [T:1632-1641]. After an ASR error the
// recogniser is dead: it raises nothing more, not even Stopped [S].
class ASR extends Emitter {
  constructor(env, parameters) {
    super(env, 'ASR', ASREvents);
    this._id = 'asr-' + nextId++;
    this.parameters = parameters;
    this.createdAt = env.now;
    this.stopped = false;
    this.dead = false;
  }
  id() {
    return this._id;
  }
  stop() {
    this.env.apiCall();
    if (this.stopped) return;
    this.stopped = true;
    if (this.dead) return;
    const seconds = (this.env.now - this.createdAt) / 1000;
    const duration = Math.round(seconds);
    // SpeechKit bills 15-second units; the stand-in's price is 0.0375 a unit.
    const cost = (Math.ceil(seconds / 15) * 0.0375).toFixed(4);
    this.env.platform(this.env.options.asrStoppedDelayMs, () => this.dispatch(ASREvents.Stopped, { asr: this, cost, duration }));
  }
  /** Whether caller audio reaches it. */
  listening(call) {
    return !this.stopped && !this.dead && call.mediaTo.has(this);
  }
}

// [T:950-990]: AMD.AnsweringMachineDetector, made by AMD.create(parameters) [T:992-997].
// The stand-in refuses a model outside AMD.Model and a timeout outside 0..20000 [T:924-941],
// and a detector given to more than one call [S].
class AnsweringMachineDetector extends Emitter {
  constructor(env, parameters) {
    super(env, 'AMD', AMDEvents);
    if (!parameters || typeof parameters !== 'object') throw new Error('AMD.create: parameters are required');
    if (!Object.values(AMDModel).includes(parameters.model)) throw new Error('AMD.create: model must be one of AMD.Model, got ' + String(parameters.model));
    if (parameters.timeout !== undefined && !(Number.isInteger(parameters.timeout) && parameters.timeout >= 0 && parameters.timeout <= AMD_MAX_TIMEOUT_MS)) {
      throw new Error('AMD.create: timeout must be 0..20000 ms');
    }
    this._id = 'amd-' + nextId++;
    this.model = parameters.model;
    this.timeout = parameters.timeout;
    this.thresholds = parameters.thresholds;
    this.call = undefined;
    this.pending = null;
    this.results = [];
  }
  id() {
    return this._id;
  }
  detect() {
    throw new Error('AMD.detect: the stand-in detects through callPSTN parameters only');
  }
  /**
   * DetectionComplete [T:1037-1058]: once per detector [S]. `resultSubtype` and
   * `confidence` are optional there [T:1053, T:1057]: the stand-in leaves them out where
   * nothing was recognised (TIMEOUT, CALL_ENDED) [S], so a handler must not count on them.
   */
  complete(call, resultClass) {
    if (this.results.length) return;
    this.results.push(resultClass);
    const e = { amd: this, call, callId: call.id(), resultClass };
    if (resultClass === AMDResultClass.HUMAN || resultClass === AMDResultClass.VOICEMAIL) Object.assign(e, { resultSubtype: AMDResultSubtype.NONE, confidence: 87 });
    this.dispatch(AMDEvents.DetectionComplete, e);
  }
}

// [T:7985-7993], [T:2354-2405]: a Player (ToneScript here). stop() raises Stopped.
class Player extends Emitter {
  constructor(env, kind, text, parameters) {
    super(env, 'Player', PlayerEvents);
    this._id = 'player-' + nextId++;
    this.kindOf = kind;
    this.text = text;
    this.parameters = parameters || {};
    this.stopped = false;
    this.targets = new Set();
    env.platform(0, () => this.dispatch(PlayerEvents.Started, { player: this, duration: 0 }));
  }
  id() {
    return this._id;
  }
  sendMediaTo(unit) {
    this.env.apiCall();
    if (this.stopped) throw new Error('sendMediaTo: the player is destroyed');
    if (unit instanceof Call) unit.requireConnected('sendMediaTo (target)');
    this.targets.add(unit);
    if (unit instanceof Call) unit.setSource({ kind: 'player', text: this.kindOf + ':' + this.text, player: this });
  }
  stopMediaTo(unit) {
    this.env.apiCall();
    this.targets.delete(unit);
    if (unit instanceof Call && unit.source && unit.source.player === this) unit.setSource(null);
  }
  stop() {
    this.env.apiCall();
    if (this.stopped) return;
    this.stopped = true;
    for (const unit of this.targets) if (unit instanceof Call && unit.source && unit.source.player === this) unit.setSource(null);
    this.env.platform(0, () => this.dispatch(PlayerEvents.Stopped, { player: this }));
  }
  pause() {}
  resume() {}
}

function hmacVariants(key, data, input) {
  // How Crypto.hmac_sha256 turns JS strings into bytes is not documented [T:4851-4859]
  // [S]: by default the stand-in takes the low byte of each UTF-16 unit, so a signature
  // over non-ASCII text does not match a UTF-8 verifier.
  const enc = (s) => (input === 'utf8' ? Buffer.from(s, 'utf8') : Buffer.from(Array.from(s, (c) => c.charCodeAt(0) & 0xff)));
  return crypto.createHmac('sha256', enc(key)).update(enc(data)).digest();
}

/** The output encoding of Crypto.hmac_sha256 (undocumented): 'hex', 'HEX', 'base64', 'base64url', 'broken'. */
function encodeMac(mac, output) {
  switch (output) {
    case 'hex':
      return mac.toString('hex');
    case 'HEX':
      return mac.toString('hex').toUpperCase();
    case 'base64':
      return mac.toString('base64');
    case 'base64url':
      return mac.toString('base64url');
    case 'broken':
      return 'x' + mac.toString('hex').slice(1);
    default:
      throw new Error('unknown hmac output ' + output);
  }
}

/**
 * Loads the scenario into a fresh VoxEngine stand-in.
 * options: secrets, customData, script (path) or source (code), crypto {input: 'bytes'|'utf8', output},
 *   network(url, options) → 'pass' | 'hang' | 'refuse' | {delayMs} | {respond: {code, text}},
 *   sayError(text, parameters) → error text or null, sayThrows(text) → bool, recordError (string),
 *   createAsrError() → error text or null, apiError(name) → error text or null,
 *   recordBase (where recordings are served; default Voximplant's storage),
 *   asrStoppedDelayMs (default 1000), disconnectDelayMs (default 300), timerLateMs (default 30),
 *   dropDisconnected,
 *   callList (the session runs a call-list task: CallList reports are taken; without it
 *   they are refused, as for a session no call list started [S]).
 */
function load(opts) {
  const o = Object.assign({ asrStoppedDelayMs: 1000, disconnectDelayMs: 300, timerLateMs: 30, crypto: {} }, opts || {});
  // SVA_STANDIN_HMAC_INPUT=utf8 is a diagnostic knob: it hashes text as UTF-8 by default,
  // so an older script's other faults show without the signature fault in front of them.
  const cryptoOpts = Object.assign({ input: process.env.SVA_STANDIN_HMAC_INPUT || 'bytes', output: 'hex' }, o.crypto);
  const env = {
    options: o,
    // The fake clock starts 200 s in the past so that a few minutes of fake time stay
    // inside the function's 300-second signature window.
    now: Date.now() - 200000,
    items: [], // {at, seq, fn, kind: 'timer'|'platform', id}
    seq: 0,
    timerIds: 1,
    phase: 'running', // 'running' → 'terminating' → 'terminated'
    terminateCalled: false,
    inTerminating: false,
    terminatingRequests: 0,
    errors: [],
    log: [],
    calls: [],
    dialled: [],
    hungUp: [],
    asrs: [],
    players: [],
    tts: [],
    bridged: [],
    speech: [], // {from, to, text}: when the caller spoke
    requests: [], // every HTTP request: {url, options, body, code, text, at, doneAt}
    http: { active: [], queued: [] },
    io: 0, // real fetches in progress
    final: null, // the request made in AppEvents.Terminating
    afterTerminate: [], // API calls made after terminate()
    customer: null,
    // CallList [T:3713-3830]: every report taken, every one refused, and whether the
    // session ended without one ("silent": the platform counts such a task successful).
    callList: { reports: [], refused: [], silent: null },
  };
  const app = new Emitter(env, 'VoxEngine', AppEvents);

  // ---- the clock ----------------------------------------------------------------------
  env.schedule = (delay, fn, kind) => {
    const item = { at: env.now + Math.max(0, delay || 0), seq: env.seq++, fn, kind, id: env.timerIds++ };
    env.items.push(item);
    return item;
  };
  env.cancel = (item) => {
    env.items = env.items.filter((i) => i !== item);
  };
  /** A platform event: delivered from the event loop, never after terminate() [T:10498-10504]. */
  env.platform = (delay, fn) => {
    if (env.terminateCalled) return null;
    return env.schedule(delay, fn, 'platform');
  };
  env.apiCall = (name) => {
    if (env.terminateCalled) env.afterTerminate.push(new Error().stack.split('\n')[2]);
    // A test may make a platform call fail with an exception (undocumented, so possible [S]).
    const failure = name && o.apiError && o.apiError(name);
    if (failure) throw new Error(name + ': ' + failure);
  };
  function nextDue(limit) {
    let best = null;
    for (const i of env.items) if (i.at <= limit && (!best || i.at < best.at || (i.at === best.at && i.seq < best.seq))) best = i;
    return best;
  }
  function run(item) {
    env.cancel(item);
    item.fn();
  }
  const tick = () => new Promise((r) => setImmediate(r));
  async function drainIo() {
    const deadline = Date.now() + 15000;
    while (env.io > 0) {
      if (Date.now() > deadline) throw new Error('stand-in: a real HTTP request took more than 15 s');
      await new Promise((r) => setTimeout(r, 1));
    }
    await tick();
    await tick();
  }
  /** Runs everything due now, waiting for real HTTP to finish in between. */
  env.settle = async () => {
    for (;;) {
      await drainIo();
      const due = nextDue(env.now);
      if (!due) {
        if (env.io === 0) return;
        continue;
      }
      run(due);
    }
  };
  /** Moves fake time forward by `ms`, running timers and events on the way. */
  env.advance = async (ms) => {
    const target = env.now + ms;
    for (;;) {
      await env.settle();
      const due = nextDue(target);
      if (!due) break;
      env.now = due.at;
      run(due);
    }
    env.now = target;
    await env.settle();
  };
  /** Moves fake time forward until `predicate()` holds; fails after `limitMs` of fake time. */
  env.runUntil = async (predicate, what, limitMs) => {
    const deadline = env.now + (limitMs === undefined ? 120000 : limitMs);
    for (;;) {
      await env.settle();
      if (predicate()) return env.now;
      const due = nextDue(deadline);
      if (!due) {
        env.now = deadline;
        await env.settle();
        if (predicate()) return env.now;
        throw new Error(`stand-in: ${what || predicate.toString()} did not happen within ${limitMs === undefined ? 120000 : limitMs} ms of fake time`);
      }
      env.now = due.at;
      run(due);
    }
  };

  // ---- timers [T:21125-21130], [T:20830-20835]: numeric ids ----------------------------
  function setTimeoutFake(fn, ms) {
    if (typeof fn !== 'function') throw new Error('setTimeout: callback must be a function');
    // [D] timers are not available after Terminating; after terminate() nothing but
    // Terminating/Terminated runs, so a timer set then never fires.
    if (env.terminateCalled) return env.timerIds++;
    if (env.items.filter((i) => i.kind === 'timer').length >= MAX_TIMERS) throw new Error('Too many timers (100)');
    // [T:21125-21130]: "the actual delay may be longer" — timers fire timerLateMs late.
    const item = env.schedule((Number(ms) || 0) + o.timerLateMs, () => {
      try {
        fn();
      } catch (e) {
        env.errors.push({ event: 'timer', error: e });
        env.log.push('[stand-in] uncaught exception in a timer: ' + (e && e.stack));
        env.platformTerminate('uncaught exception');
      }
    }, 'timer');
    return item.id;
  }
  function clearTimeoutFake(id) {
    env.items = env.items.filter((i) => !(i.kind === 'timer' && i.id === id));
  }
  env.timers = () => env.items.filter((i) => i.kind === 'timer');

  // ---- the session's end ------------------------------------------------------------
  // [T:10498-10504]: after terminate() only Terminating and Terminated are triggered.
  // [T:1177-1185]: in the Terminating handler one HTTP request may be made; Terminated
  // follows when it is finished. Pending requests of before never call back [S].
  function terminate(why) {
    if (env.terminateCalled) return;
    env.terminateCalled = true;
    env.terminatedWhy = why;
    env.items = [];
    for (const c of env.calls) {
      if (c._state !== 'TERMINATED') {
        c._state = 'TERMINATED';
        c.endedAt = env.now;
        c.setSource(null);
      }
    }
    env.schedule(0, () => {
      env.phase = 'terminating';
      env.inTerminating = true;
      app.dispatch(AppEvents.Terminating, {});
      env.inTerminating = false;
      const done = () => {
        if (o.callList) env.callList.silent = env.callList.reports.length === 0;
        env.phase = 'terminated';
        app.dispatch(AppEvents.Terminated, {});
      };
      if (env.final) env.final.promise.then(done, done);
      else done();
    }, 'platform');
  }
  env.platformTerminate = terminate;
  env.terminated = () => env.terminateCalled;
  env.callEnded = () => {
    // [D]: a session with no calls left ends by itself 60 s later.
    if (env.calls.every((c) => c._state === 'TERMINATED')) env.platform(SESSION_IDLE_MS, () => terminate('no calls'));
  };

  // ---- Net [T:6716-6721], [T:20872-20940] ------------------------------------------
  function httpRequestAsync(url, options) {
    options = options || {};
    if (env.phase === 'terminated') throw new Error('Net.httpRequestAsync: the session is terminated');
    if (env.phase === 'terminating') {
      if (!env.inTerminating) throw new Error('Net.httpRequestAsync: only inside the Terminating handler');
      if (env.terminatingRequests >= 1) throw new Error('Net.httpRequestAsync: only one request is allowed in Terminating');
      env.terminatingRequests += 1;
    } else if (env.terminateCalled) {
      throw new Error('Net.httpRequestAsync: terminate() was called');
    }
    if (env.http.active.length + env.http.queued.length >= HTTP_TOTAL) throw new Error('Exceeded the HTTP connection count limit!');
    if (options.postData !== undefined && typeof options.postData !== 'string' && !Array.isArray(options.postData)) throw new Error('postData must be a string or bytes');
    for (const [k, v] of Object.entries(options.headers || {})) if (typeof v !== 'string') throw new Error(`header ${k} must be a string`);
    for (const k of ['timeout', 'connectionTimeout']) {
      if (options[k] !== undefined && !(typeof options[k] === 'number' && options[k] > 0)) throw new Error(`${k} must be a positive number of seconds`);
    }
    let body = null;
    try {
      body = typeof options.postData === 'string' ? JSON.parse(options.postData) : null;
    } catch (e) {
      body = null;
    }
    const record = { url, options, body, at: env.now, code: undefined, text: undefined };
    record.promise = new Promise((resolve, reject) => {
      record.resolve = resolve;
      record.reject = reject;
    });
    env.requests.push(record);
    if (env.phase === 'terminating') env.final = record;
    if (env.http.active.length < HTTP_ACTIVE) start(record);
    else env.http.queued.push(record);
    return record.promise;
  }
  function start(record) {
    env.http.active.push(record);
    // The timeout counts in whole seconds; a fraction does not shorten it [S].
    const timeoutS = Math.min(90, Math.ceil(record.options.timeout || 90));
    const terminatingOne = env.phase === 'terminating';
    if (!terminatingOne) record.timeoutItem = env.schedule(timeoutS * 1000, () => finish(record, { code: -7, error: 'Timeout', headers: [] }), 'platform');
    const rule = (o.network && o.network(record.url, record.options, record)) || 'pass';
    if (rule === 'hang') return;
    if (rule === 'refuse') {
      // Not documented whether a network failure rejects or resolves with a negative
      // code [T:20914-20940]; the stand-in rejects, so both must be handled [S].
      env.schedule(20, () => finish(record, null, new Error('Connection error')), 'platform');
      return;
    }
    if (rule.respond) {
      env.schedule(rule.delayMs || 0, () => finish(record, Object.assign({ headers: [] }, rule.respond)), 'platform');
      return;
    }
    const delayMs = rule.delayMs || 0;
    const startedAt = env.now;
    const controller = new AbortController();
    record.abort = () => controller.abort();
    env.io += 1;
    fetch(record.url, { method: record.options.method || 'GET', headers: record.options.headers, body: record.options.postData, signal: controller.signal })
      .then(async (response) => ({ code: response.status, text: await response.text(), headers: [] }))
      .catch((e) => ({ code: e.name === 'AbortError' ? -7 : -4, text: '', error: String(e), headers: [] }))
      .then((result) => {
        env.io -= 1;
        if (record.done) return;
        if (delayMs > 0 && !terminatingOne) env.schedule(startedAt + delayMs - env.now, () => finish(record, result), 'platform');
        else finish(record, result);
      });
  }
  function finish(record, result, error) {
    if (record.done) return;
    record.done = true;
    record.doneAt = env.now;
    if (record.timeoutItem) env.cancel(record.timeoutItem);
    if (record.abort && result && result.code === -7) record.abort();
    env.http.active = env.http.active.filter((r) => r !== record);
    if (env.http.queued.length && !env.terminateCalled) start(env.http.queued.shift());
    record.code = result ? result.code : 'rejected';
    record.text = result ? result.text : String(error);
    // After terminate() only the request of the Terminating handler completes [S].
    if (env.terminateCalled && record !== env.final) return;
    if (error) record.reject(error);
    else record.resolve(result);
  }

  // ---- CallList [T:3713-3830] ---------------------------------------------------------
  // reportResult ends the task, reportError makes it retry, requestNextAttempt reschedules
  // it (and reports an error itself); a task whose session reports nothing counts as
  // successful. The documents give no meaning to a second report: the stand-in refuses it
  // [S]. Each report is a request to the platform (its callback gets an
  // HttpRequestResult), so it follows the rules of Net requests: none after terminate(),
  // and in Terminating it is the one request allowed. That last part is a reading, not a
  // stricter rule: the typings allow "one HTTP request" there [T:1178-1182] and do not
  // say whether a CallList report counts as one; if it does not, the platform makes no
  // report and counts the task a success (docs/voximplant.md, "Needs a live account").
  function callListReport(kind, data, callback) {
    const refuse = (why) => {
      env.callList.refused.push({ kind, data, why, at: env.now });
      throw new Error(`CallList.${kind}: ${why}`);
    };
    env.apiCall('CallList.' + kind);
    if (!o.callList) refuse('this session was not started by a call list');
    if (env.phase === 'terminated') refuse('the session is terminated');
    if (env.phase === 'terminating') {
      if (!env.inTerminating) refuse('only inside the Terminating handler');
      if (env.terminatingRequests >= 1) refuse('only one request is allowed in Terminating');
    } else if (env.terminateCalled) {
      refuse('terminate() was called');
    }
    if (callback !== undefined && typeof callback !== 'function') refuse('the callback must be a function');
    if (kind === 'requestNextAttempt') {
      if (!data || typeof data !== 'object' || Array.isArray(data)) refuse('data must be an object');
      for (const k of Object.keys(data)) if (!NEXT_ATTEMPT_FIELDS.has(k)) refuse('unknown field ' + k);
      if (data.start_at !== undefined) {
        // [E]: "UNIX timestamp in seconds"; not in the past, at most 9 months ahead [E].
        if (!Number.isInteger(data.start_at)) refuse('start_at must be a Unix time in whole seconds');
        if (data.start_at * 1000 < env.now - 1000 || data.start_at * 1000 > env.now + NEXT_ATTEMPT_MAX_MS) refuse('start_at is in the past or more than 9 months ahead');
      }
      for (const k of ['start_execution_time', 'end_execution_time']) {
        if (data[k] !== undefined && !/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/.test(data[k])) refuse(k + ' must be HH:MM:SS');
      }
      // A call list takes 1..5 attempts per task (CreateCallList's num_attempts, the HTTP API
      // reference https://voximplant.com/docs/references/httpapi/calllists); the
      // documents do not say a task may be given more: refused [S].
      if (data.attempts_left !== undefined && !(Number.isInteger(data.attempts_left) && data.attempts_left >= 0 && data.attempts_left <= 5)) refuse('attempts_left must be a whole number 0..5');
      if (data.custom_data !== undefined && typeof data.custom_data !== 'string') refuse('custom_data must be a string');
    } else if (!(typeof data === 'string' || (data && typeof data === 'object' && !Array.isArray(data)))) {
      refuse('the ' + (kind === 'reportResult' ? 'result' : 'error') + ' must be a string or an object');
    }
    if (env.callList.reports.length) refuse('the task was already reported (' + env.callList.reports[0].kind + ')');
    if (env.phase === 'terminating') env.terminatingRequests += 1;
    const report = { kind, data: JSON.parse(JSON.stringify(data)), at: env.now, phase: env.phase };
    env.callList.reports.push(report);
    const record = { url: 'calllist:' + kind, options: {}, body: report.data, at: env.now, code: undefined, text: undefined };
    record.promise = new Promise((resolve) => {
      record.resolve = resolve;
    });
    if (env.phase === 'terminating') env.final = record;
    const answer = () => {
      record.code = 200;
      record.text = '{"result":true}';
      record.done = true;
      record.resolve({ code: 200, text: record.text, headers: [] });
      if (callback && !(env.terminateCalled && record !== env.final)) callback({ code: 200, text: record.text, headers: [] });
    };
    // The platform answers from its event loop; in Terminating it still answers [S].
    if (env.phase === 'terminating') Promise.resolve().then(answer);
    else env.schedule(50, answer, 'platform');
  }
  const callList = {
    reportResult: (result, callback) => callListReport('reportResult', result, callback),
    reportError: (error, callback) => callListReport('reportError', error, callback),
    requestNextAttempt: (data, callback) => callListReport('requestNextAttempt', data, callback),
  };

  // ---- VoxEngine ----------------------------------------------------------------------
  let asrModule = false;
  const context = {};
  const VoxEngine = {
    addEventListener: (e, fn) => app.addEventListener(e, fn),
    removeEventListener: (e, fn) => app.removeEventListener(e, fn),
    // Documented on the doc site, not in the v28 typings (facts §6).
    getSecretValue: (name) => (o.secrets || {})[name],
    customData: () => o.customData || '',
    // [T:10198-10208]: needs require(Modules.ASR); profile is required.
    createASR: (parameters) => {
      env.apiCall();
      if (!asrModule) throw new Error('createASR: require(Modules.ASR) first');
      if (!parameters || !parameters.profile) throw new Error('createASR: profile is required');
      if (o.createAsrError) {
        const e = o.createAsrError();
        if (e) throw new Error(e);
      }
      const asr = new ASR(env, parameters);
      env.asrs.push(asr);
      env.platform(50, () => !asr.dead && !asr.stopped && asr.dispatch(ASREvents.Started, { asr }));
      return asr;
    },
    // [T:10138-10149]: E.164 number, a caller id; Failed can come in 60 s.
    callPSTN: (number, callerid, parameters) => {
      env.apiCall('callPSTN');
      if (!/^\+?[1-9]\d{9,14}$/.test(String(number))) throw new Error('callPSTN: number must be E.164');
      if (!callerid) throw new Error('callPSTN: a caller id is required');
      // [T:3255-3264] CallPSTNParameters: amd, followDiversion; nothing else [S].
      if (parameters !== undefined) {
        if (!parameters || typeof parameters !== 'object') throw new Error('callPSTN: parameters must be an object');
        for (const k of Object.keys(parameters)) if (k !== 'amd' && k !== 'followDiversion') throw new Error('callPSTN: unknown parameter ' + k);
        if (parameters.amd !== undefined) {
          if (!(parameters.amd instanceof AnsweringMachineDetector)) throw new Error('callPSTN: amd must be an AMD.AnsweringMachineDetector');
          if (parameters.amd.call) throw new Error('callPSTN: this detector is already on a call');
        }
      }
      const call = new Call(env, { number, callerid, incoming: false });
      call.parameters = parameters;
      if (parameters && parameters.amd) parameters.amd.call = call;
      env.calls.push(call);
      env.dialled.push(call);
      if (!env.customer) env.customer = call;
      env.platform(PSTN_NO_ANSWER_MS, () => call._state === 'PROGRESSING' && call.fail(408, 'Request Timeout'));
      return call;
    },
    // [T:10470-10476]
    sendMediaBetween: (a, b) => {
      env.apiCall('sendMediaBetween');
      a.requireConnected('sendMediaBetween');
      b.requireConnected('sendMediaBetween');
      a.mediaTo.add(b);
      b.mediaTo.add(a);
      a.setSource({ kind: 'call', other: b });
      b.setSource({ kind: 'call', other: a });
      env.bridged.push([a, b]);
    },
    stopMediaBetween: (a, b) => {
      env.apiCall();
      a.mediaTo.delete(b);
      b.mediaTo.delete(a);
    },
    // [T:10264]: a ToneScript player; [D] at most 10 players in a session.
    createToneScriptPlayer: (script, parameters) => {
      env.apiCall('createToneScriptPlayer');
      if (typeof script !== 'string' || !script) throw new Error('createToneScriptPlayer: a ToneScript is required');
      if (env.players.filter((p) => !p.stopped).length >= MAX_PLAYERS) throw new Error('Too many players (10)');
      const player = new Player(env, 'tone', script, parameters);
      env.players.push(player);
      return player;
    },
    terminate: () => terminate('terminate()'),
  };
  Object.assign(context, {
    VoxEngine,
    Net: { httpRequestAsync },
    AppEvents,
    CallEvents,
    PlayerEvents,
    Modules: { ASR: 'asr', AI: 'ai' },
    CallList: callList,
    // [T:1500]: ASREvents and ASRProfileList come with the ASR module.
    require: (m) => {
      if (m === undefined) throw new Error('require: unknown module');
      if (m === 'asr') {
        asrModule = true;
        context.ASREvents = ASREvents;
        context.ASRProfileList = { Yandex: { ru_RU: 'yandex-ru_RU' } };
      }
      // Which module brings AMD is not in the typings; Voximplant's call-list example
      // loads Modules.AI for it. The stand-in has AMD only after require(Modules.AI) [S].
      if (m === 'ai') {
        context.AMD = {
          create: (parameters) => {
            env.apiCall('AMD.create');
            return new AnsweringMachineDetector(env, parameters);
          },
          Model: AMDModel,
          Events: AMDEvents,
          ResultClass: AMDResultClass,
          ResultSubtype: AMDResultSubtype,
        };
      }
    },
    VoiceList: { Yandex: { Neural: { ru_RU_alena: 'Yandex.Neural.ru_RU_alena', ru_RU_filipp: 'Yandex.Neural.ru_RU_filipp' } } },
    Crypto: {
      hmac_sha256: (key, data) => {
        if (typeof key !== 'string' || typeof data !== 'string') throw new Error('hmac_sha256: strings only');
        return encodeMac(hmacVariants(key, data, cryptoOpts.input), cryptoOpts.output);
      },
    },
    // [T:20860-20866]: at most 15000 characters a message.
    Logger: {
      write: (m) => {
        if (typeof m !== 'string') throw new Error('Logger.write: a string is required');
        if (m.length > 15000) throw new Error('Logger.write: message longer than 15000 characters');
        env.log.push(m);
      },
    },
    setTimeout: setTimeoutFake,
    clearTimeout: clearTimeoutFake,
  });
  vm.createContext(context);
  // The session's clock: Date.now() and new Date() follow the fake clock.
  context.__now = () => env.now;
  vm.runInContext(
    `(function (RealDate) {
      function FakeDate() {
        if (!(this instanceof FakeDate)) return new RealDate(__now()).toString();
        return arguments.length === 0 ? new RealDate(__now()) : new (Function.prototype.bind.apply(RealDate, [null].concat(Array.prototype.slice.call(arguments))))();
      }
      FakeDate.now = function () { return __now(); };
      FakeDate.UTC = RealDate.UTC;
      FakeDate.parse = RealDate.parse;
      FakeDate.prototype = RealDate.prototype;
      Date = FakeDate;
    })(Date);`,
    context
  );
  // SVA_VOXENGINE_SCRIPT runs the tests against another copy of the script (an older one).
  const file = o.script || process.env.SVA_VOXENGINE_SCRIPT || path.join(__dirname, '..', 'sales-assistant.voxengine.js');
  vm.runInContext(o.source !== undefined ? o.source : fs.readFileSync(file, 'utf8'), context, { filename: o.source !== undefined ? 'inline.voxengine.js' : file });
  env.context = context;

  // ---- driving a call (test side) ---------------------------------------------------
  /** AppEvents.Started [T:1277-1306]: the first event of every session. */
  env.start = (sessionId) =>
    env.schedule(0, () => app.dispatch(AppEvents.Started, { accessURL: 'http://media', accessSecureURL: 'https://media', accountId: 1, applicationId: 2, logURL: 'https://log', sessionId: sessionId || Math.floor(Math.random() * 1e12), conference_name: '' }), 'platform');
  /** AppEvents.CallAlerting [T:1328-1369]. */
  env.inbound = (callerid, destination) => {
    const call = new Call(env, { number: destination, callerid, incoming: true });
    env.calls.push(call);
    env.customer = call;
    env.schedule(0, () => app.dispatch(AppEvents.CallAlerting, { call, name: AppEvents.CallAlerting, callerid, destination, toURI: '', fromURI: '', displayName: '', headers: {}, customData: '', scheme: '' }), 'platform');
    return call;
  };
  /** The ASRs that hear the customer now. */
  env.hearing = (call) => env.asrs.filter((a) => a.listening(call || env.customer));
  env.asr = () => env.asrs[env.asrs.length - 1];
  /**
   * The caller speaks for `speechMs` (CaptureStarted now), then the recogniser answers:
   * a Result with `text` (may be ''), or `error` (ASR.Error), or nothing (`result: false`).
   * Only recognisers the call's audio reaches hear it.
   */
  env.callerSays = async (text, opts) => {
    const x = Object.assign({ confidence: 93, speechMs: 1500, result: true, call: env.customer }, opts || {});
    const call = x.call;
    const from = env.now;
    env.speech.push({ from, to: from + x.speechMs, text });
    const asrs = env.hearing(call);
    for (const asr of asrs) asr.dispatch(ASREvents.CaptureStarted, { asr });
    await env.advance(x.speechMs);
    for (const asr of asrs) {
      if (asr.stopped || asr.dead) continue;
      if (x.error) {
        asr.dead = true;
        asr.dispatch(ASREvents.ASRError, { asr, error: x.error });
      } else if (x.result) {
        asr.dispatch(ASREvents.Result, { asr, text, confidence: x.confidence });
      }
    }
    await env.settle();
  };
  /** The recogniser fails on its own (no speech). */
  env.asrFails = async (error) => {
    for (const asr of env.hearing()) {
      asr.dead = true;
      asr.dispatch(ASREvents.ASRError, { asr, error: error || 'Recognition failed' });
    }
    await env.settle();
  };
  /** Keys pressed on the customer's phone: ToneReceived per key [T:3110-3119]. */
  env.press = async (digits, gapMs) => {
    const call = env.customer;
    for (const tone of String(digits)) {
      if (call.tonesHandled && call._state === 'CONNECTED') call.dispatch(CallEvents.ToneReceived, call.payload(CallEvents.ToneReceived, { tone, type: '1' }));
      await env.advance(gapMs || 0);
    }
  };
  /** Plays out what the customer hears now (phrases chain through the scenario). */
  /** Runs until the customer hears no phrase, no request is pending and no event is imminent. */
  env.playOut = async (limitMs) => {
    const soon = () => env.items.some((i) => i.kind === 'platform' && i.at <= env.now + 200);
    const saying = () => env.customer.source && env.customer.source.kind === 'say';
    const pending = () => env.http.active.length + env.http.queued.length > 0 && env.phase === 'running';
    await env.runUntil(() => !saying() && !soon() && !pending(), 'the phrases to end', limitMs);
  };
  env.turns = () => env.requests.filter((r) => r.url.endsWith('/v1/turn'));
  env.lastTurn = () => env.turns()[env.turns().length - 1];
  /** The request made in AppEvents.Terminating, after it finished: {code, text, body}. */
  env.endReport = async () => {
    await env.runUntil(() => env.phase === 'terminated', 'the session to end', 180000);
    if (!env.final) return null;
    await env.final.promise.catch(() => null);
    return env.final;
  };
  /**
   * Stretches of fake time in which the customer heard nothing and was not speaking,
   * from Connected to the end of the call (or now).
   */
  env.silences = (call) => {
    call = call || env.customer;
    if (call.connectedAt === null) return [];
    const end = call.endedAt === null ? env.now : call.endedAt;
    const busy = call.heard.map((s) => [s.from, s.to === null ? end : s.to]).concat(env.speech.map((s) => [s.from, s.to]));
    busy.sort((a, b) => a[0] - b[0]);
    const gaps = [];
    let t = call.connectedAt;
    for (const [from, to] of busy) {
      if (from > t) gaps.push({ from: t, to: Math.min(from, end), ms: Math.min(from, end) - t });
      t = Math.max(t, to);
      if (t >= end) break;
    }
    if (t < end) gaps.push({ from: t, to: end, ms: end - t });
    return gaps.filter((g) => g.ms > 0);
  };
  env.longestSilence = (call) => env.silences(call).reduce((m, g) => Math.max(m, g.ms), 0);
  return env;
}

module.exports = { load, AppEvents, CallEvents, ASREvents, PlayerEvents, AMDEvents, AMDResultClass, phraseMs };
