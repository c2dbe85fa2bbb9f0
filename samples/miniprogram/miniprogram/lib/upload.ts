// Chunked, resumable uploads through the API's own domain (the only one a mini-program needs): each chunk is read from
// the file with FileSystemManager.readFile({position, length}), sent with its MD5 by wx.request (PUT, far under 60 s),
// at most MAX_IN_FLIGHT at once (WeChat allows 10 requests in all), retried on network errors, 5xx and 429. What is sent
// is remembered in storage: a client that lost its network or was killed asks which chunks arrived and sends the others.
import { call, putBytes, ApiError, type Schemas } from './api';
import { contentMd5 } from './md5';
import { inPool } from './pool';

export const MAX_IN_FLIGHT = 3;
const MAX_ATTEMPTS = 5;
const RETRY_BASE_MS = 500;

export interface UploadProgress { sentBytes: number; totalBytes: number; percent: number }

interface SavedUpload { videoId: string; chunkSize: number; chunkCount: number; sizeBytes: number }

function storageKey(filePath: string, sizeBytes: number): string {
  return `upload:${filePath}:${sizeBytes}`;
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

function readChunk(filePath: string, position: number, length: number): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => wx.getFileSystemManager().readFile({
    filePath,
    position,
    length,
    success: res => resolve(res.data as ArrayBuffer),
    fail: err => reject(new Error(err.errMsg)),
  }));
}

/** Sends one chunk, retrying what a retry can fix; a refusal (4xx) is thrown. */
async function sendChunk(upload: SavedUpload, filePath: string, index: number): Promise<number> {
  const position = index * upload.chunkSize;
  const length = Math.min(upload.chunkSize, upload.sizeBytes - position);
  const chunk = await readChunk(filePath, position, length);
  const md5 = contentMd5(chunk);
  for (let attempt = 1; ; attempt++) {
    const answer = await putBytes(`/api/uploads/${upload.videoId}/chunks/${index}`, chunk, { 'Content-MD5': md5 });
    if (answer.status === 204) return length;
    const retryable = answer.status === 0 || answer.status === 429 || answer.status >= 500;
    if (!retryable || attempt >= MAX_ATTEMPTS) {
      throw new ApiError(answer.status, answer.data as Schemas['ProblemDetails'] | undefined);
    }
    const retryAfter = Number(answer.header['Retry-After'] ?? answer.header['retry-after']);
    await delay(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : RETRY_BASE_MS * 2 ** (attempt - 1));
  }
}

/**
 * Uploads a video file in chunks and completes it; resumes an upload of the same file this client started before.
 * Returns the video id once the file is complete (the pipeline then starts on the server).
 */
export async function uploadVideo(
  filePath: string,
  sizeBytes: number,
  contentType: string,
  onProgress: (progress: UploadProgress) => void,
): Promise<string> {
  const key = storageKey(filePath, sizeBytes);
  let upload = (wx.getStorageSync(key) as SavedUpload | '') || undefined;
  let received: number[] = [];
  if (upload) {
    try {
      received = (await call('get', '/api/uploads/{videoId}/chunks', { videoId: upload.videoId })).received;
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 409)) throw error;
      if (error.status === 409) received = Array.from({ length: upload.chunkCount }, (_, i) => i); // complete already
      else upload = undefined; // gone (expired): start again
    }
  }

  if (!upload) {
    const created = await call('post', '/api/uploads', {}, {
      fileName: filePath.split('/').pop() ?? 'clip.mp4',
      contentType,
      sizeBytes,
    });
    upload = { videoId: created.videoId, chunkSize: created.chunked.chunkSize, chunkCount: created.chunked.chunkCount, sizeBytes };
    wx.setStorageSync(key, upload);
  }

  const current = upload;
  const have = new Set(received);
  let sentBytes = received.reduce((sum, i) => sum + Math.min(current.chunkSize, sizeBytes - i * current.chunkSize), 0);
  const report = () => onProgress({ sentBytes, totalBytes: sizeBytes, percent: Math.floor((sentBytes / sizeBytes) * 100) });
  report();
  const missing = Array.from({ length: current.chunkCount }, (_, i) => i).filter(i => !have.has(i));
  await inPool(missing, MAX_IN_FLIGHT, async index => {
    const length = await sendChunk(current, filePath, index); // not `sentBytes += await …`: that reads sentBytes before waiting
    sentBytes += length;
    report();
  });

  await call('post', '/api/uploads/{videoId}/complete', { videoId: current.videoId });
  wx.removeStorageSync(key);
  return current.videoId;
}
