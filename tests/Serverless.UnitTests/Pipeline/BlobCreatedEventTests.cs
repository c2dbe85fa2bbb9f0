using Serverless.Videos;

namespace Serverless.UnitTests.Pipeline;

public sealed class BlobCreatedEventTests
{
    [Fact]
    public void TryParse_EventGridSchema_ReturnsContainerAndBlob()
    {
        const string body = """
            {"topic":"/subscriptions/x/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a",
             "subject":"/blobServices/default/containers/uploads/blobs/0123/source",
             "eventType":"Microsoft.Storage.BlobCreated","id":"1","data":{"api":"PutBlob","url":"https://a.blob.core.windows.net/uploads/0123/source"},
             "dataVersion":"","metadataVersion":"1","eventTime":"2026-11-21T00:00:00Z"}
            """;

        Assert.True(BlobCreatedEvent.TryParse(body, out var container, out var blob));
        Assert.Equal("uploads", container);
        Assert.Equal("0123/source", blob);
    }

    [Fact]
    public void TryParse_CloudEventSchema_ReturnsContainerAndBlob()
    {
        const string body = """{"specversion":"1.0","type":"Microsoft.Storage.BlobCreated","source":"/x","id":"1","subject":"/blobServices/default/containers/uploads/blobs/a/source","data":{}}""";

        Assert.True(BlobCreatedEvent.TryParse(body, out var container, out var blob));
        Assert.Equal(("uploads", "a/source"), (container, blob));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("[1,2]")]
    [InlineData("""{"eventType":"Microsoft.Storage.BlobDeleted","subject":"/blobServices/default/containers/uploads/blobs/a"}""")]
    [InlineData("""{"eventType":"Microsoft.Storage.BlobCreated","subject":"/elsewhere"}""")]
    [InlineData("""{"eventType":"Microsoft.Storage.BlobCreated","subject":"/blobServices/default/containers/uploads/blobs/"}""")]
    public void TryParse_NotABlobCreatedEvent_ReturnsFalse(string body)
    {
        Assert.False(BlobCreatedEvent.TryParse(body, out _, out _));
    }
}
