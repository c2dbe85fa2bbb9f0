// Flex Consumption plan and the function app (.NET 10 isolated worker) with a system-assigned identity.
//
// Why Flex Consumption: the storage account refuses Shared Key (storage.bicep), and the other plans that run long
// ffmpeg jobs keep the app's content on an Azure Files share, which is reached only with the account key. Flex
// Consumption has no content share: it runs the app from a package in a blob container, fetched with the app's managed
// identity (functionAppConfig.deployment below), and it runs the .NET isolated worker (runtime 'dotnet-isolated',
// version '10.0'). No execution time cap (a 60-minute grace on scale-in, as on Elastic Premium), instances of
// 2 or 4 GB (1 or 2 vCPU), always-ready instances for the HTTP functions, per-function scale-out on queue length.
// infra/README.md, "Hosting plan", has the comparison and the documents.
//
// The app's full app settings are applied by appsettings.bicep once the identity has its roles (Key Vault references
// and the host's identity-based storage connection need them).
param location string
param planName string
param appName string

@allowed([
  2048
  4096
])
param instanceMemoryMB int
param alwaysReadyHttpInstances int
param maximumInstances int
param storageAccountName string

@description('Private container in the storage account that holds the deployment package.')
param deploymentContainer string

@description('Browser origins the host answers CORS requests for (the local host does the same from Edge__CorsOrigins).')
param corsOrigins array = []

@description('The integration subnet for VNet integration (network.bicep: outbound through a NAT gateway\'s fixed IP); empty: none.')
param subnetId string = ''

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// The identity Flex Consumption reads (and a deployment writes) the package with: the package container is its alone
// (roles.bicep), so the app's own identity, which its storage connection and every SAS use, cannot reach the app's code.
// The platform needs it attached to the site; no app setting names it (AzureWebJobsStorage uses the system-assigned one).
resource deploymentIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${appName}-deploy'
  location: location
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned, UserAssigned'
    userAssignedIdentities: {
      '${deploymentIdentity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: 'SystemAssigned'
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    functionAppConfig: {
      // The package (infra/publish.sh's zip, deployed with `az functionapp deployment source config-zip`) is stored in
      // this container and read with the deployment identity (Storage Blob Data Contributor on this container alone,
      // roles.bicep): no key, no SAS, and not the app's own identity.
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${account.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: deploymentIdentity.id
          }
        }
      }
      // The isolated worker: the host starts the worker executable worker.config.json names (the package's self-contained
      // linux-x64 Serverless.Functions). On Flex Consumption this replaces the FUNCTIONS_WORKER_RUNTIME app setting (and
      // the platform sets FUNCTIONS_EXTENSION_VERSION, ~4).
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstances
        alwaysReady: alwaysReadyHttpInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstances
              }
            ]
          : []
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      // With VNet integration every outbound call (WeChat's API included) leaves through the subnet's NAT gateway.
      vnetRouteAllEnabled: !empty(subnetId)
      http20Enabled: true
      cors: {
        allowedOrigins: corsOrigins
        supportCredentials: false
      }
      // What the host needs from its first start: its storage, through the identity (appsettings.bicep replaces the
      // whole set with this plus everything else).
      appSettings: [
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: account.properties.primaryEndpoints.blob
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: account.properties.primaryEndpoints.queue
        }
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: account.properties.primaryEndpoints.table
        }
      ]
    }
  }
}

// No publishing user name and password (basic authentication) on the deployment endpoint: deployments authenticate
// with Microsoft Entra ID (Azure CLI 2.48.1+ does so for `az functionapp deployment source config-zip`).
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output principalId string = site.identity.principalId
output deploymentPrincipalId string = deploymentIdentity.properties.principalId
output defaultHostName string = site.properties.defaultHostName
output customDomainVerificationId string = site.properties.customDomainVerificationId
