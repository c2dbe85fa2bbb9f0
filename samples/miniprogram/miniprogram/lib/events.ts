// Viewing events for the recommender: queued locally, sent in batches to POST /api/events (de-duplicated by eventId).
import { call, type Schemas } from './api';

type EventType = 'impression' | 'play' | 'progress' | 'complete' | 'like' | 'unlike' | 'share' | 'template_impression' | 'template_use';

const QUEUE_KEY = 'events.queue';
const MAX_BATCH = 50;

function newEventId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Queues one event; sends the queue when it is full (and on app hide, from app.ts). */
export function track(type: EventType, target: { videoId?: string; templateId?: string }, watchedSeconds?: number): void {
  const event: Schemas['EventInput'] = {
    eventId: newEventId(),
    type,
    videoId: target.videoId ?? null,
    templateId: target.templateId ?? null,
    watchedSeconds: watchedSeconds ?? null,
    occurredAt: new Date().toISOString(),
  };
  const queue = (wx.getStorageSync(QUEUE_KEY) as Schemas['EventInput'][] | '') || [];
  queue.push(event);
  wx.setStorageSync(QUEUE_KEY, queue);
  if (queue.length >= MAX_BATCH) flushEvents().catch(() => undefined);
}

/** Sends queued events; keeps them when the network fails (the ids make a resend harmless). */
export async function flushEvents(): Promise<Schemas['EventBatchResponse'] | undefined> {
  const queue = (wx.getStorageSync(QUEUE_KEY) as Schemas['EventInput'][] | '') || [];
  if (queue.length === 0) return undefined;
  const batch = queue.slice(0, MAX_BATCH);
  const answer = await call('post', '/api/events', {}, { events: batch });
  wx.setStorageSync(QUEUE_KEY, queue.slice(batch.length));
  return answer;
}
