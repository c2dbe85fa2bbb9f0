// Making a video from photos: each photo goes up with wx.uploadFile (as wx.chooseMedia gives it) to POST /api/images,
// a few at a time, then POST /api/renders asks the server to render the template with them. The video is then followed
// like an upload (GET /api/videos/{videoId}): playable while it renders, then Ready.
import { authorization, call, ApiError, API_BASE, type Schemas } from './api';
import { inPool } from './pool';

/** Photos sent at once: with the poster and status requests a page makes, well under WeChat's 10. */
export const PHOTOS_IN_FLIGHT = 3;

function uploadPhoto(filePath: string, authHeader: string): Promise<Schemas['ImageResponse']> {
  return new Promise((resolve, reject) => wx.uploadFile({
    url: `${API_BASE}/api/images`,
    filePath,
    name: 'file',
    timeout: 60_000,
    header: { Authorization: authHeader },
    success: res => {
      const body = JSON.parse(res.data as string) as Schemas['ImageResponse'] & Schemas['ProblemDetails'];
      if (res.statusCode === 201) resolve(body);
      else reject(new ApiError(res.statusCode, body));
    },
    fail: err => reject(new ApiError(0, { title: err.errMsg })),
  }));
}

/** Sends the photos (in order), then asks for the render; returns what the server accepted. A refused photo is thrown. */
export async function makeVideo(templateId: string, photoPaths: readonly string[], onPhoto: (sent: number) => void): Promise<Schemas['RenderAccepted']> {
  const authHeader = await authorization();
  const ids: string[] = new Array<string>(photoPaths.length);
  let sent = 0;
  await inPool(photoPaths, PHOTOS_IN_FLIGHT, async (path, index) => {
    ids[index] = (await uploadPhoto(path, authHeader)).imageId;
    onPhoto(++sent);
  });
  return call('post', '/api/renders', {}, { templateId, imageIds: ids });
}
