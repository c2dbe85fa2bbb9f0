// Every app setting of the function app, in one resource (it replaces the whole set): the platform settings here plus
// the app's own settings from main.bicep.
param functionAppName string
param storageAccountName string
param insightsConnectionString string

@description('The settings the app reads (main.bicep appSettings, with the environment\'s overrides).')
param appSettings object

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

var platformSettings = {
  // The storage connection, keyless: the Functions host (timer locks, keys, queue triggers) and the app's own storage
  // layer both connect to this account with the app's managed identity (roles.bicep). There is no AzureWebJobsStorage
  // connection string: the account refuses Shared Key. Locally, AzureWebJobsStorage holds Azurite's connection string.
  // (__accountName assumes the public cloud's endpoints; in a sovereign cloud set AzureWebJobsStorage__blobServiceUri,
  // __queueServiceUri and __tableServiceUri instead.)
  AzureWebJobsStorage__accountName: storageAccountName
  // Not a storage key: it identifies the Application Insights resource telemetry goes to.
  APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString
  // FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION are not app settings on Flex Consumption (functionapp.bicep
  // functionAppConfig.runtime), nor are WEBSITE_RUN_FROM_PACKAGE or a content share (functionAppConfig.deployment).
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(platformSettings, appSettings)
}
