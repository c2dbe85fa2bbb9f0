import { call, ApiError } from '../../lib/api';
import { flushEvents, track } from '../../lib/events';

// The <video> component plays the signed master playlist directly: no headers needed, the URL is the credential.
Component({
  data: { url: '', posterUrl: '', message: '', videoId: '', watched: 0, played: false },

  methods: {
    async onLoad(query: Record<string, string | undefined>) {
      const videoId = query['videoId'] ?? '';
      this.setData({ videoId });
      try {
        const grant = await call('get', '/api/videos/{videoId}/playback', { videoId });
        this.setData({ url: grant.url, posterUrl: grant.posterUrl, message: `Link valid until ${grant.expiresAt}` });
      } catch (error) {
        this.setData({ message: error instanceof ApiError && error.status === 409 ? 'Still processing…' : String(error) });
      }
    },

    onPlay() {
      if (!this.data.played) {
        this.setData({ played: true });
        track('play', { videoId: this.data.videoId });
      }
    },

    onTime(event: WechatMiniprogram.VideoTimeUpdate) {
      this.setData({ watched: event.detail.currentTime });
    },

    onEnded() {
      track('complete', { videoId: this.data.videoId }, this.data.watched);
      flushEvents().catch(() => undefined);
    },

    onError() {
      // A grant expires with its URL: ask for a new one.
      this.onLoad({ videoId: this.data.videoId });
    },

    onUnload() {
      if (this.data.played) track('progress', { videoId: this.data.videoId }, this.data.watched);
      flushEvents().catch(() => undefined);
    },
  },
});
