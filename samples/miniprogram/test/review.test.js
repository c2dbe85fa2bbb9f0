// With WeChat's content check on (REVIEW_API_BASE: an app whose fake WeChat answers "review"), the upload page follows
// the video into review and on to the operator's rejection, and stops there: it never polls for ever.
process.env.API_BASE = process.env.REVIEW_API_BASE;
const fs = require('fs');
const wx = require('./wx-shim');
const { page, until, operator } = require('./helpers');

const state = wx.__state;

test('an upload in review is followed to its rejection, with the reason shown', async () => {
  state.loginCode = 'mpcarol'; // WeChat's code2Session (the fake's openid is "o" + the code): the check needs an openid
  const size = fs.statSync(process.env.CLIP).size;
  state.chosen = [{ tempFilePath: process.env.CLIP, size, fileType: 'video' }];
  const upload = page('upload');

  const done = upload.instance.pick();
  await until(() => upload.data.statuses.includes('InReview'), 'the video to be in review', 240);
  expect(upload.data.stage).toMatch(/In review/);
  const rejected = await operator(process.env.API_BASE)('POST', `/api/operator/videos/${upload.data.videoId}/review`, { decision: 'reject', reason: 'Not allowed here.' });
  expect(rejected.status).toBeLessThan(300);
  await done;

  expect(upload.data.statuses[upload.data.statuses.length - 1]).toBe('Rejected');
  expect(upload.data.stage).toContain('Not allowed here.');
  expect(upload.data.busy).toBe(false);
  expect(state.navigations).toEqual([]);
  expect(state.violations).toEqual([]);
}, 300_000); // a sample that polled for ever on InReview or Rejected fails here
