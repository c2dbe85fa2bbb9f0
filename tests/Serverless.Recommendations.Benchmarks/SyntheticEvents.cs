using Serverless.Recommendations.Catalog;
using Serverless.Recommendations.Feedback;

namespace Serverless.Recommendations.Benchmarks;

/// <summary>One generated event (a struct: 2M of them cost ~48 MB, no per-event objects).</summary>
internal readonly record struct GeneratedEvent(int User, int Video, EventType Type, float WatchedSeconds, long Ticks);

/// <summary>
/// A short-video workload with planted structure, simulated in time order over the last <see cref="Days"/> days.
/// <para>The catalog: every video has a topic (Zipf popularity inside each of <c>topics</c>), an author (authors mostly
/// upload in one topic), an upload time spread over the last 40 days, a duration of 15–90 s and an intrinsic quality
/// (how likely a viewer finishes it).</para>
/// <para>The users: a main and a second topic, a few followed authors (mostly of their main topic) and an activity
/// level (log-normal: a few heavy users, many light ones).</para>
/// <para>The logging feed, one session at a time: each slot shows a video from the user's main topic (55%), second topic
/// (15%), a followed author (10%), what is trending globally (10%) or anything (10%, exploration). Within a source, a
/// video is picked by its popularity times its lifecycle: interest decays with age since upload (0.15 + 0.85·e^(−age/3 d)),
/// as short-video views do, and nothing is shown before its upload.</para>
/// <para>The user's response to each impression: a play with probability 0.08 + 0.5·topic match + 0.25·(followed author),
/// halved by every earlier impression of the same video (fatigue); then completion with the video's quality, else
/// progress to a random point; a like (more likely after a completion and for good videos) and a rarer share.</para>
/// These are ordinary short-video effects (time, creators, quality, fatigue, heterogeneous activity), not a copy of any
/// model's features: the previous version had none of them (every impression drew a video from the user's taste, all
/// times uniform, catalog ages unrelated to the events), so nothing but co-occurrence could be learnt from it.
/// </summary>
internal sealed class SyntheticEvents
{
    public const int Days = 20;
    private const int BucketHours = 6;
    private const double LifecycleDays = 3;

    public required GeneratedEvent[] Events { get; init; }

    public required string[] UserIds { get; init; }

    public required string[] VideoIds { get; init; }

    public required CatalogVideo[] Catalog { get; init; }

    public static SyntheticEvents Generate(int users, int videos, int events, DateTimeOffset now, int seed, int topics = 50)
    {
        // The catalog first, from its own stream, so it is the same whatever the number of events.
        var world = World.Create(users, videos, now, new Random(seed), topics);
        var list = events > 1 ? world.Simulate(events, new Random(seed + 1)) : [];
        return new SyntheticEvents
        {
            Events = list,
            UserIds = [.. Enumerable.Range(0, users).Select(u => "u" + u)],
            VideoIds = [.. Enumerable.Range(0, videos).Select(v => "v" + v)],
            Catalog = world.Catalog,
        };
    }

    private static double Lifecycle(double ageDays) => ageDays < 0 ? 0 : 0.15 + (0.85 * Math.Exp(-ageDays / LifecycleDays));

    private static int Sample(double[] cumulative, Random random)
    {
        var total = cumulative[^1];
        if (total <= 0)
        {
            return -1;
        }

        var index = Array.BinarySearch(cumulative, random.NextDouble() * total);
        return Math.Min(index < 0 ? ~index : index, cumulative.Length - 1);
    }

    private sealed class World
    {
        public required CatalogVideo[] Catalog { get; init; }

        public required int Topics { get; init; }

        public required int[] TopicOf { get; init; }

        public required double[] Quality { get; init; }

        public required long[] UploadTicks { get; init; }

        public required int[] AuthorOf { get; init; }

        public required List<int>[] VideosOfAuthor { get; init; }

        public required int[][] Follows { get; init; }

        public required double[] Activity { get; init; }

        public required List<int>[] ByTopic { get; init; }

        public required double[] BasePopularity { get; init; }

        public required long Start { get; init; }

        public required long End { get; init; }

