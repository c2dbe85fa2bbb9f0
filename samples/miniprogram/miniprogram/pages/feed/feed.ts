import { call, ApiError, type Schemas } from '../../lib/api';
import { track } from '../../lib/events';
import { inPool } from '../../lib/pool';

const GRANTS_IN_FLIGHT = 4;

type Tile = Schemas['RecommendedItem'] & { posterUrl?: string };

// A page built with the Component constructor (as WeChat allows): lifecycles and handlers are its methods.
Component({
  data: { items: [] as Tile[], message: 'Loading…' },

  methods: {
    async onShow() {
      try {
        const feed = await call('get', '/api/recommendations', {}, undefined, { count: 12 });
        const items: Tile[] = feed.items.map(item => ({ ...item }));
        this.setData({ items, message: items.length ? '' : 'Nothing to recommend yet.' });
        for (const item of items) track('impression', { videoId: item.videoId });
        // Posters come with each video's playback grant: a few at a time (WeChat runs at most 10 requests at once).
        await inPool(items, GRANTS_IN_FLIGHT, async (item, index) => {
          const grant = await call('get', '/api/videos/{videoId}/playback', { videoId: item.videoId });
          this.setData({ [`items[${index}].posterUrl`]: grant.posterUrl });
        });
      } catch (error) {
        this.setData({ message: error instanceof ApiError ? error.message : String(error) });
      }
    },

    open(event: WechatMiniprogram.BaseEvent) {
      const id = event.currentTarget.dataset['id'] as string;
      wx.navigateTo({ url: `/pages/player/player?videoId=${id}` });
    },
  },
});
