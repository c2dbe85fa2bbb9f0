// The sample's own pages and code, driven in Node against the app the xunit side started (API_BASE, review off):
// sign-in, a chunked upload followed to Ready, a killed upload resumed, playback through the signed URL, the feed and
// its events, the template library synced incrementally, a video made from photos with a template.
const fs = require('fs');
const path = require('path');
const wx = require('./wx-shim');
const { page, until, fetchJson, operator, decode, publishTemplate, photo } = require('./helpers');

const base = process.env.API_BASE;
const clip = process.env.CLIP;
const state = wx.__state;
const ORDER = ['Uploading', 'Processing', 'Processing (playable)', 'Ready'];

let readyVideoId;

beforeEach(() => {
  state.hang = null;
  state.log.length = 0;
  state.maxChunksInFlight = 0;
});

afterAll(() => expect(state.violations).toEqual([]));

test('signs in: wx.login\'s code for a token, kept in storage', async () => {
  state.loginCode = 'dev:mp-alice';
  const { signIn } = require('../dist/lib/api');

  const token = await signIn();

  expect(token.token).toMatch(/\./);
  expect(wx.getStorageSync('auth.token').userId).toBe(token.userId);
  expect(state.log).toEqual([expect.objectContaining({ method: 'POST', path: '/api/auth/login', status: 200 })]);
});

test('uploads a clip in chunks with progress, and follows it through Processing to Ready', async () => {
  const size = fs.statSync(clip).size;
  state.chosen = [{ tempFilePath: clip, size, fileType: 'video' }];
  const upload = page('upload');
  const percents = [];
  const watch = setInterval(() => { if (percents[percents.length - 1] !== upload.data.uploadPercent) percents.push(upload.data.uploadPercent); }, 5);

  await upload.instance.pick();
  clearInterval(watch);

  const puts = state.log.filter(e => e.chunk !== undefined);
  const chunkSize = Number(process.env.CHUNK_BYTES);
  expect(puts.length).toBeGreaterThan(1);
  expect(new Set(puts.map(e => e.chunk)).size).toBe(puts.length);
  expect(puts.every(e => e.status === 204 && e.bodyBytes <= chunkSize)).toBe(true);
  expect(state.maxChunksInFlight).toBeGreaterThan(1);
  expect(state.maxChunksInFlight).toBeLessThanOrEqual(3);
  expect(upload.data.uploadPercent).toBe(100);
  expect(percents.length).toBeGreaterThan(2);
  expect(percents).toEqual([...percents].sort((a, b) => a - b));
  expect(state.log.some(e => e.path.endsWith('/complete') && e.status === 202)).toBe(true);

  const statuses = upload.data.statuses;
  expect(statuses[statuses.length - 1]).toBe('Ready');
  expect(statuses.map(s => ORDER.indexOf(s))).toEqual([...statuses.map(s => ORDER.indexOf(s))].sort((a, b) => a - b));
  expect(statuses.every(s => ORDER.includes(s))).toBe(true);
  expect(upload.data.stage).toBe('Ready');
  expect(upload.data.pipelinePercent).toBe(100);
  expect(upload.dom.innerHTML).toContain('Ready');
  readyVideoId = upload.data.videoId;
  const video = (await fetchJson(base, 'GET', `/api/videos/${readyVideoId}`, { headers: { authorization: `Bearer ${wx.getStorageSync('auth.token').token}` } })).body;
  expect(video.playable).toBe(true);
  expect(Date.parse(video.playableAt)).toBeLessThanOrEqual(Date.parse(video.readyAt));
  expect(state.navigations).toContain(`/pages/player/player?videoId=${readyVideoId}`);
});

