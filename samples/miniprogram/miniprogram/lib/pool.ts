// WeChat runs at most 10 wx.request/wx.uploadFile calls at once and fails the rest: every fan-out goes through here.

/**
 * Runs `work` for every item with at most `limit` at once. The first failure rejects; after it no further item starts
 * (the ones running finish on their own).
 */
export async function inPool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(workers);
}
