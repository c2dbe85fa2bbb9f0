// The demo page: sign in, upload with progress, follow the pipeline, play through the signed URL with hls.js,
// a "For you" strip that reports events, and the template gallery with a timeline preview.
import { api, ApiProblem, eventId, isSignedIn, signIn, uploadFile, uploadImage } from './api.js';

const $ = id => document.getElementById(id);
const STAGES = ['Uploading', 'ProbeSource', 'TranscodeLadder', 'PublishVideo', 'Ready'];
const H264_AAC = 'video/mp4; codecs="avc1.64001f,mp4a.40.2"';

/** What the browser test reads: the hls.js instance, the current video id and the events sent. */
const demo = (window.demo = { hls: null, videoId: null, status: null, events: [], fatalErrors: [], templates: {}, manifestVersion: null, timeline: null });

function show(id, text) { $(id).textContent = text; }
function describe(error) {
  if (error instanceof ApiProblem) {
    const type = error.problem?.type ? ` (${error.problem.type.split('/').pop()})` : '';
    return `${error.status}: ${error.message}${type}`;
  }
  return String(error?.message ?? error);
}

// ---- Sign-in ---------------------------------------------------------------------------------------------------
$('signin').addEventListener('submit', e => {
  e.preventDefault();
  firstLookActive = false;
  startSession($('user').value.trim());
});

/** Signs in; true when this is still the latest sign-in once it answers (a later one supersedes it). */
async function startSession(user) {
  document.body.dataset.signedIn = 'false';
  delete document.body.dataset.user;
  try {
    const result = await signIn(user);
    if (!result) return false;
    show('whoami', `signed in as ${result.user} (${result.mode})`);
    for (const id of ['upload', 'refresh-feed', 'sync', 'render']) $(id).disabled = false;
    document.body.dataset.user = result.user;
    document.body.dataset.signedIn = 'true';
    loadFeed();
    return true;
  } catch (error) {
    show('whoami', `sign-in failed: ${describe(error)}`);
    return false;
  }
}

// The first look: sign in as the default user (the field's value; ./dev.sh run uploads its sample clip as this user and
// publishes the sample templates), sync the template manifest and load the newest Ready clip into the player.
// An upload or another sign-in started meanwhile takes over.
let firstLookActive = true;
async function firstLook() {
  try {
    if (!(await startSession($('user').value.trim())) || !firstLookActive) return;
    await syncManifest();
    const { body } = await api('GET', '/api/videos?count=1');
    const newest = body.items?.[0];
    if (newest && firstLookActive) {
      $('pipeline-progress').value = 100;
      show('pipeline-text', `newest Ready clip ${newest.videoId.slice(0, 8)} · ${newest.width}x${newest.height} · ${Number(newest.durationSeconds ?? 0).toFixed(1)} s`);
      renderStages(newest);
      await play(newest.videoId);
    }
  } catch (error) {
    show('player-text', `No clip loaded: ${describe(error)}`);
  } finally {
    document.body.dataset.firstLook = 'done';
  }
}

// ---- Upload and pipeline ---------------------------------------------------------------------------------------
function renderStages(video) {
  const list = $('stages');
  list.replaceChildren();
  const current = video.status === 'Ready' ? 'Ready' : video.status === 'Uploading' ? 'Uploading' : video.stage;
  const index = STAGES.indexOf(current);
  STAGES.forEach((stage, i) => {
    const li = document.createElement('li');
    li.textContent = stage;
    if (video.status === 'Failed' && stage === video.stage) li.className = 'failed';
    else if (i < index || video.status === 'Ready') li.className = 'done';
    else if (i === index) li.className = 'active';
    list.append(li);
  });
}

