using Serverless.Recommendations.Algorithms;

namespace Serverless.Recommendations.Ranking;

/// <summary>Where a ranked candidate came from; served as the item's reason (<c>cf</c>, <c>popular</c>, <c>fresh</c>).</summary>
internal enum CandidateSource : byte
{
    Cf = 0,
    Popular = 1,
    Fresh = 2,
}

/// <summary>
/// The ranker as published in the model blob: its trees, and each active user's candidates already ranked by it at
/// training time (best first), so serving only looks a list up and applies the feed rules. A user without a list is
/// served the CF order.
/// </summary>
internal sealed class RankedFeed
{
    private const int Magic = 0x44464B52; // "RKFD"

    public RankedFeed(TreeEnsemble ranker, string[] itemIds, int[] userPtr, int[] items, float[] scores, byte[] sources)
    {
        if (items.Length != scores.Length || items.Length != sources.Length || userPtr.Length == 0 || userPtr[^1] != items.Length)
        {
            throw new InvalidDataException("The ranked lists disagree on sizes.");
        }

        for (var u = 0; u + 1 < userPtr.Length; u++)
        {
            if (userPtr[u] > userPtr[u + 1] || userPtr[u] < 0)
            {
                throw new InvalidDataException("The ranked lists are malformed.");
            }
        }

        foreach (var item in items)
        {
            if ((uint)item >= (uint)itemIds.Length)
            {
                throw new InvalidDataException("A ranked list names an unknown video.");
            }
        }

        Ranker = ranker;
        ItemIds = itemIds;
        UserPtr = userPtr;
        Items = items;
        Scores = scores;
        Sources = sources;
    }

    public TreeEnsemble Ranker { get; }

    /// <summary>The videos the lists refer to (they include fresh uploads the CF model does not know).</summary>
    public string[] ItemIds { get; }

    /// <summary>Per snapshot user: the start of its list in <see cref="Items"/> (length users + 1).</summary>
    public int[] UserPtr { get; }

    public int[] Items { get; }

    public float[] Scores { get; }

    public byte[] Sources { get; }

    public int UserCount => UserPtr.Length - 1;

    public int ListUsers
    {
        get
        {
            var n = 0;
            for (var u = 0; u < UserCount; u++)
            {
                n += UserPtr[u + 1] > UserPtr[u] ? 1 : 0;
            }

            return n;
        }
    }

    public ReadOnlySpan<int> ItemsOf(int user) => (uint)user < (uint)UserCount ? Items.AsSpan(UserPtr[user], UserPtr[user + 1] - UserPtr[user]) : [];

    public void Write(BinaryWriter writer)
    {
        writer.Write(Magic);
        Ranker.Write(writer);
        ModelIo.WriteStrings(writer, ItemIds);
        ModelIo.WriteArray(writer, UserPtr);
        ModelIo.WriteArray(writer, Items);
        ModelIo.WriteArray(writer, Scores);
        writer.Write(Sources.Length);
        writer.Write(Sources);
    }

    public static RankedFeed Read(BinaryReader reader)
    {
        if (reader.ReadInt32() != Magic)
        {
            throw new InvalidDataException("Not a ranked-feed section of a known format.");
        }

        var ranker = TreeEnsemble.Read(reader);
        var itemIds = ModelIo.ReadStrings(reader);
        var userPtr = ModelIo.ReadInts(reader);
        var items = ModelIo.ReadInts(reader);
        var scores = ModelIo.ReadFloats(reader);
        var length = reader.ReadInt32();
        var sources = length is >= 0 and <= 1 << 28 ? reader.ReadBytes(length) : throw new InvalidDataException("The model blob holds an array of impossible length.");
        if (sources.Length != length)
        {
            throw new InvalidDataException("The model blob is truncated.");
        }

        return new RankedFeed(ranker, itemIds, userPtr, items, scores, sources);
    }
}
