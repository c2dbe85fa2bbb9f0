namespace Serverless.Recommendations.Algorithms;

/// <summary>Reads a model written by <see cref="IRecommenderModel.Write"/>, by its algorithm name.</summary>
internal static class ModelReader
{
    /// <param name="train">The training matrix the snapshot stores once (neighbourhood and item-item models score from it).</param>
    public static IRecommenderModel Read(string algorithm, BinaryReader reader, RatingMatrix train) => algorithm switch
    {
        AlgorithmNames.Popularity => PopularityModel.Read(reader),
        AlgorithmNames.UserKnn or AlgorithmNames.ItemKnn or AlgorithmNames.UserKnnBaseline or AlgorithmNames.ItemKnnBaseline => KnnModel.Read(algorithm, reader, train),
        AlgorithmNames.BiasedMf or AlgorithmNames.ImplicitAls or AlgorithmNames.SvdPlusPlus or AlgorithmNames.BayesianSvdPlusPlus => FactorModel.Read(algorithm, reader),
        AlgorithmNames.Ease => EaseModel.Read(reader, train),
        AlgorithmNames.Blend => BlendModel.Read(reader, train),
        _ => throw new InvalidDataException($"The model blob holds an unknown algorithm '{algorithm}'."),
    };
}