$('upload-form').addEventListener('submit', async e => {
  e.preventDefault();
  const file = $('file').files[0];
  if (!file || !isSignedIn()) return;
  $('upload').disabled = true;
  firstLookActive = false;
  resetPlayer();
  try {
    const created = await api('POST', '/api/uploads', {
      fileName: file.name,
      contentType: file.type || 'video/mp4',
      sizeBytes: file.size,
    });
    const videoId = created.body.videoId;
    demo.videoId = videoId;
    show('upload-text', `0% of ${(file.size / 1024).toFixed(0)} KiB`);
    await uploadFile(videoId, file, percent => {
      $('upload-progress').value = percent;
      show('upload-text', `${percent.toFixed(0)}% of ${(file.size / 1024).toFixed(0)} KiB`);
    });
    show('upload-text', 'uploaded');
    // Played as soon as the status says playable: the ladder is still encoding and the playlists grow.
    let playing = null;
    const video = await followPipeline(videoId, status => {
      if (!playing && status.playable) {
        document.body.dataset.playedWhileProduced = String(status.status !== 'Ready');
        playing = play(videoId);
      }
    });
    if (video.status === 'Ready') {
      await (playing ?? play(videoId));
      loadFeed();
    }
  } catch (error) {
    show('upload-text', describe(error));
  } finally {
    $('upload').disabled = false;
  }
});

async function followPipeline(videoId, onStatus) {
  for (;;) {
    const { body: video } = await api('GET', `/api/videos/${videoId}`);
    demo.status = video.status;
    onStatus?.(video);
    document.body.dataset.videoStatus = video.status;
    renderStages(video);
    const percent = video.status === 'Ready' ? 100 : video.progress ?? 0;
    $('pipeline-progress').value = percent;
    const detail = video.status === 'Failed' ? `: ${video.error}` : video.status === 'Ready' ? '' : ` · ${video.stage || 'queued'}`;
    show('pipeline-text', `${video.status}${detail} · ${percent.toFixed(0)}%`);
    if (video.status === 'Ready' || video.status === 'Failed') return video;
    await new Promise(resolve => setTimeout(resolve, video.playable ? 1000 : 250));
  }
}

// ---- Playback --------------------------------------------------------------------------------------------------
const video = $('video');
show('codecs', `MSE: ${window.MediaSource ? 'yes' : 'no'} · H.264/AAC in MSE: ${window.MediaSource?.isTypeSupported(H264_AAC) ? 'yes' : 'no'} · hls.js ${window.Hls ? Hls.version : 'missing (run ./dev.sh run)'}`);

/** Stops what is playing and empties the rendition switcher (a new upload replaces the clip on show). */
function resetPlayer() {
  if (demo.hls) demo.hls.destroy();
  demo.hls = null;
  video.removeAttribute('src');
  video.poster = '';
  video.load();
  $('rendition').replaceChildren(new Option('Auto', '-1'));
  $('rendition').disabled = true;
  delete document.body.dataset.level;
  show('player-text', 'nothing loaded');
}

async function play(videoId) {
  const { body: grant } = await api('GET', `/api/videos/${videoId}/playback`);
  demo.videoId = videoId;
  video.poster = grant.posterUrl ?? '';
  if (demo.hls) demo.hls.destroy();
  const select = $('rendition');
  select.replaceChildren(new Option('Auto', '-1'));
  select.disabled = true;
  if (window.Hls?.isSupported()) {
    // From the first segment: a playlist that still grows (EVENT) would otherwise be joined near its live edge.
    const hls = new Hls({ capLevelToPlayerSize: false, startPosition: 0 });
    demo.hls = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, (_, data) => {
      data.levels.forEach((level, i) => select.append(new Option(`${level.height}p · ${Math.round(level.bitrate / 1000)} kb/s`, String(i))));
      select.disabled = false;
      video.play().catch(() => { /* autoplay refused: the controls are there */ });
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_, data) => {
      const level = hls.levels[data.level];
      document.body.dataset.level = String(data.level);
      show('player-text', `playing ${level.height}p (${hls.autoLevelEnabled ? 'auto' : 'chosen'}) · expires ${new Date(grant.expiresAt).toLocaleTimeString()}`);
    });
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (data.fatal) demo.fatalErrors.push(`${data.type} ${data.details}`);
      if (data.fatal) show('player-text', `playback error: ${data.type} ${data.details}`);
    });
    hls.loadSource(grant.url);
    hls.attachMedia(video);
  } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
    video.src = grant.url;
    video.play().catch(() => {});
  } else {
    show('player-text', 'This browser can play neither HLS through MSE nor natively.');
  }
}

