// What the scenarios share: loading the sample's own pages with WeChat's component test tooling, waiting on conditions,
// and the operator's and the player's side of the app (plain HTTP and ffmpeg, not the sample's code).
const { execFile } = require('child_process');
const http = require('http');
const path = require('path');
const simulate = require('miniprogram-simulate');

const DIST = path.resolve(__dirname, '../dist');

const loaded = new Map();

/**
 * A new instance of a page of the sample, rendered (its lifecycles are called by the test, as the tooling leaves them
 * to it). Each page is loaded once: the tooling registers a definition once and renders it as often as asked.
 */
function page(name) {
  if (!loaded.has(name)) loaded.set(name, simulate.load(path.join(DIST, `pages/${name}/${name}`), { compiler: 'simulate', rootPath: DIST }));
  const component = simulate.render(loaded.get(name));
  component.attach(document.createElement('parent-wrapper'));
  return component;
}

/** Waits until `condition()` is truthy (checked every 100 ms); fails naming `what` after `seconds`. */
async function until(condition, what, seconds = 120) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${seconds} s waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/** An HTTP call outside the sample (the operator's, or a check): { status, body }. */
function fetchJson(base, method, url, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const request = http.request(new URL(url, base), {
      method,
      headers: { ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}), ...headers },
    }, response => {
      const parts = [];
      response.on('data', part => parts.push(part));
      response.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let parsed = text;
        try { parsed = text ? JSON.parse(text) : undefined; } catch { /* text */ }
        resolve({ status: response.statusCode, headers: response.headers, body: parsed });
      });
    });
    request.on('error', reject);
    if (data) request.write(data);
    request.end();
  });
}

function operator(base) {
  const headers = { 'x-functions-key': process.env.OPERATOR_KEY };
  return (method, url, body, extra = {}) => fetchJson(base, method, url, { body, headers: { ...headers, ...extra } });
}

/** ffmpeg decodes what a URL serves to the end (exit 0), and says how long it is. */
function decode(url) {
  return new Promise((resolve, reject) => execFile(
    'ffmpeg', ['-v', 'error', '-nostdin', '-i', url, '-f', 'null', '-'],
    { timeout: 120_000 },
    (error, _stdout, stderr) => (error ? reject(new Error(`ffmpeg could not decode ${url}: ${stderr}`)) : resolve())));
}

module.exports = { DIST, page, until, fetchJson, operator, decode };