test('a client killed half-way resumes and sends only the chunks that did not arrive', async () => {
  const size = fs.statSync(clip).size;
  const copy = path.join(path.dirname(clip), 'resume-copy.mp4');
  fs.copyFileSync(clip, copy);
  state.chosen = [{ tempFilePath: copy, size, fileType: 'video' }];
  let sentBeforeKill = 0;
  state.hang = entry => entry.chunk !== undefined && ++sentBeforeKill > 2; // the third chunk and after: the app is gone
  const first = page('upload');
  first.instance.pick(); // never finishes: killed
  await until(() => state.log.filter(e => e.chunk !== undefined && e.status === 204).length === 2, 'two chunks to arrive');
  const arrived = state.log.filter(e => e.chunk !== undefined && e.status === 204).map(e => e.chunk);
  const saved = [...state.storage.keys()].find(k => k.startsWith('upload:'));
  expect(saved).toBeDefined();
  const { videoId, chunkCount } = wx.getStorageSync(saved);

  state.hang = null;
  state.log.length = 0;
  const second = page('upload'); // the app started again: same storage
  await second.instance.pick();

  const resent = state.log.filter(e => e.chunk !== undefined).map(e => e.chunk).sort((a, b) => a - b);
  const expected = [...Array(chunkCount).keys()].filter(i => !arrived.includes(i));
  expect(resent).toEqual(expected);
  expect(state.log.filter(e => e.method === 'POST' && e.path === '/api/uploads')).toEqual([]);
  expect(second.data.videoId).toBe(videoId);
  expect(second.data.statuses[second.data.statuses.length - 1]).toBe('Ready');
  expect(wx.getStorageSync(saved)).toBe('');
});

test('plays: the <video> gets the signed master URL, and what it serves decodes', async () => {
  const player = page('player');

  await player.instance.onLoad({ videoId: readyVideoId });

  const url = player.data.url;
  expect(url).toMatch(new RegExp(`/api/play/${readyVideoId}/master\\.m3u8\\?token=`));
  // The <video src="{{url}}"> is rendered only once the page holds a URL (wx:if), and that URL is the signed one.
  expect(player.querySelector('#player')).toBeTruthy();
  expect(player.dom.innerHTML).toContain('wx-video');
  await decode(url);
  const unsigned = new URL(url);
  unsigned.search = '';
  expect((await fetchJson(base, 'GET', unsigned.href)).status).toBeGreaterThanOrEqual(400);
});

test('the feed shows recommendations and reports impressions and plays', async () => {
  state.loginCode = 'dev:mp-bob';
  wx.removeStorageSync('auth.token');
  wx.removeStorageSync('events.queue');
  const feed = page('feed');

  await feed.instance.onShow();

  expect(feed.data.items.map(i => i.videoId)).toContain(readyVideoId);
  await until(() => feed.data.items.every(i => i.posterUrl), 'posters');
  expect(feed.dom.innerHTML).toContain(feed.data.items[0].reason);
  const player = page('player');
  await player.instance.onLoad({ videoId: readyVideoId });
  player.instance.onPlay();
  const queued = wx.getStorageSync('events.queue');
  expect(queued.filter(e => e.type === 'impression').length).toBe(feed.data.items.length);
  expect(queued.filter(e => e.type === 'play').map(e => e.videoId)).toEqual([readyVideoId]);

  const { flushEvents } = require('../dist/lib/events');
  const answer = await flushEvents();

  expect(answer.accepted).toBe(queued.length);
  expect(answer.rejected).toEqual([]);
  expect(wx.getStorageSync('events.queue')).toEqual([]);
});

test('a full feed page fetches its posters a few at a time, within WeChat\'s 10 requests at once', async () => {
  const feed = page('feed');
  // Twelve tiles (the page's count) from the one Ready video: each poster is still a real playback grant.
  const request = wx.request;
  global.wx.request = options => request(options.url.includes('/api/recommendations')
    ? { ...options, success: res => options.success({ ...res, data: { ...res.data, items: Array.from({ length: 12 }, () => res.data.items[0]) } }) }
    : options);
  state.maxInFlight = 0;
  try {
    await feed.instance.onShow();
  } finally {
    global.wx.request = request;
  }

  expect(feed.data.items).toHaveLength(12);
  expect(feed.data.items.every(i => i.posterUrl)).toBe(true);
  expect(state.log.filter(e => e.path.endsWith('/playback') && e.status === 200)).toHaveLength(12);
  expect(state.maxInFlight).toBeGreaterThan(1);
  expect(state.maxInFlight).toBeLessThanOrEqual(4);
});

