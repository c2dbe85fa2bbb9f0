// The `wx` the sample's code calls, doing real I/O in Node: wx.request and wx.uploadFile over HTTP to the app the test
// started, the file system manager on real files, storage in memory (kept across page instances, as on a phone). It
// enforces what WeChat enforces that a local run can: at most 10 requests at once and a 60 s timeout (https-only and the
// domain lists cannot be, on a loopback address). Every request is logged for the tests to count.
const fs = require('fs');
const http = require('http');

const MAX_CONCURRENT = 10;
const MAX_TIMEOUT_MS = 60_000;

const state = {
  log: [], // { method, path, status, bodyBytes, chunk?: index }
  inFlight: 0,
  maxInFlight: 0,
  maxChunksInFlight: 0,
  chunksInFlight: 0,
  violations: [],
  storage: new Map(),
  loginCode: 'dev:mp-user',
  chosen: [],
  navigations: [],
  /** When set, requests for which it returns true never get an answer (a client killed before sending them). */
  hang: null,
};

function promisify(options, run) {
  if (options && (options.success || options.fail || options.complete)) {
    run(result => { options.success?.(result); options.complete?.(result); }, error => { options.fail?.(error); options.complete?.(error); });
    return undefined;
  }
  return new Promise((resolve, reject) => run(resolve, reject));
}

function send(options, body, headers, parse) {
  const url = new URL(options.url);
  const method = (options.method || 'GET').toUpperCase();
  const chunk = /\/chunks\/(\d+)$/.exec(url.pathname);
  const entry = { method, path: url.pathname, status: 0, bodyBytes: body ? body.length : 0, chunk: chunk && method === 'PUT' ? Number(chunk[1]) : undefined };
  if (state.hang && state.hang(entry)) {
    entry.hung = true;
    state.log.push(entry);
    return { abort() {}, onProgressUpdate() {} };
  }

  state.inFlight++;
  state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
  if (state.inFlight > MAX_CONCURRENT) state.violations.push(`${state.inFlight} requests at once (WeChat allows ${MAX_CONCURRENT})`);
  if (entry.chunk !== undefined) {
    state.chunksInFlight++;
    state.maxChunksInFlight = Math.max(state.maxChunksInFlight, state.chunksInFlight);
  }
  const timeout = Math.min(options.timeout || MAX_TIMEOUT_MS, MAX_TIMEOUT_MS);
  const progressHandlers = [];
  let done = false;
  const finish = (fn, value) => {
    if (done) return;
    done = true;
    state.inFlight--;
    if (entry.chunk !== undefined) state.chunksInFlight--;
    fn(value);
  };
  const request = http.request(url, { method, headers: { ...headers, 'content-length': body ? body.length : 0 }, timeout }, response => {
    const parts = [];
    response.on('data', part => parts.push(part));
    response.on('end', () => {
      entry.status = response.statusCode;
      state.log.push(entry);
      const text = Buffer.concat(parts).toString('utf8');
      const header = {};
      for (const [k, v] of Object.entries(response.headers)) header[k.replace(/(^|-)\w/g, s => s.toUpperCase())] = Array.isArray(v) ? v.join(', ') : v;
      finish(v => { options.success?.(v); options.complete?.(v); }, { statusCode: response.statusCode, data: parse(text), header });
    });
  });
  request.on('timeout', () => request.destroy(new Error('timeout')));
  request.on('error', error => {
    state.log.push(entry);
    finish(e => { options.fail?.(e); options.complete?.(e); }, { errMsg: `request:fail ${error.message}` });
  });
  if (body) {
    let sent = 0;
    const step = 64 * 1024;
    for (let i = 0; i < body.length; i += step) {
      const part = body.subarray(i, i + step);
      request.write(part);
      sent += part.length;
      const progress = Math.floor((sent / body.length) * 100);
      for (const handler of progressHandlers) handler({ progress, totalBytesSent: sent, totalBytesExpectedToSend: body.length });
    }
  }
  request.end();
  return { abort() { request.destroy(new Error('abort')); }, onProgressUpdate(handler) { progressHandlers.push(handler); } };
}

/** WeChat's default dataType json: the body parsed when it is JSON, else the text. */
function json(text) {
  try { return text ? JSON.parse(text) : ''; } catch { return text; }
}

const wx = {
  __state: state,

  login(options) {
    return promisify(options, resolve => setTimeout(() => resolve({ code: state.loginCode, errMsg: 'login:ok' })));
  },

  request(options) {
    const method = (options.method || 'GET').toUpperCase();
    const headers = { ...(options.header || {}) };
    let body;
    // Compared by tag, not instanceof: the page's ArrayBuffer may come from another realm (jsdom's or Node's).
    const tag = Object.prototype.toString.call(options.data);
    if (tag === '[object ArrayBuffer]') body = Buffer.from(new Uint8Array(options.data));
    else if (ArrayBuffer.isView(options.data)) body = Buffer.from(options.data.buffer, options.data.byteOffset, options.data.byteLength);
    else if (options.data !== undefined && method !== 'GET') body = Buffer.from(JSON.stringify(options.data));
    return send(options, body, headers, json);
  },

  uploadFile(options) {
    const boundary = `----wxshim${Date.now().toString(16)}`;
    const file = fs.readFileSync(options.filePath);
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${options.name}"; filename="${options.filePath.split('/').pop()}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const body = Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    return send({ ...options, method: 'POST' }, body, { ...(options.header || {}), 'content-type': `multipart/form-data; boundary=${boundary}` }, text => text);
  },

  getFileSystemManager() {
    return {
      readFile(options) {
        try {
          const fd = fs.openSync(options.filePath, 'r');
          try {
            const length = options.length ?? fs.fstatSync(fd).size - (options.position ?? 0);
            const buffer = Buffer.alloc(length);
            const read = fs.readSync(fd, buffer, 0, length, options.position ?? 0);
            const data = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + read);
            setTimeout(() => { options.success?.({ data }); options.complete?.({ data }); });
          } finally {
            fs.closeSync(fd);
          }
        } catch (error) {
          setTimeout(() => options.fail?.({ errMsg: `readFile:fail ${error.message}` }));
        }
      },
    };
  },

  chooseMedia(options) {
    return promisify(options, resolve => setTimeout(() => resolve({ tempFiles: state.chosen, type: 'video' })));
  },

  navigateTo(options) {
    state.navigations.push(options.url);
    return promisify(options, resolve => resolve({ errMsg: 'navigateTo:ok' }));
  },

  getStorageSync(key) {
    return state.storage.has(key) ? JSON.parse(state.storage.get(key)) : '';
  },
  setStorageSync(key, value) {
    state.storage.set(key, JSON.stringify(value));
  },
  removeStorageSync(key) {
    state.storage.delete(key);
  },
};

global.wx = wx;
global.getApp = () => ({ globalData: {} });
global.getCurrentPages = () => [];
module.exports = wx;
