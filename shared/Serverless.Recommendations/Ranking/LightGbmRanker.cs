using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.LightGbm;

namespace Serverless.Recommendations.Ranking;

/// <summary>One training row: a candidate's features, its graded label, and its group (one user at one cut).</summary>
internal sealed class RankerRow
{
    public float Label { get; set; }

    public uint Group { get; set; }

    public float[] Features { get; set; } = [];
}

/// <summary>
/// Trains a LightGBM LambdaRank model with ML.NET on grouped rows and exports its trees to a <see cref="TreeEnsemble"/>.
/// LightGBM's OpenMP threads busy-wait by default: <see cref="PrepareNativeRuntime"/> sets <c>OMP_WAIT_POLICY=passive</c>
/// in the process environment before the native library first loads, and the thread count is explicit.
/// </summary>
internal static partial class LightGbmRanker
{
    private static int _prepared;

    /// <summary>Trains and exports the trees; <paramref name="gains"/> gets each feature's total split gain (LightGBM's importance).</summary>
    public static TreeEnsemble Train(IReadOnlyList<RankerRow> rows, string[] featureNames, string[] candidateModels, RankerOptions o, int seed, string version, out float[] gains)
    {
        var model = Fit(rows, featureNames.Length, o, seed).LastTransformer.Model;
        var weights = default(VBuffer<float>);
        model.GetFeatureWeights(ref weights);
        gains = new float[featureNames.Length];
        weights.CopyTo(gains);
        return Export(model.TrainedTreeEnsemble, featureNames, candidateModels, version);
    }

    /// <summary>The ML.NET model itself (the tests compare its predictions with the exported trees').</summary>
    internal static TransformerChain<RankingPredictionTransformer<LightGbmRankingModelParameters>> Fit(IReadOnlyList<RankerRow> rows, int featureCount, RankerOptions o, int seed)
    {
        PrepareNativeRuntime();
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(RankerRow));
        schema[nameof(RankerRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("GroupKey", nameof(RankerRow.Group))
            .Append(ml.Ranking.Trainers.LightGbm(new LightGbmRankingTrainer.Options
            {
                LabelColumnName = nameof(RankerRow.Label),
                FeatureColumnName = nameof(RankerRow.Features),
                RowGroupColumnName = "GroupKey",
                NumberOfIterations = o.Trees,
                NumberOfLeaves = o.Leaves,
                MinimumExampleCountPerLeaf = o.MinExamplesPerLeaf,
                LearningRate = o.LearningRate,
                NumberOfThreads = o.Threads,
                Seed = seed,
                Deterministic = true,
                Silent = true,
                Verbose = false,
            }));
        return pipeline.Fit(data);
    }

    /// <summary>ML.NET's view of the trees → flat arrays; leaf values carry their tree's weight.</summary>
    public static TreeEnsemble Export(Microsoft.ML.Trainers.FastTree.RegressionTreeEnsemble ensemble, string[] featureNames, string[] candidateModels, string version)
    {
        var nodeStart = new List<int>();
        var leafStart = new List<int>();
        var feature = new List<int>();
        var threshold = new List<float>();
        var left = new List<int>();
        var right = new List<int>();
        var leaves = new List<float>();
        for (var t = 0; t < ensemble.Trees.Count; t++)
        {
            var tree = ensemble.Trees[t];
            var weight = ensemble.TreeWeights[t];
            nodeStart.Add(feature.Count);
            leafStart.Add(leaves.Count);
            for (var n = 0; n < tree.NumberOfNodes; n++)
            {
                if (tree.CategoricalSplitFlags[n])
                {
                    throw new InvalidOperationException("The ranker uses only numeric features; a categorical split cannot be exported.");
                }

                feature.Add(tree.NumericalSplitFeatureIndexes[n]);
                threshold.Add(tree.NumericalSplitThresholds[n]);
                left.Add(tree.LeftChild[n]);
                right.Add(tree.RightChild[n]);
            }

            foreach (var value in tree.LeafValues)
            {
                leaves.Add((float)(value * weight));
            }
        }

        return new TreeEnsemble(version, featureNames, candidateModels, (float)ensemble.Bias, [.. nodeStart], [.. leafStart], [.. feature], [.. threshold], [.. left], [.. right], [.. leaves]);
    }

    /// <summary>
    /// Sets <c>OMP_WAIT_POLICY=passive</c> (unless already set) in the native environment, which the OpenMP runtime reads
    /// when it loads. <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach native code on Unix,
    /// hence setenv(3).
    /// </summary>
    public static void PrepareNativeRuntime()
    {
        if (Interlocked.Exchange(ref _prepared, 1) != 0 || !OperatingSystem.IsLinux())
        {
            return;
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY")))
        {
            _ = SetEnv("OMP_WAIT_POLICY", "passive", 0);
            Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "passive");
        }
    }

    /// <summary>A variable as native code sees it (getenv(3)); null when unset or not on Linux.</summary>
    internal static string? NativeEnvironment(string name) =>
        OperatingSystem.IsLinux() ? Marshal.PtrToStringUTF8(GetEnv(name)) : null;

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetEnv(string name);
}
