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

/** Saves (PUT, with If-Match when it exists) and publishes a template as an operator; the publish's answer. */
async function publishTemplate(op, template) {
  const current = await op('GET', `/api/operator/templates/${template.id}`);
  const saved = current.status === 404
    ? await op('PUT', `/api/operator/templates/${template.id}`, template)
    : await op('PUT', `/api/operator/templates/${template.id}`, template, { 'if-match': current.headers.etag });
  if (![200, 201].includes(saved.status)) throw new Error(`saving ${template.id}: ${saved.status} ${JSON.stringify(saved.body)}`);
  const published = await op('POST', `/api/operator/templates/${template.id}/publish`, undefined, { 'if-match': saved.headers.etag });
  if (published.status !== 200) throw new Error(`publishing ${template.id}: ${published.status} ${JSON.stringify(published.body)}`);
  return published.body;
}

/** A photo of one colour made by ffmpeg (a JPEG, as wx.chooseMedia's 'compressed' gives), at `file`. */
function photo(file, colour, size = '640x480') {
  return new Promise((resolve, reject) => execFile(
    'ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `color=c=${colour}:s=${size}`, '-frames:v', '1', file],
    error => (error ? reject(error) : resolve(file))));
}

/** ffmpeg decodes what a URL serves to the end (exit 0), and says how long it is. */
function decode(url) {
  return new Promise((resolve, reject) => execFile(
    'ffmpeg', ['-v', 'error', '-nostdin', '-i', url, '-f', 'null', '-'],
    { timeout: 120_000 },
    (error, _stdout, stderr) => (error ? reject(new Error(`ffmpeg could not decode ${url}: ${stderr}`)) : resolve())));
}

module.exports = { DIST, page, until, fetchJson, operator, decode, publishTemplate, photo };
