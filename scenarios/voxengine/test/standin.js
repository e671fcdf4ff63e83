'use strict';
// A stand-in for the VoxEngine globals the scenario uses, with the names and event
// payloads of Voximplant's type declarations (voxengine.d.ts): AppEvents, CallEvents,
// ASREvents, ASRProfileList, VoiceList, Net.httpRequestAsync, Crypto.hmac_sha256,
// VoxEngine.{addEventListener, createASR, callPSTN, sendMediaBetween, terminate,
// customData, getSecretValue}. HTTP requests are real: the script talks to the real
// dialog function. Timers are manual so tests can fire a listen timeout at will.

const vm = require('node:vm');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const AppEvents = {
  Started: 'Application.Started',
  CallAlerting: 'Application.CallAlerting',
  Terminating: 'Application.Terminating',
  Terminated: 'Application.Terminated',
};
const CallEvents = {
  Connected: 'Call.Connected',
  Disconnected: 'Call.Disconnected',
  Failed: 'Call.Failed',
  PlaybackFinished: 'Call.PlaybackFinished',
  ToneReceived: 'Call.ToneReceived',
  RecordStarted: 'Call.RecordStarted',
};
const ASREvents = {
  Started: 'ASR.Started',
  CaptureStarted: 'ASR.CaptureStarted',
  SpeechCaptured: 'ASR.SpeechCaptured',
  Result: 'ASR.Result',
  Stopped: 'ASR.Stopped',
};

class Emitter {
  constructor() {
    this.listeners = {};
  }
  addEventListener(event, fn) {
    if (!event) throw new Error('addEventListener: unknown event (undefined)');
    (this.listeners[event] = this.listeners[event] || []).push(fn);
  }
  removeEventListener(event, fn) {
    this.listeners[event] = (this.listeners[event] || []).filter((f) => f !== fn);
  }
  emit(event, payload) {
    return (this.listeners[event] || []).map((fn) => fn(Object.assign({ name: event, target: this }, payload)));
  }
}

class Call extends Emitter {
  constructor(env, number, callerid) {
    super();
    this.env = env;
    this.number = number;
    this.callerid = callerid;
    this.said = []; // {text, parameters}
    this.playing = null;
    this.stopped = [];
    this.state = 'new';
  }
  answer() {
    this.state = 'answered';
    setImmediate(() => this.emit(CallEvents.Connected, {}));
  }
  say(text, parameters) {
    if (typeof text !== 'string' || text.length > 1500) throw new Error('say: bad text');
    this.said.push({ text, parameters });
    this.playing = text;
  }
  stopPlayback() {
    this.stopped.push(this.playing);
    this.playing = null;
  }
  /** Test helper: the current phrase finished playing. */
  finishPlayback() {
    if (this.playing === null) throw new Error('nothing is playing');
    this.playing = null;
    this.emit(CallEvents.PlaybackFinished, {});
  }
  /** Test helper: play every queued phrase to the end. */
  finishAllPlayback() {
    while (this.playing !== null) this.finishPlayback();
  }
  handleTones(enabled) {
    this.tones = enabled;
  }
  sendMediaTo(target) {
    this.mediaTo = target;
  }
  stopMediaTo() {
    this.mediaTo = null;
  }
  hangup() {
    if (this.state === 'disconnected') return;
    this.state = 'disconnected';
    this.env.hungUp.push(this);
    setImmediate(() => this.emit(CallEvents.Disconnected, { duration: 42, cost: 1.5, internalCode: 200, reason: 'Normal' }));
  }
  /** Test helper: the far end picks up (outbound). */
  pickUp() {
    this.state = 'answered';
    this.emit(CallEvents.Connected, {});
  }
  /** Test helper: the far end hangs up. */
  remoteHangup() {
    this.state = 'disconnected';
    this.emit(CallEvents.Disconnected, { duration: 42, cost: 1.5, internalCode: 200, reason: 'Normal' });
  }
}

class ASR extends Emitter {
  constructor(parameters) {
    super();
    this.parameters = parameters;
    this.stopped = false;
  }
  stop() {
    this.stopped = true;
    this.emit(ASREvents.Stopped, { cost: 0.3, duration: 12 });
  }
  /** Test helper: the caller starts speaking, then is recognised. */
  hear(text, confidence) {
    this.emit(ASREvents.CaptureStarted, {});
    this.emit(ASREvents.Result, { text, confidence: confidence === undefined ? 93 : confidence });
  }
}

