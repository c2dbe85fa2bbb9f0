using Microsoft.AspNetCore.Http;
using Serverless.Identity;
using Serverless.Videos;

namespace Serverless.UnitTests.Videos;

/// <summary>How a declared size is cut into chunks, and how the chunks' block ids are told apart.</summary>
public sealed class ChunkPlanTests
{
    [Theory]
    [InlineData(1L, 65536, 1, 1)]
    [InlineData(65536L, 65536, 1, 65536)]
    [InlineData(65537L, 65536, 2, 1)]
    [InlineData(300_000_000L, 4194304, 72, 300_000_000 - (71L * 4194304))]
    public void ChunkCountAndLastChunk_CoverTheDeclaredSizeExactly(long size, int chunk, int count, long last)
    {
        var plan = ChunkPlan.For(size, chunk);

        Assert.Equal(count, plan.ChunkCount);
        Assert.Equal(last, plan.SizeOf(count - 1));
        Assert.Equal(size, Enumerable.Range(0, count).Sum(i => (long)plan.SizeOf(i)));
        Assert.True(plan.Contains(count - 1));
        Assert.False(plan.Contains(count));
        Assert.False(plan.Contains(-1));
    }

    [Fact]
    public void AFileNeedingMoreThanABlockBlobsBlocks_GetsLargerChunks()
    {
        var plan = ChunkPlan.For(10L * 1024 * 1024 * 1024, 65536);

        Assert.True(plan.ChunkCount <= ChunkPlan.MaxBlocks);
        Assert.True(plan.ChunkSize > 65536);
    }

    [Fact]
    public void BlockIds_HaveOneLength_AndNameTheirChunkOnlyUnderTheSameChunkSize()
    {
        var plan = ChunkPlan.For(1_000_000, 65536);
        var ids = Enumerable.Range(0, plan.ChunkCount).Select(plan.BlockId).ToList();

        Assert.Single(ids.Select(i => i.Length).Distinct());
        Assert.Equal(Enumerable.Range(0, plan.ChunkCount), ids.Select(i => plan.IndexOf(i)!.Value));
        Assert.Null(ChunkPlan.For(1_000_000, 131072).IndexOf(ids[0]));
        Assert.Null(plan.IndexOf(ChunkPlan.For(100_000_000, 65536).BlockId(plan.ChunkCount)));
        Assert.Null(plan.IndexOf("not base64!"));
        Assert.Null(plan.IndexOf(Convert.ToBase64String(new byte[16])));
    }

    [Theory]
    [InlineData("POST", "/api/uploads", RateLimitPolicies.Uploads)]
    [InlineData("POST", "/api/uploads/v1/file", RateLimitPolicies.Uploads)]
    [InlineData("PUT", "/api/uploads/v1/chunks/7", RateLimitPolicies.Chunks)]
    [InlineData("GET", "/api/uploads/v1/chunks", RateLimitPolicies.Chunks)]
    [InlineData("POST", "/api/uploads/v1/complete", RateLimitPolicies.Chunks)]
    [InlineData("POST", "/api/uploads/chunks", RateLimitPolicies.Uploads)]
    public void ChunkRequests_HaveTheirOwnRateLimitClass(string method, string path, string expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;

        Assert.Equal(expected, RateLimitPolicies.Classify(context.Request));
    }
}
