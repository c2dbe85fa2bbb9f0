import { API_BASE, authorization, call, type Schemas } from '../../lib/api';

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

Page({
  data: { busy: false, uploadPercent: 0, pipelinePercent: 0, stage: '' },

  async pick() {
    const chosen = await wx.chooseMedia({ count: 1, mediaType: ['video'], sourceType: ['album', 'camera'] });
    const file = chosen.tempFiles[0];
    if (!file) return;
    this.setData({ busy: true, uploadPercent: 0, pipelinePercent: 0, stage: 'Creating the upload…' });
    try {
      const upload = await call('post', '/api/uploads', {}, {
        fileName: file.tempFilePath.split('/').pop() ?? 'clip.mp4',
        contentType: 'video/mp4',
        sizeBytes: file.size,
      });
      await this.send(upload.videoId, file.tempFilePath);
      const video = await this.follow(upload.videoId);
      if (video.status === 'Ready') wx.navigateTo({ url: `/pages/player/player?videoId=${video.videoId}` });
    } catch (error) {
      this.setData({ stage: String(error) });
    } finally {
      this.setData({ busy: false });
    }
  },

  /** wx.uploadFile sends multipart/form-data to POST /api/uploads/{videoId}/file, with progress. */
  async send(videoId: string, path: string): Promise<Schemas['UploadAccepted']> {
    const header = { Authorization: await authorization() };
    return new Promise((resolve, reject) => {
      const task = wx.uploadFile({
        url: `${API_BASE}/api/uploads/${videoId}/file`,
        filePath: path,
        name: 'file',
        header,
        success: res => res.statusCode === 202 ? resolve(JSON.parse(res.data) as Schemas['UploadAccepted']) : reject(new Error(res.data)),
        fail: err => reject(new Error(err.errMsg)),
      });
      task.onProgressUpdate(progress => this.setData({ uploadPercent: progress.progress }));
    });
  },

  /** Polls GET /api/videos/{videoId} until the pipeline ends. */
  async follow(videoId: string): Promise<Schemas['VideoStatusResponse']> {
    for (;;) {
      const video = await call('get', '/api/videos/{videoId}', { videoId });
      this.setData({ stage: video.status === 'Failed' ? `Failed: ${video.error}` : `${video.status} · ${video.stage}`, pipelinePercent: video.progress });
      if (video.status === 'Ready' || video.status === 'Failed') return video;
      await delay(1500);
    }
  },
});
