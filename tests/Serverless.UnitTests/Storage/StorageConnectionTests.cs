using Azure;
using Serverless.Storage;

namespace Serverless.UnitTests.Storage;

public sealed class StorageConnectionTests
{
    [Fact]
    public void Resolve_DevelopmentStorage_AzuriteDefaultsWithTheWellKnownKey()
    {
        var connection = StorageConnection.Resolve(new StorageOptions { ConnectionString = "UseDevelopmentStorage=true" });

        Assert.Equal(StorageAuthentication.SharedKey, connection.Authentication);
        Assert.Equal("devstoreaccount1", connection.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), connection.BlobEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), connection.QueueEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), connection.TableEndpoint);
        Assert.True(connection.IsLocalEmulator);
    }

    [Fact]
    public void Resolve_AccountKeyConnectionString_PublicEndpoints()
    {
        var connection = StorageConnection.Resolve(new StorageOptions
        {
            ConnectionString = "DefaultEndpointsProtocol=https;AccountName=shortvideo1;AccountKey=" + Convert.ToBase64String(new byte[64]) + ";EndpointSuffix=core.chinacloudapi.cn",
        });

        Assert.Equal(StorageAuthentication.SharedKey, connection.Authentication);
        Assert.Equal(new Uri("https://shortvideo1.blob.core.chinacloudapi.cn/"), connection.BlobEndpoint);
        Assert.Equal(new Uri("https://shortvideo1.table.core.chinacloudapi.cn/"), connection.TableEndpoint);
        Assert.False(connection.IsLocalEmulator);
    }

    [Fact]
    public void Resolve_AccountName_IdentityOnPublicEndpoints()
    {
        var connection = StorageConnection.Resolve(new StorageOptions { AccountName = "shortvideo1", Credential = "managedidentity", ClientId = "abc" });

        Assert.Equal(StorageAuthentication.Identity, connection.Authentication);
        Assert.Equal(new Uri("https://shortvideo1.blob.core.windows.net/"), connection.BlobEndpoint);
        Assert.Equal(new Uri("https://shortvideo1.queue.core.windows.net/"), connection.QueueEndpoint);
        Assert.Contains("managed identity", connection.Source, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage__accountName", connection.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ConnectionStringAndAccountName_ConnectionStringWins()
    {
        var connection = StorageConnection.Resolve(new StorageOptions { ConnectionString = "UseDevelopmentStorage=true", AccountName = "shortvideo1" });

        Assert.Equal(StorageAuthentication.SharedKey, connection.Authentication);
    }

    [Fact]
    public void Resolve_ServiceUris_AccountFromTheEmulatorPath()
    {
        var connection = StorageConnection.Resolve(new StorageOptions
        {
            BlobServiceUri = new Uri("https://127.0.0.1:10000/devstoreaccount1"),
            QueueServiceUri = new Uri("https://127.0.0.1:10001/devstoreaccount1"),
            TableServiceUri = new Uri("https://127.0.0.1:10002/devstoreaccount1"),
        });

        Assert.Equal("devstoreaccount1", connection.AccountName);
        Assert.Equal(StorageAuthentication.Identity, connection.Authentication);
    }

    [Theory]
    [InlineData(null, null, null, "'AzureWebJobsStorage'")]
    [InlineData("AccountName=a", null, null, "needs AccountName and AccountKey")]
    [InlineData("AccountName=abc;AccountKey=not base64!", null, null, "AccountKey is not base64")]
    [InlineData("BlobEndpoint=https://x/;SharedAccessSignature=sv=1", null, null, "SAS connection strings are not supported")]
    [InlineData("garbage", null, null, "not 'Name=value'")]
    [InlineData(null, "UPPER", null, "'AzureWebJobsStorage__accountName'")]
    [InlineData(null, "shortvideo1", "clientsecret", "'AzureWebJobsStorage__credential'")]
    public void Resolve_MissingOrBad_NamesTheSetting(string? connectionString, string? account, string? credential, string expected)
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            StorageConnection.Resolve(new StorageOptions { ConnectionString = connectionString, AccountName = account, Credential = credential }));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}

public sealed class StorageErrorsTests
{
    private static readonly StorageConnection Keyless = StorageConnection.Resolve(new StorageOptions { AccountName = "shortvideo1", Credential = "managedidentity" });

    [Theory]
    [InlineData("Blob", "Storage Blob Data Contributor")]
    [InlineData("Queue", "Storage Queue Data Contributor")]
    [InlineData("Table", "Storage Table Data Contributor")]
    public void Map_PermissionMismatchOnIdentity_NamesTheMissingRole(string serviceName, string role)
    {
        var service = Enum.Parse<StorageService>(serviceName);
        var failure = new RequestFailedException(403, "This request is not authorized to perform this operation using this permission.", "AuthorizationPermissionMismatch", null);

        var mapped = StorageErrors.Map(failure, service, "create container media", Keyless);

        Assert.Equal(403, mapped!.StatusCode);
        Assert.Contains(role, mapped.Message, StringComparison.Ordinal);
        Assert.Contains("shortvideo1", mapped.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, typeof(StorageUnavailableException))]
    [InlineData(404, typeof(StorageNotFoundException))]
    [InlineData(409, typeof(StorageConflictException))]
    [InlineData(412, typeof(StoragePreconditionFailedException))]
    [InlineData(429, typeof(StorageUnavailableException))]
    [InlineData(503, typeof(StorageUnavailableException))]
    [InlineData(400, typeof(StorageException))]
    public void Map_Status_DomainException(int status, Type expected)
    {
        var mapped = StorageErrors.Map(new RequestFailedException(status, "failed"), StorageService.Table, "get Videos/p/r", Keyless);

        Assert.IsType(expected, mapped);
    }

    [Fact]
    public void Map_RetriesExhaustedWithTransportErrors_Unavailable()
    {
        var exhausted = new AggregateException(new RequestFailedException("Connection refused (127.0.0.1:10002)", new HttpRequestException("refused")));

        Assert.IsType<StorageUnavailableException>(StorageErrors.Map(exhausted, StorageService.Table, "get", Keyless));
    }

    [Fact]
    public void Map_NotAStorageFailure_LeftAlone()
    {
        Assert.Null(StorageErrors.Map(new InvalidOperationException("bug"), StorageService.Blob, "x", Keyless));
    }
}