        public static World Create(int users, int videos, DateTimeOffset now, Random random, int topics)
        {
            var authors = Math.Max(1, videos / 4);
            var authorTopic = new int[authors];
            var authorsOfTopic = Enumerable.Range(0, topics).Select(_ => new List<int>()).ToArray();
            for (var a = 0; a < authors; a++)
            {
                authorTopic[a] = random.Next(topics);
                authorsOfTopic[authorTopic[a]].Add(a);
            }

            var topicOf = new int[videos];
            var authorOf = new int[videos];
            var quality = new double[videos];
            var upload = new long[videos];
            var byTopic = Enumerable.Range(0, topics).Select(_ => new List<int>()).ToArray();
            var byAuthor = Enumerable.Range(0, authors).Select(_ => new List<int>()).ToArray();
            var catalog = new CatalogVideo[videos];
            for (var v = 0; v < videos; v++)
            {
                authorOf[v] = random.Next(authors);
                topicOf[v] = random.NextDouble() < 0.8 ? authorTopic[authorOf[v]] : random.Next(topics);
                quality[v] = 0.15 + (0.7 * random.NextDouble());
                var age = TimeSpan.FromHours(1 + (random.NextDouble() * 40 * 24));
                upload[v] = (now - age).UtcTicks;
                var duration = 15 + random.Next(76);
                byTopic[topicOf[v]].Add(v);
                byAuthor[authorOf[v]].Add(v);
                catalog[v] = new CatalogVideo("v" + v, "author" + authorOf[v], now - age, duration);
            }

            // Popularity inside each topic: Zipf over a random order of its videos.
            var basePopularity = new double[videos];
            foreach (var list in byTopic)
            {
                var order = list.ToArray();
                random.Shuffle(order);
                for (var k = 0; k < order.Length; k++)
                {
                    basePopularity[order[k]] = 1 / Math.Pow(k + 1, 0.9);
                }
            }

            var follows = new int[users][];
            var activity = new double[users];
            for (var u = 0; u < users; u++)
            {
                var main = (u * 7919) % topics;
                var second = (main + 1 + (u % Math.Max(1, topics - 1))) % topics;
                var followed = new List<int>();
                for (var k = 0; k < 5; k++)
                {
                    var pool = authorsOfTopic[k < 4 ? main : second];
                    if (pool.Count > 0)
                    {
                        followed.Add(pool[random.Next(pool.Count)]);
                    }
                }

                follows[u] = [.. followed.Distinct()];
                activity[u] = Math.Exp(NextGaussian(random));
            }

            return new World
            {
                Catalog = catalog,
                Topics = topics,
                TopicOf = topicOf,
                Quality = quality,
                UploadTicks = upload,
                AuthorOf = authorOf,
                VideosOfAuthor = byAuthor,
                Follows = follows,
                Activity = activity,
                ByTopic = byTopic,
                BasePopularity = basePopularity,
                Start = (now - TimeSpan.FromDays(Days)).UtcTicks,
                End = now.UtcTicks,
            };
        }

        public GeneratedEvent[] Simulate(int events, Random random)
        {
            var users = Activity.Length;
            var bucketTicks = TimeSpan.FromHours(BucketHours).Ticks;
            var buckets = (int)((End - Start + bucketTicks - 1) / bucketTicks);

            // Per (bucket, topic) and per bucket (trending): cumulative pick weights = popularity × lifecycle at the bucket's middle.
            var topicTables = new double[buckets][][];
            var trendTables = new double[buckets][];
            for (var b = 0; b < buckets; b++)
            {
                var middle = Start + (b * bucketTicks) + (bucketTicks / 2);
                topicTables[b] = new double[Topics][];
                for (var t = 0; t < Topics; t++)
                {
                    topicTables[b][t] = Weights(ByTopic[t], middle, 1);
                }

                trendTables[b] = Weights(Enumerable.Range(0, TopicOf.Length).ToList(), middle, 0.7);
            }

            var userCumulative = new double[users];
            double sum = 0;
            for (var u = 0; u < users; u++)
            {
                sum += Activity[u];
                userCumulative[u] = sum;
            }

            // A pilot estimates events per session so that the whole period (up to its last day) is simulated.
            var shown = new Dictionary<long, int>();
            var pilot = new List<GeneratedEvent>();
            for (var s = 0; s < 2000; s++)
            {
                Session(Sample(userCumulative, random), Start + (long)(random.NextDouble() * (End - Start)), random, topicTables, trendTables, bucketTicks, shown, pilot);
            }

            var sessions = (int)Math.Ceiling(events / Math.Max(1.0, pilot.Count / 2000.0));
            var starts = new (long Ticks, int User)[sessions];
            for (var s = 0; s < sessions; s++)
            {
                starts[s] = (Start + (long)(random.NextDouble() * (End - Start - TimeSpan.FromMinutes(30).Ticks)), Sample(userCumulative, random));
            }

            Array.Sort(starts, (a, b) => a.Ticks.CompareTo(b.Ticks));
            shown.Clear();
            var list = new List<GeneratedEvent>(events + (events / 10));
            foreach (var (ticks, user) in starts)
            {
                Session(user, ticks, random, topicTables, trendTables, bucketTicks, shown, list);
            }

            return [.. list];
        }

