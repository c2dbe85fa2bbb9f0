// Template manifest sync: the library is cached locally under its version; the next sync asks only for what changed.
import { call, type Schemas } from './api';

export type Template = Schemas['MotionTemplate'];
export interface TemplateCache { version: number | null; templates: Record<string, Template> }

const CACHE_KEY = 'templates.manifest';

export function cachedTemplates(): TemplateCache {
  return (wx.getStorageSync(CACHE_KEY) as TemplateCache | '') || { version: null, templates: {} };
}

/** GET /api/templates/manifest?since=<cached version>: applies upserts and removals, or replaces all on a full answer. */
export async function syncTemplates(): Promise<TemplateCache> {
  const cache = cachedTemplates();
  const manifest = await call('get', '/api/templates/manifest', {}, undefined, { since: cache.version ?? undefined });
  if (!manifest) return cache; // 304: nothing changed
  const templates: Record<string, Template> = manifest.full ? {} : { ...cache.templates };
  for (const id of manifest.removed) delete templates[id];
  for (const template of manifest.upserts) templates[template.id] = template;
  const next: TemplateCache = { version: manifest.version, templates };
  wx.setStorageSync(CACHE_KEY, next);
  return next;
}

/** The server's expansion of a template for N images: the node sequence with start times and durations. */
export function expandTimeline(templateId: string, imageCount: number): Promise<Schemas['TemplateTimeline']> {
  return call('post', '/api/templates/{id}/timeline', { id: templateId }, { imageCount });
}
