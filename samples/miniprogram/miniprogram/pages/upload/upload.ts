import { describe, followVideo, type Video } from '../../lib/follow';
import { uploadVideo } from '../../lib/upload';

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

    /** Follows the video to Ready, Failed or Rejected, recording each new status once. */
    async follow(videoId: string): Promise<Video> {
      const { video, timedOut } = await followVideo(videoId, current => {
        const label = current.playable && current.status === 'Processing' ? 'Processing (playable)' : current.status;
        const statuses = this.data.statuses[this.data.statuses.length - 1] === label ? this.data.statuses : [...this.data.statuses, label];
        this.setData({ stage: describe(current), pipelinePercent: current.progress, statuses });
      });
      if (timedOut) this.setData({ stage: `${describe(video)} Still not done: look again later.` });
      return video;
    },
  },
});