        private double[] Weights(List<int> videos, long at, double exponent)
        {
            var c = new double[videos.Count];
            double sum = 0;
            for (var k = 0; k < videos.Count; k++)
            {
                var v = videos[k];
                sum += Math.Pow(BasePopularity[v], exponent) * Lifecycle((at - UploadTicks[v]) / (double)TimeSpan.TicksPerDay);
                c[k] = sum;
            }

            return c;
        }

        private void Session(int user, long start, Random random, double[][][] topicTables, double[][] trendTables, long bucketTicks, Dictionary<long, int> shown, List<GeneratedEvent> output)
        {
            var main = (user * 7919) % Topics;
            var second = (main + 1 + (user % Math.Max(1, Topics - 1))) % Topics;
            var bucket = (int)Math.Min(trendTables.Length - 1, (start - Start) / bucketTicks);
            var views = 1 + (int)(-Math.Log(1 - random.NextDouble()) * 6);
            var t = start;
            for (var k = 0; k < views; k++)
            {
                var r = random.NextDouble();
                var video = -1;
                if (r < 0.55 || (r >= 0.8 && r < 0.9 && Follows[user].Length == 0))
                {
                    video = Pick(ByTopic[main], topicTables[bucket][main], random);
                }
                else if (r < 0.7)
                {
                    video = Pick(ByTopic[second], topicTables[bucket][second], random);
                }
                else if (r < 0.8 && Follows[user].Length > 0)
                {
                    var mine = VideosOfAuthor[Follows[user][random.Next(Follows[user].Length)]];
                    if (mine.Count > 0)
                    {
                        video = Pick(mine, Weights(mine, t, 0), random);
                    }
                }
                else if (r < 0.9)
                {
                    var index = Sample(trendTables[bucket], random);
                    video = index;
                }
                else
                {
                    video = random.Next(TopicOf.Length);
                }

                if (video < 0 || UploadTicks[video] > t)
                {
                    continue;
                }

                var key = ((long)user << 32) | (uint)video;
                var before = shown.GetValueOrDefault(key);
                shown[key] = before + 1;
                output.Add(new GeneratedEvent(user, video, EventType.Impression, 0, t));
                var match = TopicOf[video] == main ? 1.0 : TopicOf[video] == second ? 0.6 : 0.05;
                var followed = Array.IndexOf(Follows[user], AuthorOf[video]) >= 0 ? 1.0 : 0.0;
                var play = (0.08 + (0.5 * match) + (0.25 * followed)) * Math.Pow(0.5, before);
                var duration = Catalog[video].DurationSeconds;
                var watched = 2.0;
                if (random.NextDouble() < play)
                {
                    output.Add(new GeneratedEvent(user, video, EventType.Play, 0, t + TimeSpan.TicksPerSecond));
                    var complete = random.NextDouble() < Quality[video] * (0.7 + (0.3 * match));
                    watched = complete ? duration : duration * (0.05 + (0.8 * random.NextDouble()));
                    var at = t + (long)(watched * TimeSpan.TicksPerSecond);
                    output.Add(complete
                        ? new GeneratedEvent(user, video, EventType.Complete, (float)duration, at)
                        : new GeneratedEvent(user, video, EventType.Progress, (float)watched, at));
                    var like = complete ? 0.1 + (0.3 * Quality[video]) + (0.1 * followed) : 0.03;
                    if (random.NextDouble() < like)
                    {
                        output.Add(new GeneratedEvent(user, video, EventType.Like, 0, at + TimeSpan.TicksPerSecond));
                    }

                    if (random.NextDouble() < 0.02 + (0.05 * Quality[video]))
                    {
                        output.Add(new GeneratedEvent(user, video, EventType.Share, 0, at + (2 * TimeSpan.TicksPerSecond)));
                    }
                }

                t += (long)((watched + 3) * TimeSpan.TicksPerSecond);
                if (t >= End)
                {
                    return;
                }
            }
        }

        private static int Pick(List<int> videos, double[] cumulative, Random random)
        {
            var index = Sample(cumulative, random);
            return index < 0 ? -1 : videos[index];
        }

        private static double NextGaussian(Random random) =>
            Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }
}
