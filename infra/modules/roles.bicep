// The data-plane roles the function app's identity needs, and no more: blob data on the containers it uses (its own, the
// Functions host's and the Durable task hub's; not the deployment package's, which the deployment identity alone reads),
// user-delegation keys on its account (every SAS it hands out), queue and table data on its account, and reading secrets
// from its own Key Vault. No management-plane role (it never lists keys or changes resources), and no key exists to list:
// the account refuses Shared Key (storage.bicep).
// tests/Serverless.IntegrationTests/Infra checks these lists against what the code uses.
param principalId string
param storageAccountName string
param keyVaultName string

@description('The blob containers the app and the Functions host use (every one but the deployment package\'s).')
param appContainers array

@description('The container of the deployment package, which the deployment identity alone reads and writes.')
param deploymentContainer string

@description('The user-assigned identity Flex Consumption reads the deployment package with.')
param deploymentPrincipalId string

// Storage Blob Data Owner, on each container the app uses. The Functions host's own storage through an identity needs it
// ("host only" row of learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity):
// host keys (azure-webjobs-secrets), timer locks and leases (azure-webjobs-hosts); the Durable Task provider's leases,
// large messages and app lease (<hub>-leases, -largemessages, -applease); the app's containers, blobs and leases. Scoped
// to each container, so that neither the app nor a token taken from it reaches the deployment package (or any container
// added later without a line in main.bicep). storage.bicep creates every container: this identity cannot create one.
var blobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'

var accountRoles = [
  // Storage Blob Delegator: user-delegation keys (blobServices/generateUserDelegationKey/action), which sign every SAS the
  // app hands out (uploads, segments, posters, review samples). No data access itself: a SAS reaches only what the
  // identity's container roles reach.
  'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  // Storage Queue Data Contributor: the host's queue triggers (read, update visibility, delete, move to '-poison'), the
  // Durable task hub's queues, and the app's own queue messages.
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Storage Table Data Contributor: the app's tables and entities (video catalog, events, templates), the Durable task
  // hub's history and instances, and the host's diagnostic events.
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
]

// Storage Blob Data Contributor for the deployment identity, on the package's container alone: Flex Consumption reads the
// package with it and a deployment writes it (learn.microsoft.com/azure/azure-functions/flex-consumption-how-to,
// "Configure deployment settings", names this role for a user-assigned deployment identity).
var blobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

// Key Vault Secrets User: read secret values, for the app settings' Key Vault references.
var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [
  for container in appContainers: {
    parent: blobService
    name: container
  }
]

resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: deploymentContainer
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource accountAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in accountRoles: {
    name: guid(account.id, principalId, roleId)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource containerAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (container, i) in appContainers: {
    name: guid(containers[i].id, principalId, blobDataOwnerRoleId)
    scope: containers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataOwnerRoleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource packageAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(packageContainer.id, deploymentPrincipalId, blobDataContributorRoleId)
  scope: packageContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributorRoleId)
    principalId: deploymentPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
