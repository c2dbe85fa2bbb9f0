import { call, type Schemas } from '../../lib/api';
import { uploadVideo } from '../../lib/upload';

type Video = Schemas['VideoStatusResponse'];

const POLL_MS = 1500;
/** WeChat's content check answers within 30 minutes: asked less often meanwhile. */
const REVIEW_POLL_MS = 5000;
/** Past this the page stops asking and says so (the video keeps going on the server). */
const MAX_FOLLOW_MS = 45 * 60_000;
const FINAL = ['Ready', 'Failed', 'Rejected'];

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** What the user reads for a status. */
function describe(video: Video): string {
  switch (video.status) {
    case 'InReview': return 'In review: WeChat is checking the content (usually within 30 minutes).';
    case 'Rejected': return `Rejected: ${video.error ?? 'the content check refused it.'}`;
    case 'Failed': return `Failed: ${video.error ?? 'unknown reason.'}`;
    case 'Ready': return 'Ready';
    default: return `${video.status} · ${video.stage}${video.playable ? ' · playable' : ''}`;
  }
}

// A page built with the Component constructor (as WeChat allows): lifecycles and handlers are its methods.
Component({
  data: { busy: false, uploadPercent: 0, pipelinePercent: 0, stage: '', statuses: [] as string[], videoId: '' },

  methods: {
    async pick() {
      const chosen = await wx.chooseMedia({ count: 1, mediaType: ['video'], sourceType: ['album', 'camera'] });
      const file = chosen.tempFiles[0];
      if (file) await this.upload(file.tempFilePath, file.size);
    },

    /** Sends the file in chunks (resuming an earlier attempt), then follows the pipeline to its end. */
    async upload(path: string, size: number) {
      this.setData({ busy: true, uploadPercent: 0, pipelinePercent: 0, stage: 'Uploading…', statuses: [] });
      try {
        const videoId = await uploadVideo(path, size, 'video/mp4', progress => this.setData({ uploadPercent: progress.percent }));
        this.setData({ videoId });
        const video = await this.follow(videoId);
        if (video.status === 'Ready') wx.navigateTo({ url: `/pages/player/player?videoId=${video.videoId}` });
      } catch (error) {
        this.setData({ stage: String(error) });
      } finally {
        this.setData({ busy: false });
      }
    },

    /** Polls GET /api/videos/{videoId} until Ready, Failed or Rejected (less often while in review), for at most 45 minutes. */
    async follow(videoId: string): Promise<Video> {
      const started = Date.now();
      for (;;) {
        const video = await call('get', '/api/videos/{videoId}', { videoId });
        const label = video.playable && video.status === 'Processing' ? 'Processing (playable)' : video.status;
        const statuses = this.data.statuses[this.data.statuses.length - 1] === label ? this.data.statuses : [...this.data.statuses, label];
        this.setData({ stage: describe(video), pipelinePercent: video.progress, statuses });
        if (FINAL.includes(video.status)) return video;
        if (Date.now() - started > MAX_FOLLOW_MS) {
          this.setData({ stage: `${describe(video)} Still not done: look again later.` });
          return video;
        }
        await delay(video.status === 'InReview' ? REVIEW_POLL_MS : POLL_MS);
      }
    },
  },
});
