import { track } from '../../lib/events';
import { describe, followVideo } from '../../lib/follow';
import { makeVideo } from '../../lib/render';
import { cachedTemplates, expandTimeline, syncTemplates, type Template } from '../../lib/templates';
import type { Schemas } from '../../lib/api';

/** Photos a render takes from the album at most (WeChat's chooseMedia gives up to 20; a short video wants fewer). */
const MAX_PHOTOS = 9;

Component({
  data: {
    version: null as number | null, templates: [] as Template[], nodes: [] as Schemas['TimelineNode'][], imageCount: 3,
    making: false, photosSent: 0, photoCount: 0, stage: '', videoId: '', playable: false,
  },

  methods: {
    async onShow() {
      const cached = cachedTemplates();
      this.setData({ version: cached.version, templates: Object.values(cached.templates) });
      const synced = await syncTemplates();
      this.setData({ version: synced.version, templates: Object.values(synced.templates) });
    },

    /** The expanded timeline for N images; rendering its shaders is the template player's job. */
    async preview(event: WechatMiniprogram.BaseEvent) {
      const id = event.currentTarget.dataset['id'] as string;
      track('template_impression', { templateId: id });
      const timeline = await expandTimeline(id, this.data.imageCount);
      this.setData({ nodes: timeline.nodes });
    },

    /** "Make a video": photos from the album, within the template's range, rendered by the server. */
    async pickPhotos(event: WechatMiniprogram.BaseEvent) {
      const id = event.currentTarget.dataset['id'] as string;
      const template = this.data.templates.find(t => t.id === id);
      const count = Math.min(MAX_PHOTOS, template?.maxImageCount ?? MAX_PHOTOS);
      const chosen = await wx.chooseMedia({ count, mediaType: ['image'], sizeType: ['compressed'], sourceType: ['album', 'camera'] });
      await this.make(id, chosen.tempFiles.map(f => f.tempFilePath));
    },

    /** Sends the photos, asks for the render, follows the video (playable while it renders), then plays it. */
    async make(templateId: string, photoPaths: string[]) {
      this.setData({ making: true, photosSent: 0, photoCount: photoPaths.length, stage: 'Sending photos…', videoId: '', playable: false });
      try {
        track('template_use', { templateId });
        const accepted = await makeVideo(templateId, photoPaths, sent => this.setData({ photosSent: sent }));
        this.setData({ videoId: accepted.videoId, stage: 'Rendering…' });
        const { video } = await followVideo(accepted.videoId, current => this.setData({ stage: describe(current), playable: current.playable }));
        if (video.status === 'Ready') wx.navigateTo({ url: `/pages/player/player?videoId=${video.videoId}` });
      } catch (error) {
        this.setData({ stage: String(error) });
      } finally {
        this.setData({ making: false });
      }
    },
  },
});
