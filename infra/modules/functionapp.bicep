// Linux Elastic Premium plan and the function app (custom handler) with a system-assigned identity.
// Its full app settings are applied by appsettings.bicep once the identity has its roles (Key Vault references need them).
param location string
param planName string
param appName string

@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param planSku string
param minimumInstances int
param maximumInstances int
param storageAccountName string

@allowed([
  0
  1
])
param storageKeyIndex int
param contentShareName string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// What the platform needs when the site is created (the content share is bound then); appsettings.bicep later
// replaces the whole set with these plus everything else.
var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${account.name};AccountKey=${account.listKeys().keys[storageKeyIndex].value};EndpointSuffix=${environment().suffixes.storage}'
var creationSettings = [
  {
    name: 'FUNCTIONS_EXTENSION_VERSION'
    value: '~4'
  }
  {
    name: 'FUNCTIONS_WORKER_RUNTIME'
    value: 'custom'
  }
  {
    name: 'AzureWebJobsStorage'
    value: storageConnection
  }
  {
    name: 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING'
    value: storageConnection
  }
  {
    name: 'WEBSITE_CONTENTSHARE'
    value: contentShareName
  }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  kind: 'elastic'
  sku: {
    name: planSku
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: maximumInstances
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: 'SystemAssigned'
    siteConfig: {
      // Custom handlers declare no language stack: the functionAppStacks 'custom' entry sets linuxFxVersion to ''
      // and FUNCTIONS_WORKER_RUNTIME=custom (appsettings.bicep); the host starts host.json's customHandler executable.
      linuxFxVersion: ''
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      use32BitWorkerProcess: false
      minimumElasticInstanceCount: minimumInstances
      functionAppScaleLimit: maximumInstances
      appSettings: creationSettings
    }
  }
}

output name string = site.name
output principalId string = site.identity.principalId
output defaultHostName string = site.properties.defaultHostName
