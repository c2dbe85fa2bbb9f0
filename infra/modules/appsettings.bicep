// Every app setting of the function app, in one resource (it replaces the whole set): the platform settings here plus
// the app's own settings from main.bicep.
param functionAppName string
param storageAccountName string

@allowed([
  0
  1
])
param storageKeyIndex int
param contentShareName string
param insightsConnectionString string

@description('The settings the app reads (main.bicep appSettings, with the environment\'s overrides).')
param appSettings object

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// The app's storage layer (WindowsAzure.Storage) and the host both read this connection string; its key signs SAS.
var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${account.name};AccountKey=${account.listKeys().keys[storageKeyIndex].value};EndpointSuffix=${environment().suffixes.storage}'

var platformSettings = {
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'custom'
  AzureWebJobsStorage: storageConnection
  // Elastic Premium keeps the app's content on an Azure Files share.
  WEBSITE_CONTENTAZUREFILECONNECTIONSTRING: storageConnection
  WEBSITE_CONTENTSHARE: contentShareName
  // Zip deploy mounts the package read-only; infra/publish.sh keeps the executables' x bits in the zip.
  WEBSITE_RUN_FROM_PACKAGE: '1'
  APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(platformSettings, appSettings)
}