test('the template page syncs the library, then fetches only what changed', async () => {
  const op = operator(base);
  const folder = path.resolve(__dirname, '../../templates');
  expect((await op('PUT', '/api/operator/template-assets', JSON.parse(fs.readFileSync(path.join(folder, 'assets.json'))))).status).toBe(200);
  const template = JSON.parse(fs.readFileSync(path.join(folder, 'seed-image.json')));
  const publish = body => publishTemplate(op, body);
  await publish(template);
  const templates = page('templates');

  await templates.instance.onShow();

  const first = templates.data.version;
  expect(templates.data.templates.map(t => t.id)).toContain(template.id);
  expect(templates.dom.innerHTML).toContain(template.name);
  const renamed = await publish({ ...template, name: `${template.name} (new)` });
  state.log.length = 0;
  const manifests = [];
  const request = wx.request;
  global.wx.request = options => request({ ...options, success: res => { manifests.push(res.data); options.success(res); } });
  try {
    await templates.instance.onShow();
  } finally {
    global.wx.request = request;
  }

  expect(state.log.filter(e => e.path === '/api/templates/manifest')).toHaveLength(1);
  expect(manifests[0].full).toBe(false);
  expect(manifests[0].upserts.map(t => t.id)).toEqual([template.id]);
  expect(templates.data.version).toBe(renamed.libraryVersion);
  expect(templates.data.version).toBeGreaterThan(first);
  expect(templates.dom.innerHTML).toContain(`${template.name} (new)`);
});

test('makes a video from photos: sent a few at a time, rendered by the server, followed while playable to Ready, played', async () => {
  state.loginCode = 'dev:mp-carol';
  wx.removeStorageSync('auth.token');
  const folder = path.resolve(__dirname, '../../templates');
  const template = JSON.parse(fs.readFileSync(path.join(folder, 'seed-transition.json')));
  await publishTemplate(operator(base), template);
  const photos = await Promise.all(['red', 'green', 'blue'].map(c => photo(path.join(path.dirname(clip), `photo-${c}.jpg`), c)));
  state.chosen = photos.map(p => ({ tempFilePath: p, size: fs.statSync(p).size, fileType: 'image' }));
  const templates = page('templates');
  await templates.instance.onShow();
  expect(templates.dom.innerHTML).toContain('Make a video');
  state.log.length = 0;
  state.maxInFlight = 0;

  await templates.instance.pickPhotos({ currentTarget: { dataset: { id: template.id } } });

  const sent = state.log.filter(e => e.path === '/api/images');
  expect(sent.map(e => e.status)).toEqual([201, 201, 201]);
  expect(state.maxInFlight).toBeLessThanOrEqual(3);
  expect(state.log.filter(e => e.path === '/api/renders').map(e => e.status)).toEqual([202]);
  expect(templates.data.photosSent).toBe(3);
  expect(templates.data.stage).toBe('Ready');
  const videoId = templates.data.videoId;
  expect(state.navigations).toContain(`/pages/player/player?videoId=${videoId}`);
  const video = (await fetchJson(base, 'GET', `/api/videos/${videoId}`, { headers: { authorization: `Bearer ${wx.getStorageSync('auth.token').token}` } })).body;
  expect(video.durationSeconds).toBeCloseTo(7.0, 2);
  expect(Date.parse(video.playableAt)).toBeLessThan(Date.parse(video.readyAt)); // playable while it rendered
  const player = page('player');
  await player.instance.onLoad({ videoId });
  await decode(player.data.url);
});
