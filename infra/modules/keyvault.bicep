// Key Vault (RBAC authorization) for the app's secrets: WeChat AppSecret, token and playback signing keys, operator
// keys. App settings reference them as @Microsoft.KeyVault(VaultName=…;SecretName=…); values are set out of band
// (`az keyvault secret set`), never in templates or parameter files.
param location string
param name string

@description('Object id of a user or group granted Key Vault Secrets Officer (to set and rotate secrets); empty for none.')
param officerPrincipalId string = ''

// Key Vault Secrets Officer
var secretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource officer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(officerPrincipalId)) {
  name: guid(vault.id, officerPrincipalId, secretsOfficerRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficerRoleId)
    principalId: officerPrincipalId
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
