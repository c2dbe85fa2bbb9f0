// The data-plane roles the function app's identity needs, and no more: blob, queue and table data on its own storage
// account, and reading secrets from its own Key Vault. No management-plane role (it never lists keys or changes
// resources), and no key exists to list: the account refuses Shared Key (storage.bicep).
// tests/Serverless.IntegrationTests/Infra checks this list against what the code uses.
param principalId string
param storageAccountName string
param keyVaultName string

var storageRoles = [
  // Storage Blob Data Owner. The Functions host's own storage through an identity needs it ("host only" row of
  // learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity): host
  // keys, timer locks and leases in azure-webjobs-hosts/-secrets, containers it creates. The platform reads the
  // deployment package with it (functionapp.bicep). The app uses it for its containers, blobs and leases, and for
  // user-delegation keys (blobServices/generateUserDelegationKey/action) that sign every SAS it hands out. It includes
  // everything Storage Blob Data Contributor grants, so that role is not assigned as well.
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Storage Queue Data Contributor: the host's queue triggers (read, update visibility, delete, move to '-poison') and
  // the app's own queue messages (the pipeline's step queue).
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Storage Table Data Contributor: the app's tables and entities (video catalog, events, templates), and the host's
  // diagnostic events.
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
]

// Key Vault Secrets User: read secret values, for the app settings' Key Vault references.
var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(account.id, principalId, roleId)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
