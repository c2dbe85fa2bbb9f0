// Following a video on the server until it is Ready, Failed or Rejected: the upload page and the template page alike.
import { call, type Schemas } from './api';

export type Video = Schemas['VideoStatusResponse'];

const POLL_MS = 1500;
/** WeChat's content check answers within 30 minutes: asked less often meanwhile. */
const REVIEW_POLL_MS = 5000;
/** Past this the page stops asking (the video keeps going on the server). */
const MAX_FOLLOW_MS = 45 * 60_000;
export const FINAL = ['Ready', 'Failed', 'Rejected'];

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** What the user reads for a status. */
export function describe(video: Video): string {
  switch (video.status) {
    case 'InReview': return 'In review: WeChat is checking the content (usually within 30 minutes).';
    case 'Rejected': return `Rejected: ${video.error ?? 'the content check refused it.'}`;
    case 'Failed': return `Failed: ${video.error ?? 'unknown reason.'}`;
    case 'Ready': return 'Ready';
    default: return `${video.status} · ${video.stage}${video.playable ? ' · playable' : ''}`;
  }
}

/**
 * Polls GET /api/videos/{videoId} until Ready, Failed or Rejected (less often while in review), for at most 45 minutes,
 * telling `onUpdate` of every answer; returns the last one (not final when the time ran out: `timedOut`).
 */
export async function followVideo(videoId: string, onUpdate: (video: Video) => void): Promise<{ video: Video; timedOut: boolean }> {
  const started = Date.now();
  for (;;) {
    const video = await call('get', '/api/videos/{videoId}', { videoId });
    onUpdate(video);
    if (FINAL.includes(video.status)) return { video, timedOut: false };
    if (Date.now() - started > MAX_FOLLOW_MS) return { video, timedOut: true };
    await delay(video.status === 'InReview' ? REVIEW_POLL_MS : POLL_MS);
  }
}
