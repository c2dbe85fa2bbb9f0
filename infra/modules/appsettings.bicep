// Every app setting of the function app, in one resource (it replaces the whole set): the platform settings here plus
// the app's own settings from main.bicep.
param functionAppName string
@description('The storage account\'s blob, queue and table endpoints, as its cloud names them (storage.bicep outputs).')
param storageEndpoints {
  blob: string
  queue: string
  table: string
}
param insightsConnectionString string

@description('The fixed outbound IP (network.bicep), or empty.')
param outboundIp string

@description('The settings the app reads (main.bicep appSettings, with the environment\'s overrides).')
param appSettings object

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

var platformSettings = {
  // The storage connection, keyless: the Functions host (timer locks, keys, queue triggers) and the app's own storage
  // layer both connect to this account with the app's managed identity (roles.bicep). There is no AzureWebJobsStorage
  // connection string: the account refuses Shared Key. Locally, AzureWebJobsStorage holds Azurite's connection string.
  // The service URIs are the account's own endpoints, as the cloud it lives in names them (core.windows.net in Azure,
  // core.chinacloudapi.cn in the cloud operated by 21Vianet): no suffix is assumed, unlike __accountName.
  AzureWebJobsStorage__blobServiceUri: storageEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storageEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storageEndpoints.table
  // Named in the message for WeChat's errcode 40164: what goes into the mini-program's API IP allow-list.
  WeChat__OutboundIp: outboundIp
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
