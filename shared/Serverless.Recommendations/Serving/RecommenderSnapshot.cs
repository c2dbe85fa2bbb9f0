using System.Text;
using Serverless.Recommendations.Algorithms;
using Serverless.Recommendations.Ranking;

namespace Serverless.Recommendations.Serving;

/// <summary>
/// An immutable trained model as served: ids, the training interactions (what each user already saw), the model,
/// popularity, the similar-videos graph and, when one is published, the ranker with each active user's ranked
/// candidates. Swapped atomically on reload; never mutated.
/// </summary>
internal sealed class RecommenderSnapshot
{
    private const int Magic = 0x4D524352; // "RCRM"
    private const int FormatVersion = 2; // 2 added the optional ranked feed; 1 is still read (no ranker)

    public RecommenderSnapshot(string version, DateTimeOffset createdAt, string[] userIds, string[] itemIds, RatingMatrix train, IRecommenderModel model, float[] popularity, NeighbourGraph similar, RankedFeed? ranked = null)
    {
        if (ranked is not null && ranked.UserCount != userIds.Length)
        {
            throw new InvalidDataException("The ranked lists do not cover the model's users.");
        }

        Version = version;
        CreatedAt = createdAt;
        UserIds = userIds;
        ItemIds = itemIds;
        Train = train;
        Model = model;
        Popularity = popularity;
        Similar = similar;
        Ranked = ranked;
        UserIndex = Index(userIds);
        ItemIndex = Index(itemIds);
        PopularOrder = [.. Enumerable.Range(0, itemIds.Length).OrderByDescending(i => popularity[i]).ThenBy(i => i)];
    }

    public string Version { get; }

    public DateTimeOffset CreatedAt { get; }

    public string[] UserIds { get; }

    public string[] ItemIds { get; }

    public Dictionary<string, int> UserIndex { get; }

    public Dictionary<string, int> ItemIndex { get; }

    public RatingMatrix Train { get; }

    public IRecommenderModel Model { get; }

    public float[] Popularity { get; }

    /// <summary>Item indices, most popular first.</summary>
    public int[] PopularOrder { get; }

    public NeighbourGraph Similar { get; }

    /// <summary>The ranker and its precomputed lists, or null: serving then uses the CF order.</summary>
    public RankedFeed? Ranked { get; }

    public void Write(Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(Version);
        writer.Write(CreatedAt.UtcTicks);
        writer.Write(Model.Algorithm);
        ModelIo.WriteStrings(writer, UserIds);
        ModelIo.WriteStrings(writer, ItemIds);
        ModelIo.WriteArray(writer, Train.RowPtr);
        ModelIo.WriteArray(writer, Train.Cols);
        ModelIo.WriteArray(writer, Train.Values);
        ModelIo.WriteArray(writer, Popularity);
        ModelIo.WriteArray(writer, Similar.Ptr);
        ModelIo.WriteArray(writer, Similar.Neighbours);
        ModelIo.WriteArray(writer, Similar.Weights);
        Model.Write(writer);
        writer.Write(Ranked is not null);
        Ranked?.Write(writer);
    }

    public static RecommenderSnapshot Read(Stream stream)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var format = reader.ReadInt32() == Magic ? reader.ReadInt32() : -1;
        if (format is not (1 or FormatVersion))
        {
            throw new InvalidDataException("Not a recommender model blob of a known format.");
        }

        var version = reader.ReadString();
        var createdAt = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
        var algorithm = reader.ReadString();
        var users = ModelIo.ReadStrings(reader);
        var items = ModelIo.ReadStrings(reader);
        var train = RatingMatrix.FromCsr(users.Length, items.Length, ModelIo.ReadInts(reader), ModelIo.ReadInts(reader), ModelIo.ReadFloats(reader));
        var popularity = ModelIo.ReadFloats(reader);
        var similar = new NeighbourGraph(ModelIo.ReadInts(reader), ModelIo.ReadInts(reader), ModelIo.ReadFloats(reader));
        var model = ModelReader.Read(algorithm, reader, train);
        var ranked = format >= 2 && reader.ReadBoolean() ? RankedFeed.Read(reader) : null;
        if (popularity.Length != items.Length || similar.Ptr.Length != items.Length + 1 || model.UserCount != users.Length || model.ItemCount != items.Length)
        {
            throw new InvalidDataException("The model blob's parts disagree on sizes.");
        }

        return new RecommenderSnapshot(version, createdAt, users, items, train, model, popularity, similar, ranked);
    }

    private static Dictionary<string, int> Index(string[] ids)
    {
        var map = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (var k = 0; k < ids.Length; k++)
        {
            map[ids[k]] = k;
        }

        return map;
    }
}

/// <summary>The model currently served; a volatile reference swapped whole.</summary>
internal sealed class ModelHolder
{
    private volatile RecommenderSnapshot? _current;

    public RecommenderSnapshot? Current => _current;

    public void Swap(RecommenderSnapshot snapshot) => _current = snapshot;
}