$('rendition').addEventListener('change', () => {
  if (!demo.hls) return;
  // currentLevel switches now (flushing the buffer); -1 hands the choice back to the ABR controller.
  demo.hls.currentLevel = Number($('rendition').value);
});

// Events for what is playing: play once per load, completion at the end.
let playedFor = null;
video.addEventListener('play', () => {
  if (demo.videoId && playedFor !== demo.videoId) {
    playedFor = demo.videoId;
    sendEvents([{ type: 'play', videoId: demo.videoId }]);
  }
});
video.addEventListener('ended', () => {
  if (demo.videoId) sendEvents([{ type: 'complete', videoId: demo.videoId, watchedSeconds: video.duration }]);
});
video.addEventListener('emptied', () => { playedFor = null; });

// ---- Events and "For you" ----------------------------------------------------------------------------------------
async function sendEvents(events) {
  const batch = events.map(e => ({ eventId: eventId(), occurredAt: new Date().toISOString(), ...e }));
  try {
    const { body } = await api('POST', '/api/events', { events: batch });
    demo.events.push(...batch);
    show('events-text', `Sent ${batch.map(e => e.type).join(', ')}: ${body?.accepted ?? '?'} accepted, ${body?.rejected?.length ?? 0} rejected.`);
  } catch (error) {
    show('events-text', `Events not sent: ${describe(error)}`);
  }
}

async function loadFeed() {
  const strip = $('feed');
  try {
    const { body } = await api('GET', '/api/recommendations?count=12');
    strip.replaceChildren();
    if (!body.items?.length) {
      strip.append(Object.assign(document.createElement('span'), { className: 'muted', textContent: 'Nothing to recommend yet: upload a video, or wait for the next training run.' }));
      return;
    }
    for (const item of body.items) {
      const tile = document.createElement('button');
      tile.type = 'button';
      tile.className = 'tile';
      tile.title = `${item.reason} · score ${Number(item.score).toFixed(2)}`;
      const placeholder = Object.assign(document.createElement('div'), { className: 'ph' });
      tile.append(placeholder, Object.assign(document.createElement('span'), { textContent: `${item.reason} · ${item.videoId.slice(0, 8)}` }));
      tile.addEventListener('click', () => play(item.videoId).catch(error => show('player-text', describe(error))));
      strip.append(tile);
      // The poster comes with the playback grant.
      api('GET', `/api/videos/${item.videoId}/playback`).then(({ body: grant }) => {
        if (grant.posterUrl) placeholder.replaceWith(Object.assign(document.createElement('img'), { src: grant.posterUrl, alt: '' }));
      }).catch(() => {});
    }
    sendEvents(body.items.map(item => ({ type: 'impression', videoId: item.videoId })));
    show('events-text', `Model ${body.modelVersion ?? 'none yet (popular videos)'}; sending impressions…`);
  } catch (error) {
    strip.replaceChildren(Object.assign(document.createElement('span'), { className: 'muted', textContent: `Recommendations unavailable: ${describe(error)}` }));
  }
}
$('refresh-feed').addEventListener('click', loadFeed);

// ---- Templates: manifest sync with a local cache keyed by the library version ---------------------------------
const CACHE_KEY = 'templates.manifest';

function readCache() {
  try { return JSON.parse(localStorage.getItem(CACHE_KEY)) ?? { version: null, templates: {} }; } catch { return { version: null, templates: {} }; }
}