/** Loads the scenario into a fresh VoxEngine stand-in. */
function load({ secrets, customData, script }) {
  const env = new Emitter();
  Object.assign(env, { requests: [], inFlight: 0, timers: [], dialled: [], bridged: [], hungUp: [], asrs: [], logs: [], terminated: false, reports: [] });
  const VoxEngine = {
    addEventListener: (e, fn) => env.addEventListener(e, fn),
    getSecretValue: (name) => (secrets || {})[name],
    customData: () => customData || '',
    createASR: (parameters) => {
      if (!parameters || !parameters.profile) throw new Error('createASR: profile is required');
      const asr = new ASR(parameters);
      env.asrs.push(asr);
      return asr;
    },
    callPSTN: (number, callerid) => {
      if (!/^\+?\d{10,15}$/.test(number)) throw new Error('callPSTN: number must be E.164');
      const call = new Call(env, number, callerid);
      env.dialled.push(call);
      return call;
    },
    sendMediaBetween: (a, b) => env.bridged.push([a, b]),
    terminate: () => {
      if (env.terminated) return;
      env.terminated = true;
      setImmediate(() => {
        env.reports = env.emit(AppEvents.Terminating, {}).filter(Boolean);
      });
    },
  };
  const Net = {
    httpRequestAsync: async (url, options) => {
      const record = { url, options, body: options.postData ? JSON.parse(options.postData) : null };
      env.requests.push(record);
      env.inFlight += 1;
      try {
        const response = await fetch(url, {
          method: options.method || 'GET',
          headers: options.headers,
          body: options.postData,
          signal: AbortSignal.timeout((options.timeout || 90) * 1000),
        });
        record.code = response.status;
        record.text = await response.text();
        return { code: response.status, text: record.text, headers: [] };
      } catch (e) {
        record.code = e.name === 'TimeoutError' ? -7 : -4;
        return { code: record.code, text: '', error: String(e), headers: [] };
      } finally {
        env.inFlight -= 1;
      }
    },
  };
  const context = {
    VoxEngine,
    Net,
    AppEvents,
    CallEvents,
    ASREvents,
    Modules: { ASR: 'ASR' },
    require: () => {},
    ASRProfileList: { Yandex: { ru_RU: 'yandex-ru_RU' } },
    VoiceList: { Yandex: { Neural: { ru_RU_alena: 'Yandex.Neural.ru_RU_alena', ru_RU_filipp: 'Yandex.Neural.ru_RU_filipp' } } },
    Crypto: { hmac_sha256: (key, data) => crypto.createHmac('sha256', key).update(data, 'utf8').digest('hex') },
    Logger: { write: (m) => env.logs.push(m) },
    setTimeout: (fn, ms) => {
      const timer = { fn, ms };
      env.timers.push(timer);
      return timer;
    },
    clearTimeout: (timer) => {
      env.timers = env.timers.filter((t) => t !== timer);
    },
    Date,
    JSON,
    Math,
    Promise,
    encodeURIComponent,
  };
  vm.createContext(context);
  const file = script || path.join(__dirname, '..', 'sales-assistant.voxengine.js');
  vm.runInContext(fs.readFileSync(file, 'utf8'), context, { filename: file });
  env.context = context;

  env.start = (sessionId) => env.emit(AppEvents.Started, { sessionId: sessionId || Math.floor(Math.random() * 1e12), accessURL: 'http://media', accountId: 1, applicationId: 2 });
  env.inbound = (callerid, destination) => {
    const call = new Call(env, destination, callerid);
    env.emit(AppEvents.CallAlerting, { call, callerid, destination, displayName: '', headers: {}, customData: '' });
    return call;
  };
  /** Fires the pending timers (a listen timeout). */
  env.fireTimers = () => {
    const due = env.timers;
    env.timers = [];
    due.forEach((t) => t.fn());
    return due.length;
  };
  env.asr = () => env.asrs[env.asrs.length - 1];
  env.turns = () => env.requests.filter((r) => r.url.endsWith('/v1/turn'));
  /** Waits until `predicate()` holds and no request is in flight. */
  env.until = async (predicate, what) => {
    const deadline = Date.now() + 10000;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (env.inFlight === 0 && predicate()) return;
      if (Date.now() > deadline) throw new Error('timed out waiting for ' + (what || predicate.toString()));
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  return env;
}

module.exports = { load, AppEvents, CallEvents, ASREvents };
