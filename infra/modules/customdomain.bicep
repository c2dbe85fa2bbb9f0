// The API's own hostname (ICP-filed: what a mini-program may call), bound to the function app, with its certificate from
// Key Vault (SNI). Before deploying: a CNAME from the hostname to the app's default host and a TXT record
// asuid.<hostname> with the app's customDomainVerificationId (main.bicep output); the App Service resource provider
// must be allowed to read the certificate's secret (infra/README.md). On Flex Consumption, certificates are site-scoped
// (a preview for apps created after the feature; not verified here).
param location string
param functionAppName string
param hostName string
param keyVaultName string

@description('The certificate\'s name in the Key Vault; empty binds the hostname without a certificate of its own.')
param certificateName string

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource certificate 'Microsoft.Web/certificates@2024-04-01' = if (!empty(certificateName)) {
  name: '${functionAppName}-${replace(hostName, '.', '-')}'
  location: location
  properties: {
    keyVaultId: vault.id
    keyVaultSecretName: certificateName
    serverFarmId: site.properties.serverFarmId
  }
}

resource binding 'Microsoft.Web/sites/hostNameBindings@2024-04-01' = {
  parent: site
  name: hostName
  properties: {
    siteName: functionAppName
    hostNameType: 'Verified'
    customHostNameDnsRecordType: 'CName'
    sslState: empty(certificateName) ? 'Disabled' : 'SniEnabled'
    thumbprint: empty(certificateName) ? null : certificate!.properties.thumbprint
  }
}