async function syncManifest() {
  const cache = readCache();
  const query = cache.version === null ? '' : `?since=${cache.version}`;
  try {
    const { status, body } = await api('GET', `/api/templates/manifest${query}`);
    if (status !== 304 && body) {
      const templates = body.full ? {} : { ...cache.templates };
      for (const id of body.removed ?? []) delete templates[id];
      for (const template of body.upserts ?? []) templates[template.id] = template;
      const next = { version: body.version, templates };
      localStorage.setItem(CACHE_KEY, JSON.stringify(next));
      show('manifest-text', `Library version ${body.version}: ${body.full ? 'full' : 'incremental'} sync, ${body.upserts.length} changed, ${body.removed.length} removed, ${Object.keys(templates).length} cached.`);
      renderGallery(next);
    } else {
      show('manifest-text', `Library version ${cache.version}: up to date (${Object.keys(cache.templates).length} cached).`);
      renderGallery(cache);
    }
  } catch (error) {
    show('manifest-text', `Manifest sync failed: ${describe(error)}`);
  }
}
$('sync').addEventListener('click', syncManifest);

let selected = null;
function renderGallery(cache) {
  demo.templates = cache.templates;
  demo.manifestVersion = cache.version;
  const gallery = $('gallery');
  gallery.replaceChildren();
  const list = Object.values(cache.templates);
  if (!list.length) {
    gallery.append(Object.assign(document.createElement('span'), { className: 'muted small', textContent: 'No template is online: operators publish them through /api/operator/templates.' }));
  }
  for (const template of list) {
    const card = document.createElement('div');
    card.className = 'template';
    card.dataset.id = template.id;
    const images = template.nodes.filter(n => n.type === 'image').length;
    card.innerHTML = '<b></b><span class="muted small"></span>';
    card.querySelector('b').textContent = template.name;
    card.querySelector('span').textContent = `${template.category} · ${template.aspectRatio} · ${template.minImageCount}–${template.maxImageCount} images${template.loop ? ' · loop' : ''} · ${images} image nodes`;
    card.addEventListener('click', () => selectTemplate(template, card));
    gallery.append(card);
  }
}

function selectTemplate(template, card) {
  selected = template;
  document.querySelectorAll('.template.selected').forEach(el => el.classList.remove('selected'));
  card.classList.add('selected');
  $('timeline-panel').hidden = false;
  show('timeline-title', template.name);
  const count = $('image-count');
  count.min = template.minImageCount;
  count.max = template.maxImageCount;
  count.value = Math.min(Math.max(Number(count.value), template.minImageCount), template.maxImageCount);
  sendEvents([{ type: 'template_impression', templateId: template.id }]);
}

// "Make a video": the chosen photos go up one by one (POST /api/images), then the server renders the selected template
// with them (POST /api/renders) into a video that is followed and played like an upload: playable while it renders.
$('render-form').addEventListener('submit', async e => {
  e.preventDefault();
  const files = [...$('photos').files];
  if (!selected || files.length === 0 || !isSignedIn()) return;
  $('render').disabled = true;
  firstLookActive = false;
  resetPlayer();
  try {
    const imageIds = [];
    for (const file of files) {
      show('render-text', `Sending photo ${imageIds.length + 1} of ${files.length}…`);
      imageIds.push((await uploadImage(file)).imageId);
    }
    const { body: accepted } = await api('POST', '/api/renders', { templateId: selected.id, imageIds });
    demo.videoId = accepted.videoId;
    document.body.dataset.renderVideoId = accepted.videoId;
    show('render-text', `Rendering ${accepted.durationSeconds.toFixed(2)} s at ${accepted.width}×${accepted.height}…`);
    let playing = null;
    const video = await followPipeline(accepted.videoId, status => {
      if (!playing && status.playable) {
        document.body.dataset.playedWhileProduced = String(status.status !== 'Ready');
        playing = play(accepted.videoId);
      }
    });
    show('render-text', video.status === 'Ready' ? 'Rendered: playing it above.' : `${video.status}: ${video.error ?? ''}`);
    if (video.status === 'Ready') await (playing ?? play(accepted.videoId));
  } catch (error) {
    show('render-text', describe(error));
  } finally {
    $('render').disabled = false;
  }
});

