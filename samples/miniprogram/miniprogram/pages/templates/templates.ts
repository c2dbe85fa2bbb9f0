import { track } from '../../lib/events';
import { cachedTemplates, expandTimeline, syncTemplates, type Template } from '../../lib/templates';
import type { Schemas } from '../../lib/api';

Component({
  data: { version: null as number | null, templates: [] as Template[], nodes: [] as Schemas['TimelineNode'][], imageCount: 3 },

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
  },
});
