namespace Serverless.IntegrationTests.Deployment;

/// <summary>Azure built-in role definition ids the infra assigns (learn.microsoft.com/azure/role-based-access-control/built-in-roles).</summary>
public static class BuiltInRoles
{
    public const string BlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    public const string BlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    public const string BlobDelegator = "db58b8e5-c6ad-4a2a-8342-4190687cbf4a";
    public const string QueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    public const string QueueDataMessageSender = "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a";
    public const string TableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    public const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
    public const string KeyVaultSecretsOfficer = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";

    private static readonly Dictionary<string, string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        [BlobDataOwner] = "Storage Blob Data Owner",
        [BlobDataContributor] = "Storage Blob Data Contributor",
        [BlobDelegator] = "Storage Blob Delegator",
        [QueueDataContributor] = "Storage Queue Data Contributor",
        [QueueDataMessageSender] = "Storage Queue Data Message Sender",
        [TableDataContributor] = "Storage Table Data Contributor",
        [KeyVaultSecretsUser] = "Key Vault Secrets User",
        [KeyVaultSecretsOfficer] = "Key Vault Secrets Officer",
    };

    /// <summary>"Storage Blob Data Owner, Storage Queue Data Contributor" (an unknown id as itself).</summary>
    public static string Describe(IEnumerable<string> roleIds) =>
        string.Join(", ", roleIds.Select(id => Names.GetValueOrDefault(id, id)).Order(StringComparer.Ordinal));
}
