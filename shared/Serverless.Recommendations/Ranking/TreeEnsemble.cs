using Serverless.Recommendations.Algorithms;

namespace Serverless.Recommendations.Ranking;

/// <summary>
/// A trained ranker as plain arrays: boosted regression trees exported from the LightGBM model, evaluated by a small
/// allocation-free loop (no ML.NET at serving or scoring time). Node n of tree t sits at <c>NodeStart[t] + n</c>: go left
/// when <c>features[Feature] &lt;= Threshold</c>, else right; a negative child ~k is leaf k of the tree, whose value (tree
/// weight included) is at <c>LeafStart[t] + k</c>. The score is <see cref="Bias"/> plus one leaf per tree.
/// </summary>
internal sealed class TreeEnsemble
{
    private const int Magic = 0x4B4E5254; // "TRNK"

    public TreeEnsemble(string version, string[] featureNames, string[] candidateModels, float bias, int[] nodeStart, int[] leafStart, int[] feature, float[] threshold, int[] left, int[] right, float[] leaves)
    {
        if (nodeStart.Length != leafStart.Length || feature.Length != threshold.Length || feature.Length != left.Length || feature.Length != right.Length)
        {
            throw new InvalidDataException("The ranker's tree arrays disagree on sizes.");
        }

        for (var n = 0; n < feature.Length; n++)
        {
            if ((uint)feature[n] >= (uint)featureNames.Length)
            {
                throw new InvalidDataException("The ranker splits on a feature it does not name.");
            }
        }

        Version = version;
        FeatureNames = featureNames;
        CandidateModels = candidateModels;
        Bias = bias;
        NodeStart = nodeStart;
        LeafStart = leafStart;
        Feature = feature;
        Threshold = threshold;
        Left = left;
        Right = right;
        Leaves = leaves;
    }

    /// <summary>The training run that produced it (a published ranker can outlive several CF versions).</summary>
    public string Version { get; }

    public string[] FeatureNames { get; }

    /// <summary>The CF models whose score and rank are its first features, in order.</summary>
    public string[] CandidateModels { get; }

    public float Bias { get; }

    public int[] NodeStart { get; }

    public int[] LeafStart { get; }

    public int[] Feature { get; }

    public float[] Threshold { get; }

    public int[] Left { get; }

    public int[] Right { get; }

    public float[] Leaves { get; }

    public int TreeCount => NodeStart.Length;

    /// <summary>Whether features computed with <paramref name="names"/> can be scored by this ranker.</summary>
    public bool Accepts(IReadOnlyList<string> names) => names.SequenceEqual(FeatureNames, StringComparer.Ordinal);

    public float Score(ReadOnlySpan<float> features)
    {
        var score = Bias;
        var feature = Feature;
        var threshold = Threshold;
        var left = Left;
        var right = Right;
        for (var t = 0; t < NodeStart.Length; t++)
        {
            var start = NodeStart[t];
            var hasNodes = (t + 1 < NodeStart.Length ? NodeStart[t + 1] : feature.Length) > start;
            var node = hasNodes ? 0 : -1;
            while (node >= 0)
            {
                var at = start + node;
                node = features[feature[at]] <= threshold[at] ? left[at] : right[at];
            }

            score += Leaves[LeafStart[t] + ~node];
        }

        return score;
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Magic);
        writer.Write(Version);
        ModelIo.WriteStrings(writer, FeatureNames);
        ModelIo.WriteStrings(writer, CandidateModels);
        writer.Write(Bias);
        ModelIo.WriteArray(writer, NodeStart);
        ModelIo.WriteArray(writer, LeafStart);
        ModelIo.WriteArray(writer, Feature);
        ModelIo.WriteArray(writer, Threshold);
        ModelIo.WriteArray(writer, Left);
        ModelIo.WriteArray(writer, Right);
        ModelIo.WriteArray(writer, Leaves);
    }

    public static TreeEnsemble Read(BinaryReader reader)
    {
        if (reader.ReadInt32() != Magic)
        {
            throw new InvalidDataException("Not a ranker section of a known format.");
        }

        var ensemble = new TreeEnsemble(
            reader.ReadString(), ModelIo.ReadStrings(reader), ModelIo.ReadStrings(reader), reader.ReadSingle(),
            ModelIo.ReadInts(reader), ModelIo.ReadInts(reader), ModelIo.ReadInts(reader), ModelIo.ReadFloats(reader),
            ModelIo.ReadInts(reader), ModelIo.ReadInts(reader), ModelIo.ReadFloats(reader));
        ensemble.Validate();
        return ensemble;
    }

    /// <summary>Every child points inside its tree and every leaf exists, so <see cref="Score"/> cannot run off an array or loop.</summary>
    private void Validate()
    {
        for (var t = 0; t < NodeStart.Length; t++)
        {
            var start = NodeStart[t];
            var end = t + 1 < NodeStart.Length ? NodeStart[t + 1] : Feature.Length;
            var leafEnd = t + 1 < LeafStart.Length ? LeafStart[t + 1] : Leaves.Length;
            if (start > end || LeafStart[t] >= leafEnd)
            {
                throw new InvalidDataException("The ranker's trees are malformed.");
            }

            for (var n = start; n < end; n++)
            {
                foreach (var child in (ReadOnlySpan<int>)[Left[n], Right[n]])
                {
                    // Children point forward (the root is node 0), so a walk always ends at a leaf.
                    var ok = child >= 0 ? child > n - start && start + child < end : LeafStart[t] + ~child < leafEnd;
                    if (!ok)
                    {
                        throw new InvalidDataException("The ranker's trees are malformed.");
                    }
                }
            }
        }
    }
}
