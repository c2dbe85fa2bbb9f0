// The storage account the app and the Functions host use: private containers, queues, tables, and lifecycle rules for
// uploaded originals and review samples (what each keeps, and for how long, is written at the rules below). Keyless: Shared Key authorization is off, so every caller (the app, the Functions host, the Flex
// Consumption deployment, Event Grid, operators) authenticates with Microsoft Entra ID and needs an RBAC data role, and
// every SAS must be a user-delegation SAS (an account-key SAS is refused). There is no Azure Files share: Flex
// Consumption runs the app from a package in the 'deployments' container.
param location string
param name string
param sku string
param containers array
param queues array
param tables array
param uploadsContainer string
param uploadsCoolAfterDays int
param uploadsDeleteAfterDays int
param reviewContainer string
param reviewSamplesDeleteAfterDays int

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  sku: {
    name: sku
  }
  kind: 'StorageV2'
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false // clients read media only through signed URLs
    allowSharedKeyAccess: false // no account key works: not for the app, the host, a SAS, nor an operator
    defaultToOAuthAuthentication: true // the portal uses Entra ID too
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource blobContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in containers: {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in queues: {
    parent: queueService
    name: queue
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource storageTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for table in tables: {
    parent: tableService
    name: table
  }
]

// What is kept, and for how long:
// - uploads/ (the originals, one per video, Ready, Failed or Rejected alike): Cool after uploadsCoolAfterDays (a reprocess,
//   or an appeal of a rejection, still reads them), deleted after uploadsDeleteAfterDays (0: kept while the video exists:
//   the only copy of the source). The app deletes sooner: a deleted video's at once, and one refused as bad input (not a
//   video, larger than declared) Pipeline__BadUploadRetentionDays after it failed.
// - review/ (what WeChat's content check judged: the frames, the poster and the audio chunks of each checked video,
//   rejected ones included, which is what an appeal needs besides the upload): Cool after uploadsCoolAfterDays, deleted
//   after reviewSamplesDeleteAfterDays. A deleted video's samples go at once.
// - media/ (published HLS and posters): no rule, kept while the video plays. Rejected media keeps no playable copy: the
//   app removes a rejected video's HLS files and poster at the rejection, a failed one's HLS at the failure, a deleted
//   one's at once. Deleted blobs stay recoverable by an administrator for 7 days (deleteRetentionPolicy), never through
//   a SAS.
var coolAction = {
  tierToCool: {
    daysAfterModificationGreaterThan: uploadsCoolAfterDays
  }
}
var deleteAction = uploadsDeleteAfterDays > 0 ? {
  delete: {
    daysAfterModificationGreaterThan: uploadsDeleteAfterDays
  }
} : {}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  dependsOn: [
    blobContainers
  ]
  properties: {
    policy: {
      rules: [
        {
          enabled: true
          name: 'uploads-lifecycle'
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${uploadsContainer}/'
              ]
            }
            actions: {
              baseBlob: union(coolAction, deleteAction)
            }
          }
        }
        {
          enabled: true
          name: 'review-samples-lifecycle'
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${reviewContainer}/'
              ]
            }
            actions: {
              baseBlob: {
                tierToCool: {
                  daysAfterModificationGreaterThan: min(uploadsCoolAfterDays, reviewSamplesDeleteAfterDays)
                }
                delete: {
                  daysAfterModificationGreaterThan: reviewSamplesDeleteAfterDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

output name string = account.name
output id string = account.id
@description('The blob service endpoint, e.g. https://<account>.blob.core.windows.net/ (with the cloud\'s own suffix).')
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
