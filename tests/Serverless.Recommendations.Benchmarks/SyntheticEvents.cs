using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Feedback;

namespace Serverless.Recommendations.Benchmarks;

/// <summary>One generated event (a struct: 2M of them cost ~48 MB, no per-event objects).</summary>
internal readonly record struct GeneratedEvent(int User, int Video, EventType Type, float WatchedSeconds, long Ticks);

/// <summary>
/// A short-video workload with planted latent structure: videos belong to one of <c>topics</c> topics with Zipf
/// popularity inside each; each user has a main and a second topic (70/20%) and 10% of views go to globally popular
/// videos. A view emits impression → play (75%) → progress or complete → like (15%) / share (5%).
/// </summary>
internal sealed class SyntheticEvents
{
    public required GeneratedEvent[] Events { get; init; }

    public required string[] UserIds { get; init; }

    public required string[] VideoIds { get; init; }

    public required CatalogVideo[] Catalog { get; init; }

    public static SyntheticEvents Generate(int users, int videos, int events, DateTimeOffset now, int seed, int topics = 50)
    {
        var random = new Random(seed);
        var topicOf = new int[videos];
        var byTopic = Enumerable.Range(0, topics).Select(_ => new List<int>()).ToArray();
        for (var v = 0; v < videos; v++)
        {
            topicOf[v] = random.Next(topics);
            byTopic[topicOf[v]].Add(v);
        }

        var cumulative = byTopic.Select(list => Cumulative(list.Count, 0.9)).ToArray();
        var global = Cumulative(videos, 1.0);
        var globalOrder = Enumerable.Range(0, videos).ToArray();
        random.Shuffle(globalOrder);
        var list = new GeneratedEvent[events];
        var n = 0;
        var span = TimeSpan.FromDays(20).Ticks;
        for (var u = 0; n < events; u = (u + 1) % users)
        {
            var main = (u * 7919) % topics;
            var second = (main + 1 + (u % (topics - 1))) % topics;
            var views = 1 + (int)(-Math.Log(1 - random.NextDouble()) * 6);
            for (var k = 0; k < views && n < events; k++)
            {
                var r = random.NextDouble();
                int video;
                if (r < 0.1)
                {
                    video = globalOrder[Sample(global, random)];
                }
                else
                {
                    var topic = r < 0.8 ? main : second;
                    video = byTopic[topic][Sample(cumulative[topic], random)];
                }

                var t = now.UtcTicks - (long)(random.NextDouble() * span);
                Add(new GeneratedEvent(u, video, EventType.Impression, 0, t));
                if (random.NextDouble() < 0.75)
                {
                    Add(new GeneratedEvent(u, video, EventType.Play, 0, t + 1));
                    Add(random.NextDouble() < 0.4
                        ? new GeneratedEvent(u, video, EventType.Complete, 30, t + 2)
                        : new GeneratedEvent(u, video, EventType.Progress, (float)(30 * random.NextDouble()), t + 2));
                    if (random.NextDouble() < 0.15)
                    {
                        Add(new GeneratedEvent(u, video, EventType.Like, 0, t + 3));
                    }

                    if (random.NextDouble() < 0.05)
                    {
                        Add(new GeneratedEvent(u, video, EventType.Share, 0, t + 4));
                    }
                }
            }
        }

        var catalog = new CatalogVideo[videos];
        for (var v = 0; v < videos; v++)
        {
            // ~2% are uploads of the last two days.
            var age = random.NextDouble() < 0.02 ? TimeSpan.FromHours(random.NextDouble() * 40) : TimeSpan.FromDays(2 + (random.NextDouble() * 60));
            catalog[v] = new CatalogVideo("v" + v, "author" + random.Next(videos / 4), now - age, 30);
        }

        return new SyntheticEvents
        {
            Events = list,
            UserIds = [.. Enumerable.Range(0, users).Select(u => "u" + u)],
            VideoIds = [.. Enumerable.Range(0, videos).Select(v => "v" + v)],
            Catalog = catalog,
        };

        void Add(GeneratedEvent e)
        {
            if (n < list.Length)
            {
                list[n++] = e;
            }
        }
    }

    private static double[] Cumulative(int count, double exponent)
    {
        var c = new double[count];
        double sum = 0;
        for (var i = 0; i < count; i++)
        {
            sum += 1 / Math.Pow(i + 1, exponent);
            c[i] = sum;
        }

        for (var i = 0; i < count; i++)
        {
            c[i] /= sum;
        }

        return c;
    }

    private static int Sample(double[] cumulative, Random random)
    {
        var index = Array.BinarySearch(cumulative, random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, cumulative.Length - 1);
    }
}