$('preview').addEventListener('click', async () => {
  if (!selected) return;
  try {
    const { body } = await api('POST', `/api/templates/${encodeURIComponent(selected.id)}/timeline`, { imageCount: Number($('image-count').value) });
    demo.timeline = body;
    renderTimeline(body);
  } catch (error) {
    show('timeline-text', `Timeline refused: ${describe(error)}`);
  }
});

// ---- Timeline preview: bars for the nodes, and a canvas slideshow (colour per image, cross-fade in transitions) --
const PALETTE = ['#e4572e', '#29335c', '#f3a712', '#a8c686', '#669bbc', '#8f2d56', '#2a9d8f', '#e9c46a'];
const colour = i => PALETTE[((i ?? 0) % PALETTE.length + PALETTE.length) % PALETTE.length];
let animation = 0;

function renderTimeline(timeline) {
  const bars = $('timeline-bars');
  bars.replaceChildren();
  for (const node of timeline.nodes) {
    const el = document.createElement('div');
    el.className = `node ${node.type}`;
    el.style.left = `${(100 * node.start) / timeline.duration}%`;
    el.style.width = `${(100 * node.duration) / timeline.duration}%`;
    el.style.background = node.type === 'image' ? colour(node.imageIndex) : `linear-gradient(90deg, ${colour(imageBefore(timeline, node))}, ${colour(imageAfter(timeline, node))})`;
    el.title = `${node.name} · ${node.type} · ${node.start.toFixed(2)}s + ${node.duration.toFixed(2)}s`;
    el.textContent = node.type === 'image' ? `#${node.imageIndex + 1}` : '↔';
    bars.append(el);
  }
  const cursor = Object.assign(document.createElement('div'), { className: 'cursor' });
  bars.append(cursor);
  show('timeline-text', `${timeline.imageCount} images · ${timeline.nodes.length} nodes · ${timeline.duration.toFixed(2)} s · ${timeline.aspectRatio}${timeline.music ? ` · music: ${timeline.music.name}` : ''} · shaders are drawn by the mini-program; this is a plain rendition of durations and transitions.`);
  cancelAnimationFrame(animation);
  const canvas = $('timeline-canvas');
  const [w, h] = (timeline.aspectRatio || '9:16').split(':').map(Number);
  canvas.height = Math.round((canvas.width * h) / w);
  const ctx = canvas.getContext('2d');
  const started = performance.now();
  const frame = now => {
    const t = ((now - started) / 1000) % Math.max(timeline.duration, 0.01);
    const node = timeline.nodes.find(n => t >= n.start && t < n.start + n.duration) ?? timeline.nodes.at(-1);
    if (node.type === 'image') {
      fill(ctx, canvas, colour(node.imageIndex), 1, `#${node.imageIndex + 1}`);
    } else {
      const k = (t - node.start) / node.duration;
      fill(ctx, canvas, colour(imageBefore(timeline, node)), 1, '');
      fill(ctx, canvas, colour(imageAfter(timeline, node)), k, node.name);
    }
    cursor.style.left = `${(100 * t) / timeline.duration}%`;
    animation = requestAnimationFrame(frame);
  };
  animation = requestAnimationFrame(frame);
}

function imageBefore(timeline, node) {
  const before = timeline.nodes.filter(n => n.type === 'image' && n.start < node.start).at(-1);
  return before?.imageIndex ?? 0;
}

function imageAfter(timeline, node) {
  const after = timeline.nodes.find(n => n.type === 'image' && n.start > node.start);
  return after?.imageIndex ?? imageBefore(timeline, node);
}

function fill(ctx, canvas, color, alpha, label) {
  ctx.globalAlpha = alpha;
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.globalAlpha = 1;
  if (label) {
    ctx.fillStyle = 'rgba(255,255,255,.9)';
    ctx.font = 'bold 42px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText(label, canvas.width / 2, canvas.height / 2);
  }
}

renderGallery(readCache());
firstLook();
