// Event Grid system topic on the storage account: BlobCreated in a container is delivered to a storage queue, where a
// queue-triggered function picks it up. The account refuses Shared Key, so delivery uses the topic's own managed
// identity (deliveryWithResourceIdentity), which may only send messages, and only to the destination queues (Storage
// Queue Data Message Sender on each queue: learn.microsoft.com/azure/event-grid/add-identity-roles).
param location string
param systemTopicName string
param storageAccountName string

@description('[{ container, queue }]: BlobCreated events of blobs in `container` go to `queue`.')
param routes array

// Storage Queue Data Message Sender
var queueMessageSenderRoleId = 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

// The destination queues (created by storage.bicep).
resource destinations 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = [
  for route in routes: {
    parent: queueService
    name: route.queue
  }
]

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource senderRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (route, i) in routes: {
    name: guid(destinations[i].id, topic.id, queueMessageSenderRoleId)
    scope: destinations[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', queueMessageSenderRoleId)
      principalId: topic.identity.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource subscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = [
  for (route, i) in routes: {
    parent: topic
    name: '${route.container}-blob-created'
    dependsOn: [
      senderRoles[i]
    ]
    properties: {
      deliveryWithResourceIdentity: {
        identity: {
          type: 'SystemAssigned'
        }
        destination: {
          endpointType: 'StorageQueue'
          properties: {
            resourceId: account.id
            queueName: route.queue
            queueMessageTimeToLiveInSeconds: 604800
          }
        }
      }
      eventDeliverySchema: 'EventGridSchema'
      filter: {
        includedEventTypes: [
          'Microsoft.Storage.BlobCreated'
        ]
        subjectBeginsWith: '/blobServices/default/containers/${route.container}/blobs/'
        isSubjectCaseSensitive: false
      }
      retryPolicy: {
        maxDeliveryAttempts: 30
        eventTimeToLiveInMinutes: 1440
      }
    }
  }
]
